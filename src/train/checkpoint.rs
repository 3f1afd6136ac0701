//! Checkpoints: everything a resumed run needs to continue exactly as if never stopped —
//! networks and targets (`weights.safetensors`), Adam moments (`optimizer.safetensors`), replay
//! (`replay.safetensors`), and counters, RNG and optimizer settings (`state.json`).
//!
//! A checkpoint is written into `checkpoints/iter-NNNNNN.tmp/`, renamed to
//! `checkpoints/iter-NNNNNN/`, and only then named in `checkpoints/LATEST` (atomic rename), so
//! a crash at any point leaves the previous checkpoint intact.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::meta::Trainer;
use crate::data::buffer::TaskBuffer;
use crate::error::{Error, Result};
use crate::nn::Adam;
use crate::report::write_atomic;

/// The JSON part of a checkpoint.
#[derive(Serialize, Deserialize)]
struct State {
    format: u32,
    iteration: usize,
    env_steps: u64,
    updates: u64,
    episodes: u64,
    rng: rand_pcg::Pcg64,
    critic: Adam,
    policy: Adam,
    alpha: Adam,
    buffers: Vec<TaskBuffer>,
    context_buffers: Vec<TaskBuffer>,
    /// Absent in checkpoints written before transfer existed.
    #[serde(default)]
    transfer_buffers: Vec<TaskBuffer>,
}

const FORMAT: u32 = 1;

/// Writes a checkpoint of `t` under `run_dir/checkpoints/` and returns its directory.
pub fn save(t: &Trainer, run_dir: &Path) -> Result<PathBuf> {
    let root = run_dir.join("checkpoints");
    let name = format!("iter-{:06}", t.iteration);
    let tmp = root.join(format!("{name}.tmp"));
    let dir = root.join(&name);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;

    let weights: HashMap<String, Tensor> = t.agent.params.to_tensors().into_iter().collect();
    candle_core::safetensors::save(&weights, tmp.join("weights.safetensors"))?;

    let mut opt = HashMap::new();
    for (group, adam) in [
        ("critic", &t.agent.opt.critic),
        ("policy", &t.agent.opt.policy),
        ("alpha", &t.agent.opt.alpha),
    ] {
        for (kind, moments) in [("m", &adam.m), ("v", &adam.v)] {
            for (pname, v) in moments {
                opt.insert(format!("{group}.{kind}.{pname}"), vec_tensor(v)?);
            }
        }
    }
    if !opt.is_empty() {
        candle_core::safetensors::save(&opt, tmp.join("optimizer.safetensors"))?;
    }

    let mut replay = HashMap::new();
    for (kind, bufs) in [
        ("rl", &t.buffers),
        ("ctx", &t.context_buffers),
        ("xfer", &t.transfer_buffers),
    ] {
        for (i, b) in bufs.iter().enumerate() {
            for (col, v) in b.columns().into_iter().filter(|(_, v)| !v.is_empty()) {
                replay.insert(format!("{kind}.{i}.{col}"), vec_tensor(v)?);
            }
        }
    }
    candle_core::safetensors::save(&replay, tmp.join("replay.safetensors"))?;

    let state = State {
        format: FORMAT,
        iteration: t.iteration,
        env_steps: t.env_steps,
        updates: t.updates,
        episodes: t.episodes,
        rng: t.rng.clone(),
        critic: t.agent.opt.critic.clone(),
        policy: t.agent.opt.policy.clone(),
        alpha: t.agent.opt.alpha.clone(),
        buffers: t.buffers.clone(),
        context_buffers: t.context_buffers.clone(),
        transfer_buffers: t.transfer_buffers.clone(),
    };
    let json = serde_json::to_vec_pretty(&state).map_err(|e| Error::Checkpoint(e.to_string()))?;
    write_atomic(&tmp.join("state.json"), &json)?;

    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
    write_atomic(&root.join("LATEST"), name.as_bytes())?;
    // Older checkpoints are superseded.
    if let Ok(rd) = std::fs::read_dir(&root) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if n.starts_with("iter-") && n != name {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(dir)
}

/// The directory of the latest checkpoint of a run.
pub fn latest(run_dir: &Path) -> Result<PathBuf> {
    let root = run_dir.join("checkpoints");
    let latest = root.join("LATEST");
    let name = std::fs::read_to_string(&latest).map_err(|_| {
        Error::Checkpoint(format!(
            "{}: no checkpoint (missing {})",
            run_dir.display(),
            latest.display()
        ))
    })?;
    Ok(root.join(name.trim()))
}

/// Restores `t` (built from the run's config) from checkpoint directory `dir`.
pub fn load(t: &mut Trainer, dir: &Path) -> Result<()> {
    let src = dir.display().to_string();
    let bad = |what: &str| Error::Checkpoint(format!("{src}: {what}"));
    let state_path = dir.join("state.json");
    let text = std::fs::read(&state_path).map_err(|e| Error::io(&state_path, e))?;
    let mut state: State =
        serde_json::from_slice(&text).map_err(|e| bad(&format!("state.json: {e}")))?;
    if state.format != FORMAT {
        return Err(bad(&format!(
            "format {} (this build reads {FORMAT})",
            state.format
        )));
    }
    if state.buffers.len() != t.buffers.len()
        || state.context_buffers.len() != t.context_buffers.len()
    {
        return Err(bad(
            "replay has a different number of tasks than the config",
        ));
    }
    if state.transfer_buffers.is_empty() {
        state.transfer_buffers = t.transfer_buffers.clone();
    } else if state.transfer_buffers.len() != t.transfer_buffers.len() {
        return Err(bad(
            "transfer replay has a different number of tasks than the config",
        ));
    }
    let weights = candle_core::safetensors::load(dir.join("weights.safetensors"), &Device::Cpu)?;
    t.agent.params.load_tensors(&weights, &src)?;

    let opt_path = dir.join("optimizer.safetensors");
    let opt = if opt_path.exists() {
        candle_core::safetensors::load(&opt_path, &Device::Cpu)?
    } else {
        HashMap::new()
    };
    for (group, adam) in [
        ("critic", &mut state.critic),
        ("policy", &mut state.policy),
        ("alpha", &mut state.alpha),
    ] {
        for (key, tensor) in &opt {
            let mut parts = key.splitn(3, '.');
            let (g, kind, pname) = (parts.next(), parts.next(), parts.next());
            if g != Some(group) {
                continue;
            }
            let v: Vec<f32> = tensor.flatten_all()?.to_vec1()?;
            match (kind, pname) {
                (Some("m"), Some(p)) => {
                    adam.m.insert(p.to_string(), v);
                }
                (Some("v"), Some(p)) => {
                    adam.v.insert(p.to_string(), v);
                }
                _ => return Err(bad(&format!("optimizer tensor `{key}`"))),
            }
        }
    }

    let replay = candle_core::safetensors::load(dir.join("replay.safetensors"), &Device::Cpu)?;
    for (kind, bufs) in [
        ("rl", &mut state.buffers),
        ("ctx", &mut state.context_buffers),
        ("xfer", &mut state.transfer_buffers),
    ] {
        for (i, b) in bufs.iter_mut().enumerate() {
            b.set_columns(|col| {
                replay
                    .get(&format!("{kind}.{i}.{col}"))
                    .and_then(|t| t.flatten_all().ok()?.to_vec1().ok())
            })
            .map_err(|e| bad(&format!("replay {kind}.{i}: {e}")))?;
        }
    }

    t.iteration = state.iteration;
    t.env_steps = state.env_steps;
    t.updates = state.updates;
    t.episodes = state.episodes;
    t.rng = state.rng;
    t.agent.opt.critic = state.critic;
    t.agent.opt.policy = state.policy;
    t.agent.opt.alpha = state.alpha;
    t.buffers = state.buffers;
    t.context_buffers = state.context_buffers;
    t.transfer_buffers = state.transfer_buffers;
    Ok(())
}

fn vec_tensor(v: &[f32]) -> Result<Tensor> {
    Ok(Tensor::from_slice(v, v.len(), &Device::Cpu)?)
}
