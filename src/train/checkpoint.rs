//! Checkpoints: everything a resumed run needs to continue exactly as if never stopped —
//! networks and targets (`weights.safetensors`), Adam moments (`optimizer.safetensors`), the
//! experience buffers (`replay.safetensors`: the file keeps its first name, so older run directories
//! still resume), and counters, RNG and optimizer settings (`state.json`).
//!
//! A checkpoint is written into `checkpoints/iter-NNNNNN.tmp/`, renamed to
//! `checkpoints/iter-NNNNNN/`, and only then named in `checkpoints/LATEST` (atomic rename), so
//! a crash at any point leaves the previous checkpoint intact.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::trainer::{TrainState, Trainer};
use crate::data::buffer::TaskBuffer;
use crate::error::{Error, Result};
use crate::nn::Adam;
use crate::report::write_atomic;
use crate::transfer::ratio::RatioModel;

/// The JSON part of a checkpoint: the trainer's whole state (buffer columns travel as
/// tensors) and the optimizers' settings (their moments travel as tensors).
#[derive(Serialize, Deserialize)]
struct State {
    format: u32,
    train: TrainState,
    critic: Adam,
    policy: Adam,
    alpha: Adam,
    /// The learned ratio's optimizer settings (its weights and moments: `ratio.safetensors`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratio: Option<Adam>,
}

/// 2: one `TrainState`, typed transfer targets, `[eval]` outside training; 3: moved
/// trajectories with source task and behaviour log-probabilities.
const FORMAT: u32 = 3;

/// Every experience buffer of a state, named for the tensor file.
fn experience_buffers(s: &TrainState) -> Vec<(String, &TaskBuffer)> {
    let mut out = Vec::new();
    for (kind, bufs) in [("rl", &s.rl), ("ctx", &s.context)] {
        out.extend(
            bufs.iter()
                .enumerate()
                .map(|(i, b)| (format!("{kind}.{i}"), b)),
        );
    }
    out.extend(
        s.moved
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("xfer.{i}"), &m.rows)),
    );
    out
}

/// Writes a checkpoint of `t` under `run_dir/checkpoints/` and returns its directory.
pub fn save(t: &Trainer, run_dir: &Path) -> Result<PathBuf> {
    let root = run_dir.join("checkpoints");
    let name = format!("iter-{:06}", t.state.iteration);
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

    let mut buffers = HashMap::new();
    for (name, b) in experience_buffers(&t.state) {
        for (col, v) in b.columns().into_iter().filter(|(_, v)| !v.is_empty()) {
            buffers.insert(format!("{name}.{col}"), vec_tensor(v)?);
        }
    }
    for (i, m) in t.state.moved.iter().enumerate() {
        for (col, v) in m.extra_columns().into_iter().filter(|(_, v)| !v.is_empty()) {
            buffers.insert(format!("xfer.{i}.{col}"), vec_tensor(&v)?);
        }
    }
    candle_core::safetensors::save(&buffers, tmp.join("replay.safetensors"))?;
    if let Some(m) = &t.ratio {
        save_ratio(m, &tmp)?;
    }

    let state = State {
        format: FORMAT,
        train: t.state.clone(),
        critic: t.agent.opt.critic.clone(),
        policy: t.agent.opt.policy.clone(),
        alpha: t.agent.opt.alpha.clone(),
        ratio: t.ratio.as_ref().map(|m| m.opt.clone()),
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
    #[derive(Deserialize)]
    struct Format {
        format: u32,
    }
    let format: Format =
        serde_json::from_slice(&text).map_err(|e| bad(&format!("state.json: {e}")))?;
    if format.format != FORMAT {
        return Err(bad(&format!(
            "format {} (this build reads {FORMAT}; retrain, or use the build that wrote it)",
            format.format
        )));
    }
    let mut state: State =
        serde_json::from_slice(&text).map_err(|e| bad(&format!("state.json: {e}")))?;
    let (have, want) = (&state.train, &t.state);
    if have.rl.len() != want.rl.len()
        || have.context.len() != want.context.len()
        || have.moved.len() != want.moved.len()
    {
        return Err(bad(
            "buffers have a different number of tasks than the config",
        ));
    }
    let weights = candle_core::safetensors::load(dir.join("weights.safetensors"), &Device::Cpu)?;
    t.agent.params.load_tensors(&weights, &src)?;

    load_moments(dir, &mut state, &bad)?;

    let replay = candle_core::safetensors::load(dir.join("replay.safetensors"), &Device::Cpu)?;
    let mut train = state.train;
    let names: Vec<String> = experience_buffers(&train)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let bufs = train
        .rl
        .iter_mut()
        .chain(train.context.iter_mut())
        .chain(train.moved.iter_mut().map(|m| &mut m.rows));
    for (name, b) in names.iter().zip(bufs) {
        b.set_columns(|col| {
            replay
                .get(&format!("{name}.{col}"))
                .and_then(|t| t.flatten_all().ok()?.to_vec1().ok())
        })
        .map_err(|e| bad(&format!("buffer {name}: {e}")))?;
    }
    for (i, m) in train.moved.iter_mut().enumerate() {
        m.set_extra_columns(|col| {
            replay
                .get(&format!("xfer.{i}.{col}"))
                .and_then(|t| t.flatten_all().ok()?.to_vec1().ok())
        })
        .map_err(|e| bad(&format!("buffer xfer.{i}: {e}")))?;
    }
    t.state = train;
    t.agent.opt.critic = state.critic;
    t.agent.opt.policy = state.policy;
    t.agent.opt.alpha = state.alpha;
    load_ratio(t, dir, state.ratio, &bad)
}

/// The learned ratio's weights, input statistics and Adam moments (`ratio.safetensors`).
fn save_ratio(m: &RatioModel, dir: &Path) -> Result<()> {
    let mut out: HashMap<String, Tensor> = m.params.to_tensors().into_iter().collect();
    for (kind, moments) in [("m", &m.opt.m), ("v", &m.opt.v)] {
        for (pname, v) in moments {
            out.insert(format!("adam.{kind}.{pname}"), vec_tensor(v)?);
        }
    }
    candle_core::safetensors::save(&out, dir.join("ratio.safetensors"))?;
    Ok(())
}

/// Restores the learned ratio (when the run has one) from `ratio.safetensors` and `adam`.
fn load_ratio(
    t: &mut Trainer,
    dir: &Path,
    adam: Option<Adam>,
    bad: &dyn Fn(&str) -> Error,
) -> Result<()> {
    let Some(m) = t.ratio.as_mut() else {
        return Ok(());
    };
    let path = dir.join("ratio.safetensors");
    let (Some(mut adam), true) = (adam, path.exists()) else {
        return Err(bad("the config trains a learned ratio (transfer.ratio = \"learned\") but the checkpoint has none"));
    };
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu)?;
    m.params
        .load_tensors(&tensors, &path.display().to_string())?;
    for (key, tensor) in &tensors {
        let Some(rest) = key.strip_prefix("adam.") else {
            continue;
        };
        let v: Vec<f32> = tensor.flatten_all()?.to_vec1()?;
        match rest.split_once('.') {
            Some(("m", p)) => adam.m.insert(p.to_string(), v),
            Some(("v", p)) => adam.v.insert(p.to_string(), v),
            _ => return Err(bad(&format!("ratio tensor `{key}`"))),
        };
    }
    m.opt = adam;
    Ok(())
}

/// Adam moments from `optimizer.safetensors` (absent before the first update) into `state`.
fn load_moments(dir: &Path, state: &mut State, bad: &dyn Fn(&str) -> Error) -> Result<()> {
    let opt_path = dir.join("optimizer.safetensors");
    if !opt_path.exists() {
        return Ok(());
    }
    let opt = candle_core::safetensors::load(&opt_path, &Device::Cpu)?;
    for (key, tensor) in &opt {
        let mut parts = key.splitn(3, '.');
        let adam = match parts.next() {
            Some("critic") => &mut state.critic,
            Some("policy") => &mut state.policy,
            Some("alpha") => &mut state.alpha,
            _ => return Err(bad(&format!("optimizer tensor `{key}`"))),
        };
        let v: Vec<f32> = tensor.flatten_all()?.to_vec1()?;
        match (parts.next(), parts.next()) {
            (Some("m"), Some(p)) => adam.m.insert(p.to_string(), v),
            (Some("v"), Some(p)) => adam.v.insert(p.to_string(), v),
            _ => return Err(bad(&format!("optimizer tensor `{key}`"))),
        };
    }
    Ok(())
}

fn vec_tensor(v: &[f32]) -> Result<Tensor> {
    Ok(Tensor::from_slice(v, v.len(), &Device::Cpu)?)
}
