//! `drat diagnose transfer`: are the values transfer trains on right? For a sample of moved
//! rows — state `s_t` of a trajectory from task i, moved to task j — every strategy's estimate
//! of j's soft value at `s_t` is compared with Monte-Carlo returns of the current policy with
//! `z_j`, rolled out from `s_t` in task j's dynamics:
//! `Σ_k γ^k·(s·r_j(t+k) − α·log π(a_{t+k}|s_{t+k}, z_j))` over `⌈log(1e-3)/log γ⌉` steps, the
//! soft value SAC's critic estimates. Estimates: naive relabeling (DR with ρd ≡ 1), DRaE,
//! DRaE-slide, the oracle DR (exact ρd), the critic alone `V̂(s_t, z_j)` and, in a run that
//! trains the learned ratio, DR with it.
//!
//! Point robot only: its state can be set exactly, and its transition densities are exact.
//! It draws every random number from the caller's RNG; it changes nothing in the run.

use rand::Rng;
use rand_pcg::Pcg64;
use std::path::Path;

use crate::config::Robot;
use crate::data::moved::MovedBuffer;
use crate::data::trajectory::Trajectory;
use crate::env::point::PointEnv;
use crate::env::{Env, Task};
use crate::error::{Error, Result};
use crate::transfer::drae::{DrRatio, DrValue, DraeValue};
use crate::transfer::estimators::{dr_estimate, DraeVariant, Reward};
use crate::transfer::scorer::{own_z, Scorer, StepInputs, Tally, Valuation};
use crate::transfer::strategy::TrainView;

/// The estimates compared, in report order.
/// `learned dr` (DR with the learned ratio) is NaN — left out of the tables — unless the run
/// trains its own classifiers (`transfer.ratio = "learned"`).
pub const ESTIMATES: [&str; 6] = [
    "naive relabel",
    "drae",
    "drae-slide",
    "oracle dr",
    "critic",
    "learned dr",
];

/// One sampled moved row: the shift between its tasks, each estimate and the Monte-Carlo value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Source task i and target task j.
    pub tasks: (usize, usize),
    /// `|mass scale_j − mass scale_i|` (mean over bodies).
    pub mass_shift: f32,
    /// `|friction_j − friction_i|`.
    pub friction_shift: f32,
    /// One value per [`ESTIMATES`] entry.
    pub estimates: [f32; 6],
    /// Mean Monte-Carlo soft return.
    pub truth: f32,
}

/// How much to sample.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Moved rows sampled (each from a different trajectory where possible).
    pub rows: usize,
    /// Rollouts per row.
    pub rollouts: usize,
}

/// What [`diagnose`] measured.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    /// The sampled moved rows.
    pub samples: Vec<Sample>,
    /// Control: the critic alone on rows of each task's *own* data, (estimate, Monte-Carlo
    /// value) — how good the critic is where no transfer is involved.
    pub own: Vec<(f32, f32)>,
}

/// Samples moved rows and compares the estimates with Monte-Carlo returns; then the same for
/// the critic on the tasks' own data.
pub fn diagnose(
    view: &TrainView<'_>,
    moved: &[MovedBuffer],
    settings: Settings,
    rng: &mut Pcg64,
) -> Result<Diagnosis> {
    if view.cfg.env.robot != Robot::Point || view.cfg.env.point.noise_std <= 0.0 {
        return Err(Error::argument(
            "RUN_DIR",
            "diagnose needs the noisy point robot (env.robot = \"point\", env.point.noise_std > 0): \
             its states can be set and its densities are exact",
        ));
    }
    let pool: Vec<(usize, Trajectory)> = moved
        .iter()
        .enumerate()
        .flat_map(|(j, m)| m.trajectories().into_iter().map(move |(_, t)| (j, t)))
        .collect();
    if pool.is_empty() {
        return Err(Error::argument("RUN_DIR", "the run has no moved trajectories (transfer.strategy hfr, dr, drae or drae-slide, after a few iterations)"));
    }
    let z_own = own_z(view, rng)?;
    let s = Scorer::new(view, &z_own);
    let picks: Vec<(usize, usize)> = (0..settings.rows)
        .map(|_| {
            let p = rng.random_range(0..pool.len());
            (p, rng.random_range(0..pool[p].1.rows.len()))
        })
        .collect();
    let pairs: Vec<(&Trajectory, usize)> = picks
        .iter()
        .map(|&(p, _)| (&pool[p].1, pool[p].0))
        .collect();
    let mut tally = Tally::default();
    let inputs = s.step_inputs(&pairs, &mut tally, rng)?;
    let mut out = Vec::with_capacity(picks.len());
    for ((&(traj, j), x), &(_, t)) in pairs.iter().zip(&inputs).zip(&picks) {
        let estimates = estimates_at(&s, traj, j, x, t, &mut tally)?;
        let (ti, tj) = (&view.tasks[traj.task].dynamics, &view.tasks[j].dynamics);
        out.push(Sample {
            tasks: (traj.task, j),
            mass_shift: (tj.mean_mass_scale() - ti.mean_mass_scale()).abs(),
            friction_shift: (tj.friction_coef - ti.friction_coef).abs(),
            estimates,
            truth: 0.0,
        });
    }
    let starts: Vec<(Task, Vec<f32>, Vec<f32>)> = pairs
        .iter()
        .zip(&picks)
        .map(|(&(traj, j), &(_, t))| {
            let od = view.agent.obs_dim();
            let l = view.agent.latent_dim();
            let obs = traj.rows.obs[t * od..(t + 1) * od].to_vec();
            (
                view.tasks[j].clone(),
                obs,
                z_own[j * l..(j + 1) * l].to_vec(),
            )
        })
        .collect();
    let truths = monte_carlo(view, &starts, settings.rollouts, rng)?;
    for (o, v) in out.iter_mut().zip(truths) {
        o.truth = v;
    }
    let own = own_data_control(view, &z_own, settings, rng)?;
    Ok(Diagnosis { samples: out, own })
}

/// The critic alone against Monte-Carlo values on stored rows of the tasks' own data.
fn own_data_control(
    view: &TrainView<'_>,
    z_own: &[f32],
    settings: Settings,
    rng: &mut Pcg64,
) -> Result<Vec<(f32, f32)>> {
    let (od, l) = (view.agent.obs_dim(), view.agent.latent_dim());
    let mut starts = Vec::with_capacity(settings.rows);
    let (mut obs, mut z) = (Vec::new(), Vec::new());
    for _ in 0..settings.rows {
        let j = rng.random_range(0..view.tasks.len());
        let slot = view.rl[j].sample_slots(1, rng);
        let mut row = crate::data::buffer::Batch::default();
        view.rl[j].gather_into(&slot, &mut row);
        let zj = z_own[j * l..(j + 1) * l].to_vec();
        obs.extend_from_slice(&row.obs[..od]);
        z.extend_from_slice(&zj);
        starts.push((view.tasks[j].clone(), row.obs[..od].to_vec(), zj));
    }
    let critic = view.agent.soft_values(&obs, &z, rng)?.0;
    let truth = monte_carlo(view, &starts, settings.rollouts, rng)?;
    Ok(critic.into_iter().zip(truth).collect())
}

/// Every estimate of the soft value at step `t` of `traj` relabeled to `j`.
fn estimates_at(
    s: &Scorer<'_>,
    traj: &Trajectory,
    j: usize,
    x: &StepInputs,
    t: usize,
    tally: &mut Tally,
) -> Result<[f32; 6]> {
    let gamma = s.cfg.agent.gamma as f32;
    let ones = vec![1.0f32; x.r.len()];
    let naive = dr_estimate(
        Reward::OfNextState,
        &x.r,
        &x.rho_pi,
        &ones,
        &x.v,
        &x.q,
        gamma,
        x.bootstrap,
    )?;
    let at = |v: Option<(Vec<f32>, Vec<f32>)>| v.map_or(f32::NAN, |(v, _)| v[t]);
    Ok([
        naive[t],
        at(DraeValue(DraeVariant::Derived).values(s, traj, j, x, tally)?),
        at(DraeValue(DraeVariant::Slide).values(s, traj, j, x, tally)?),
        at(DrValue(DrRatio::Exact).values(s, traj, j, x, tally)?),
        x.v[t],
        match s.ratio {
            Some(_) => at(DrValue(DrRatio::Learned).values(s, traj, j, x, tally)?),
            None => f32::NAN,
        },
    ])
}

/// Mean soft return of `rollouts` episodes from each start (task, observation, z), all in
/// lockstep with one batched policy pass per step.
fn monte_carlo(
    view: &TrainView<'_>,
    starts: &[(Task, Vec<f32>, Vec<f32>)],
    rollouts: usize,
    rng: &mut Pcg64,
) -> Result<Vec<f32>> {
    let gamma = view.cfg.agent.gamma;
    let steps = ((1e-3f64).ln() / gamma.ln()).ceil() as usize;
    let mut cfg = view.cfg.clone();
    cfg.env.horizon = steps;
    let (scale, alpha) = (cfg.agent.reward_scale, view.agent.alpha()? as f64);
    let mut envs = Vec::with_capacity(starts.len() * rollouts);
    let (mut obs, mut z) = (Vec::new(), Vec::new());
    for (task, o, zj) in starts {
        for _ in 0..rollouts {
            let mut env = PointEnv::new(&cfg, task.clone())?;
            env.reset(rng.random())?;
            env.set_state(o)?;
            envs.push(env);
            obs.extend_from_slice(o);
            z.extend_from_slice(zj);
        }
    }
    let det = vec![false; envs.len()];
    let mut ret = vec![0.0f64; envs.len()];
    let ad = view.agent.act_dim();
    for k in 0..steps {
        let (a, logp) = view.agent.act_batch(&obs, &z, &det, rng)?;
        let discount = gamma.powi(k as i32);
        for (e, env) in envs.iter_mut().enumerate() {
            let st = env.step(&a[e * ad..(e + 1) * ad])?;
            ret[e] += discount * (scale * st.reward as f64 - alpha * logp[e] as f64);
            obs[e * 4..(e + 1) * 4].copy_from_slice(&st.obs);
        }
    }
    Ok(ret
        .chunks(rollouts)
        .map(|c| (c.iter().sum::<f64>() / c.len() as f64) as f32)
        .collect())
}

/// Bias and RMSE of one estimate over samples: `(n, bias, rmse)`.
pub fn error_stats(samples: &[&Sample], estimate: usize) -> (usize, f64, f64) {
    let errs: Vec<f64> = samples
        .iter()
        .map(|s| (s.estimates[estimate] - s.truth) as f64)
        .filter(|e| e.is_finite())
        .collect();
    let n = errs.len().max(1) as f64;
    let bias = errs.iter().sum::<f64>() / n;
    let rmse = (errs.iter().map(|e| e * e).sum::<f64>() / n).sqrt();
    (errs.len(), bias, rmse)
}

/// Bucket edges of the shift sizes: `[0, a)`, `[a, b)`, `[b, ∞)`.
pub const MASS_EDGES: [f32; 2] = [0.25, 0.5];
/// Friction-shift bucket edges.
pub const FRICTION_EDGES: [f32; 2] = [0.3, 0.6];

/// The bucket (0, 1, 2) of a shift size.
pub fn bucket(x: f32, edges: [f32; 2]) -> usize {
    usize::from(x >= edges[0]) + usize::from(x >= edges[1])
}

/// Writes `diagnosis` into `out`: `samples.csv` (one row per moved row: tasks, shifts, the
/// Monte-Carlo truth and every estimate), `summary.csv` (bias and RMSE per estimate by shift
/// bucket, and the critic on the tasks' own data), `by_mass.png` and `by_friction.png`.
/// Returns the tables as text, for the terminal.
pub fn write_report(diagnosis: &Diagnosis, out: &Path, title: &str) -> Result<String> {
    use std::fmt::Write as _;
    let fmt = |e: std::fmt::Error| Error::argument("diagnose", e.to_string());
    let samples = &diagnosis.samples;
    let mut text = String::new();
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut csv = String::from("source,target,mass_shift,friction_shift,truth");
    for e in ESTIMATES {
        csv.push_str(&format!(",{}", e.replace(' ', "_")));
    }
    csv.push('\n');
    for s in samples {
        csv.push_str(&format!(
            "{},{},{},{},{}",
            s.tasks.0, s.tasks.1, s.mass_shift, s.friction_shift, s.truth
        ));
        for e in s.estimates {
            csv.push_str(&format!(",{e}"));
        }
        csv.push('\n');
    }
    crate::report::write_atomic(&out.join("samples.csv"), csv.as_bytes())?;
    let mut table = String::from("shift,bucket,estimate,n,bias,rmse\n");
    type Shift = fn(&Sample) -> f32;
    let shifts: [(&str, Shift, [f32; 2]); 2] = [
        ("|Δ mass scale|", |s| s.mass_shift, MASS_EDGES),
        ("|Δ friction|", |s| s.friction_shift, FRICTION_EDGES),
    ];
    for (name, shift, edges) in shifts {
        shift_table(
            samples, name, shift, edges, out, title, &mut text, &mut table,
        )?;
    }
    let own = &diagnosis.own;
    let n = own.len().max(1) as f64;
    let bias = own.iter().map(|(e, v)| (e - v) as f64).sum::<f64>() / n;
    let rmse = (own
        .iter()
        .map(|(e, v)| ((e - v) as f64).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    writeln!(
        text,
        "\ncontrol, the critic on the tasks' own data (no transfer): bias {bias:+.3} / RMSE {rmse:.3} ({})",
        own.len()
    ).map_err(fmt)?;
    table.push_str(&format!(
        "none,own data,critic,{},{bias},{rmse}\n",
        own.len()
    ));
    crate::report::write_atomic(&out.join("summary.csv"), table.as_bytes())?;
    Ok(text)
}

/// One shift's table of [`write_report`]: bias / RMSE (n) of every estimate per bucket of
/// `shift`, appended to `text` and to the summary CSV `table`, and its plot.
#[allow(clippy::too_many_arguments)]
fn shift_table(
    samples: &[Sample],
    name: &str,
    shift: fn(&Sample) -> f32,
    edges: [f32; 2],
    out: &Path,
    title: &str,
    text: &mut String,
    table: &mut String,
) -> Result<()> {
    use std::fmt::Write as _;
    let fmt = |e: std::fmt::Error| Error::argument("diagnose", e.to_string());
    let labels = [
        format!("< {}", edges[0]),
        format!("{}–{}", edges[0], edges[1]),
        format!("≥ {}", edges[1]),
    ];
    writeln!(text, "\nby {name}: bias / RMSE (n)").map_err(fmt)?;
    write!(text, "{:<14}", "estimate").map_err(fmt)?;
    for l in &labels {
        write!(text, " {l:>22}").map_err(fmt)?;
    }
    writeln!(text, " {:>22}", "all").map_err(fmt)?;
    let mut series = Vec::new();
    for (k, e) in ESTIMATES.iter().enumerate() {
        write!(text, "{e:<14}").map_err(fmt)?;
        let mut pts = Vec::new();
        for (b, label) in labels.iter().enumerate() {
            let part: Vec<&Sample> = samples
                .iter()
                .filter(|s| bucket(shift(s), edges) == b)
                .collect();
            let (n, bias, rmse) = error_stats(&part, k);
            write!(text, " {:>22}", format!("{bias:+.3} / {rmse:.3} ({n})")).map_err(fmt)?;
            table.push_str(&format!("{name},{label},{e},{n},{bias},{rmse}\n"));
            if n > 0 {
                pts.push((b as f64, bias, rmse));
            }
        }
        let all: Vec<&Sample> = samples.iter().collect();
        let (n, bias, rmse) = error_stats(&all, k);
        writeln!(text, " {:>22}", format!("{bias:+.3} / {rmse:.3} ({n})")).map_err(fmt)?;
        table.push_str(&format!("{name},all,{e},{n},{bias},{rmse}\n"));
        series.push((e.to_string(), pts));
    }
    let file = if name.contains("mass") {
        "by_mass.png"
    } else {
        "by_friction.png"
    };
    let x_desc = format!(
        "{name} bucket: 0 = {}, 1 = {}, 2 = {}",
        labels[0], labels[1], labels[2]
    );
    crate::report::plots::estimate_errors(
        &series,
        &x_desc,
        &out.join(file),
        &format!("transfer estimates vs Monte-Carlo values · {title}"),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_error_stats() {
        assert_eq!(
            [0.0, 0.25, 0.3, 0.5, 2.0].map(|x| bucket(x, MASS_EDGES)),
            [0, 1, 1, 2, 2]
        );
        let s = |e: f32, truth: f32| Sample {
            tasks: (0, 1),
            mass_shift: 0.0,
            friction_shift: 0.0,
            estimates: [e, f32::NAN, 0.0, 0.0, 0.0, 0.0],
            truth,
        };
        let (a, b) = (s(1.0, 0.0), s(-3.0, 0.0));
        let (n, bias, rmse) = error_stats(&[&a, &b], 0);
        assert_eq!(n, 2);
        assert!((bias + 1.0).abs() < 1e-12 && (rmse - 5f64.sqrt()).abs() < 1e-12);
        assert_eq!(
            error_stats(&[&a, &b], 1).0,
            0,
            "non-finite estimates are left out"
        );
    }
}
