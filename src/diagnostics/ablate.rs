//! Physics ablations: one factor at a time around a base config. For each level of each factor,
//! physics figures measured on the level's own settings:
//! - env steps/s with random actions (one env, one thread, resets included; the probes below
//!   are not timed) and blow-ups per 10⁵ steps;
//! - the deepest contact penetration (m) and the largest joint-limit excursion (rad) seen;
//! - energy gain of a passive drop: zero torques from the spawn pose for `seconds`, the largest
//!   rise of kinetic + potential energy above its start (J; a passive robot can only lose
//!   energy, so any gain is the integrator's);
//! - gait divergence: an open-loop trot (joint torques as fixed functions of time) for
//!   `seconds`, the RMS distance of the torso from the same trot simulated at 4× finer `dt_s`
//!   (4× the substeps, the same control period);
//! - with `train_minutes`, the meta-test success and return of a run of that many minutes.
//!
//! ```toml
//! robot = "quadruped"          # or base = "config.toml" (relative to this file)
//! steps = 20000                # random-action steps per level
//! seconds = 5.0                # passive drop and gait length
//! [[factor]]
//! name = "solver iterations"
//! levels = [{ "env.solver_iterations" = 1 }, { "env.solver_iterations" = 4 }]
//! ```

use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Robot};
use crate::env::gait::TrotGait;
use crate::env::locomotion::LocomotionEnv;
use crate::env::{Env, EnvMaker};
use crate::error::{Error, Result};
use crate::grid::spec::{base_config, flatten, plain};
use crate::report::write_atomic;
use crate::sim::dynamics::DynamicsParams;
use crate::sim::world::SimWorld;

/// The default ablation (`drat ablate` without a file).
pub const DEFAULT_ABLATION: &str = include_str!("../../assets/configs/ablate.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AblationFile {
    base: Option<String>,
    robot: Option<String>,
    steps: Option<usize>,
    seconds: Option<f64>,
    #[serde(default)]
    set: toml::Table,
    factor: Vec<FactorFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorFile {
    name: String,
    levels: Vec<toml::Table>,
}

/// One level of a factor.
#[derive(Clone, Debug)]
pub struct Level {
    /// Factor name.
    pub factor: String,
    /// `key=value` of the level's settings.
    pub label: String,
    /// The level's config.
    pub config: Config,
}

impl Level {
    /// The level's directory name under `drat ablate --train`: `factor-label`, file-name safe.
    pub fn slug(&self) -> String {
        slug(&format!("{}-{}", self.factor, self.label), &['.'])
    }
}

/// A file-name-safe form of `s`: ASCII letters, digits and the `keep` characters stay, every
/// other character becomes `-`.
pub fn slug(s: &str, keep: &[char]) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || keep.contains(&c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A checked ablation.
#[derive(Clone, Debug)]
pub struct Ablation {
    /// Random-action steps per level.
    pub steps: usize,
    /// Length of the passive drop and of the gait (s).
    pub seconds: f64,
    /// Every level, factor by factor.
    pub levels: Vec<Level>,
}

/// What one level measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Factor name.
    pub factor: String,
    /// Level label.
    pub level: String,
    /// Env steps per second (random actions).
    pub steps_per_s: f64,
    /// Blow-ups per 10⁵ env steps.
    pub blowups_per_1e5: f64,
    /// Deepest contact penetration seen (m).
    pub max_penetration_m: f64,
    /// Largest joint-limit excursion seen (rad).
    pub max_joint_limit_violation_rad: f64,
    /// Largest energy rise of a passive drop (J).
    pub drop_energy_gain_j: f64,
    /// RMS torso distance of the open-loop trot from its 4× finer-dt reference (m).
    pub gait_divergence_m: f64,
    /// Meta-test success of a short training run (with `train_minutes`).
    pub train_success: Option<f64>,
    /// Meta-test return of that run.
    pub train_return: Option<f64>,
}

impl Ablation {
    /// Parses an ablation file; every level's config is resolved, so bad keys or values are
    /// errors naming them before anything runs. `path` anchors `base` and names errors.
    pub fn parse(path: &Path, text: &str) -> Result<Ablation> {
        let file: AblationFile = toml::from_str(text).map_err(|e| Error::ConfigParse {
            source_name: path.display().to_string(),
            msg: e.to_string().trim().to_string(),
        })?;
        let bad = |key: &str, msg: &str| Error::config(format!("{}: {key}", path.display()), msg);
        let (base_text, _) = base_config(path, file.base.as_deref(), file.robot.as_deref())?;
        if file.factor.is_empty() {
            return Err(bad("factor", "no factors: add [[factor]] tables"));
        }
        let mut fixed = Vec::new();
        flatten("", &file.set, &mut fixed);
        let mut levels = Vec::new();
        for f in &file.factor {
            if f.levels.is_empty() {
                return Err(bad(&format!("factor `{}`", f.name), "has no levels"));
            }
            for l in &f.levels {
                let mut values = Vec::new();
                flatten("", l, &mut values);
                let label = values
                    .iter()
                    .map(|(k, v)| format!("{}={}", k.rsplit('.').next().unwrap_or(k), plain(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut all = fixed.clone();
                all.extend(values);
                let source = format!("{} (factor `{}`, level {label})", path.display(), f.name);
                let config = Config::from_toml_str_with_values(&base_text, &source, &all)?;
                if matches!(config.env.robot, Robot::Point) {
                    return Err(bad(
                        "robot",
                        "ablations need a simulated robot (quadruped, runner or a URDF)",
                    ));
                }
                levels.push(Level {
                    factor: f.name.clone(),
                    label,
                    config,
                });
            }
        }
        let steps = file.steps.unwrap_or(20_000);
        let seconds = file.seconds.unwrap_or(5.0);
        if steps == 0 || !(seconds > 0.0 && seconds <= 600.0) {
            return Err(bad("steps/seconds", "steps ≥ 1 and seconds in (0, 600]"));
        }
        Ok(Ablation {
            steps,
            seconds,
            levels,
        })
    }
}

/// Random-action steps on the level's train tasks (cycled per episode): speed, blow-ups,
/// penetration and joint-limit excursions.
fn random_run(cfg: &Config, steps: usize, f: &mut Figures) -> Result<()> {
    let maker = EnvMaker::new(cfg)?;
    let tasks = maker.task_set()?;
    let model = std::sync::Arc::new(crate::sim::load_robot(&cfg.env.robot)?);
    let mut env = LocomotionEnv::new(cfg, model, tasks.train[0].clone())?;
    let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
    let ad = env.action_space().dim();
    let (mut timed, mut blowups, mut episode) = (0.0f64, 0u64, 0u64);
    let mut action = vec![0.0f32; ad];
    let t0 = Instant::now();
    env.reset(0)?;
    timed += t0.elapsed().as_secs_f64();
    for _ in 0..steps {
        for a in action.iter_mut() {
            *a = rng.random_range(-1.0..=1.0);
        }
        let t = Instant::now();
        let s = env.step(&action)?;
        timed += t.elapsed().as_secs_f64();
        blowups += u64::from(s.info.blowup);
        let w = env.world();
        f.max_penetration_m = f.max_penetration_m.max(w.max_penetration_m() as f64);
        f.max_joint_limit_violation_rad = f
            .max_joint_limit_violation_rad
            .max(w.joint_limit_violation_rad() as f64);
        if s.done() {
            episode += 1;
            let t = Instant::now();
            env.set_task(tasks.train[episode as usize % tasks.train.len()].clone())?;
            env.reset(episode)?;
            timed += t.elapsed().as_secs_f64();
        }
    }
    f.steps_per_s = steps as f64 / timed.max(1e-9);
    f.blowups_per_1e5 = blowups as f64 * 1e5 / steps as f64;
    Ok(())
}

/// A world of the level's settings with nominal dynamics.
fn nominal_world(cfg: &Config, dt_scale: f32) -> Result<SimWorld> {
    let model = std::sync::Arc::new(crate::sim::load_robot(&cfg.env.robot)?);
    let mut s = cfg.sim_settings();
    s.dt_s *= dt_scale;
    s.substeps = ((s.substeps as f32) / dt_scale).round() as usize;
    let dynamics = DynamicsParams::nominal(model.n_bodies(), cfg.tasks.dynamics.nominal_friction);
    SimWorld::new(model, s, &dynamics)
}

/// The largest rise of mechanical energy above its start during a passive drop (J).
fn drop_energy_gain(cfg: &Config, seconds: f64) -> Result<f64> {
    let mut w = nominal_world(cfg, 1.0)?;
    let zero = vec![0.0f32; w.n_actuators()];
    let e0 = w.mechanical_energy_j() as f64;
    let mut gain = 0.0f64;
    while w.time_s() < seconds {
        w.step(&zero);
        if !w.is_sane() {
            return Ok(f64::INFINITY);
        }
        gain = gain.max(w.mechanical_energy_j() as f64 - e0);
    }
    Ok(gain)
}

/// Torso positions of the open-loop trot, one per control step.
fn trot_path(cfg: &Config, dt_scale: f32, seconds: f64) -> Result<Vec<[f32; 3]>> {
    let mut w = nominal_world(cfg, dt_scale)?;
    let gait = TrotGait::default();
    let n = w.n_actuators();
    let mut path = Vec::new();
    while w.time_s() < seconds - 1e-9 {
        let q = gait.targets(w.time_s() as f32);
        // Open loop: each joint's torque follows its target's shape, half the gear.
        let a: Vec<f32> = (0..n)
            .map(|k| {
                let amp = if k % 2 == 0 {
                    gait.hip_amp_rad
                } else {
                    gait.knee_amp_rad
                };
                0.5 * q.get(k).copied().unwrap_or(0.0) / amp
            })
            .collect();
        w.step(&a);
        let p = w.root_state().position;
        path.push([p.x, p.y, p.z]);
    }
    Ok(path)
}

/// RMS distance between the trot at the level's dt and at a 4× finer dt (m).
fn gait_divergence(cfg: &Config, seconds: f64) -> Result<f64> {
    let (a, b) = (
        trot_path(cfg, 1.0, seconds)?,
        trot_path(cfg, 0.25, seconds)?,
    );
    let n = a.len().min(b.len()).max(1);
    let ss: f64 = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (0..3).map(|i| ((p[i] - q[i]) as f64).powi(2)).sum::<f64>())
        .sum();
    Ok((ss / n as f64).sqrt())
}

/// Measures one level.
pub fn measure(level: &Level, steps: usize, seconds: f64) -> Result<Figures> {
    let mut f = Figures {
        factor: level.factor.clone(),
        level: level.label.clone(),
        ..Figures::default()
    };
    random_run(&level.config, steps, &mut f)?;
    f.drop_energy_gain_j = drop_energy_gain(&level.config, seconds)?;
    f.gait_divergence_m = gait_divergence(&level.config, seconds)?;
    Ok(f)
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        "inf".into()
    }
}

/// Writes `ablation.csv`, `ablation.md` and one plot per factor into `out`.
pub fn write_outputs(out: &Path, figs: &[Figures], title: &str) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut csv = String::from("factor,level,steps_per_s,blowups_per_1e5,max_penetration_m,max_joint_limit_violation_rad,drop_energy_gain_j,gait_divergence_m,train_success,train_return\n");
    let opt = |x: Option<f64>| x.map_or(String::new(), num);
    for f in figs {
        csv.push_str(&format!(
            "\"{}\",\"{}\",{},{},{},{},{},{},{},{}\n",
            f.factor,
            f.level,
            num(f.steps_per_s),
            num(f.blowups_per_1e5),
            num(f.max_penetration_m),
            num(f.max_joint_limit_violation_rad),
            num(f.drop_energy_gain_j),
            num(f.gait_divergence_m),
            opt(f.train_success),
            opt(f.train_return)
        ));
    }
    write_atomic(&out.join("ablation.csv"), csv.as_bytes())?;
    write_atomic(&out.join("ablation.md"), markdown(figs, title).as_bytes())?;
    let mut factors: Vec<&str> = Vec::new();
    for f in figs {
        if !factors.contains(&f.factor.as_str()) {
            factors.push(&f.factor);
        }
    }
    for factor in factors {
        let rows: Vec<crate::report::plots::AblationRow> = figs
            .iter()
            .filter(|f| f.factor == factor)
            .map(|f| crate::report::plots::AblationRow {
                label: f.level.clone(),
                gait_divergence_m: f.gait_divergence_m,
                steps_per_s: f.steps_per_s,
            })
            .collect();
        let slug = slug(&factor.to_ascii_lowercase(), &[]);
        crate::report::plots::ablation_factor(
            &rows,
            &out.join(format!("factor-{slug}.png")),
            factor,
        )?;
    }
    Ok(())
}

/// The Markdown table of an ablation.
pub fn markdown(figs: &[Figures], title: &str) -> String {
    let train = figs.iter().any(|f| f.train_success.is_some());
    let mut s = format!(
        "# {title}\n\n| factor | level | env steps/s | blow-ups /1e5 | max penetration (mm) | max limit excursion (mrad) | drop energy gain (J) | gait divergence (cm){} |\n|---|---|---|---|---|---|---|---{}|\n",
        if train { " | train success (%) | train return" } else { "" },
        if train { "|---|---" } else { "" }
    );
    for f in figs {
        let tr = if train {
            format!(
                " | {} | {}",
                f.train_success
                    .map_or("–".into(), |x| format!("{:.0}", 100.0 * x)),
                f.train_return.map_or("–".into(), |x| format!("{x:.2}"))
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.3} | {:.1}{tr} |\n",
            f.factor,
            f.level,
            f.steps_per_s,
            f.blowups_per_1e5,
            1e3 * f.max_penetration_m,
            1e3 * f.max_joint_limit_violation_rad,
            f.drop_energy_gain_j,
            100.0 * f.gait_divergence_m
        ));
    }
    s
}
