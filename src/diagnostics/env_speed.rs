//! Env steps per second with uniform random actions, resets included (`drat bench env`): the
//! configured robot's envs stepped together on worker threads, with what ended the episodes.

use std::time::Instant;

use rand::{Rng, SeedableRng};

use crate::config::Config;
use crate::env::vec_env::VecEnv;
use crate::env::EnvMaker;
use crate::error::{Error, Result};
use crate::sim::PhysicsProfile;

/// What to time.
#[derive(Clone, Debug)]
pub struct EnvSpeedSettings {
    /// Envs stepped together.
    pub envs: usize,
    /// Worker threads (default: 1 for one env, else the cores, at most `envs`).
    pub threads: Option<usize>,
    /// Total env steps (over all envs; rounded up to whole rounds).
    pub steps: usize,
    /// Episode length in control steps (replaces `env.horizon`).
    pub horizon: usize,
    /// Seed of actions and resets.
    pub seed: u64,
}

/// What was measured.
#[derive(Clone, Debug)]
pub struct EnvSpeed {
    /// Worker threads used.
    pub threads: usize,
    /// Env steps taken.
    pub steps: usize,
    /// Wall time (s).
    pub seconds: f64,
    /// `steps / seconds`.
    pub env_steps_per_s: f64,
    /// Episodes that ended (time limit, fall or blow-up).
    pub episodes: u64,
    /// Steps that ended in a fall (`terminated`).
    pub terminated: u64,
    /// Physics blow-ups.
    pub blowups: u64,
    /// Where the time went, on one thread (see [`VecEnv::physics_profile`]).
    pub profile: Option<PhysicsProfile>,
}

impl EnvSpeed {
    /// The wall time's split in seconds per env step: `(phase, µs per env step)` for
    /// collision detection, the solver's assembly and substeps, the rest of Rapier's step,
    /// world rebuilds at reset, and everything else (the env's control, observation, reward
    /// and this loop's random actions).
    pub fn split_us(&self) -> Option<Vec<(&'static str, f64)>> {
        let p = self.profile?;
        let per = 1e6 / self.steps as f64;
        let env = (self.seconds - p.step_s - p.rebuild_s).max(0.0);
        Some(vec![
            ("collision", p.collision_s * per),
            ("solver_assembly", p.solver_assembly_s * per),
            ("solver_substeps", p.solver_substeps_s * per),
            ("rapier_other", p.rapier_other_s() * per),
            ("rebuild", p.rebuild_s * per),
            ("env", env * per),
        ])
    }
}

/// Steps `settings.envs` envs of `cfg` with random actions and times it.
pub fn env_speed(cfg: &Config, settings: &EnvSpeedSettings) -> Result<EnvSpeed> {
    let s = settings;
    if s.envs == 0 {
        return Err(Error::argument("--envs", "must be ≥ 1"));
    }
    if s.steps == 0 {
        return Err(Error::argument("--steps", "must be ≥ 1"));
    }
    let mut cfg = cfg.clone();
    cfg.env.horizon = s.horizon;
    cfg.validate()
        .map_err(|e| Error::argument("--horizon", e.to_string()))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = s
        .threads
        .unwrap_or(if s.envs == 1 { 1 } else { cores.min(s.envs) });
    if threads == 0 {
        return Err(Error::argument("--threads", "must be ≥ 1"));
    }
    let maker = EnvMaker::new(&cfg)?;
    let tasks = maker.task_set()?;
    let envs = (0..s.envs)
        .map(|k| maker.make(tasks.train[k % tasks.train.len()].clone()))
        .collect::<Result<Vec<_>>>()?;
    let mut venv = VecEnv::new(envs, threads, s.seed)?;
    let ad = venv.act_dim();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(s.seed);
    let mut actions = vec![0.0f32; s.envs * ad];
    let rounds = s.steps.div_ceil(s.envs);
    let t0 = Instant::now();
    venv.reset()?;
    let (mut episodes, mut blowups, mut terminated) = (0u64, 0u64, 0u64);
    for _ in 0..rounds {
        for x in actions.iter_mut() {
            *x = rng.random_range(-1.0..=1.0);
        }
        for st in venv.step(&actions)? {
            if st.reset.is_some() {
                episodes += 1;
            }
            blowups += u64::from(st.step.info.blowup);
            terminated += u64::from(st.step.terminated);
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let steps = rounds * s.envs;
    Ok(EnvSpeed {
        threads,
        steps,
        seconds,
        env_steps_per_s: steps as f64 / seconds,
        episodes,
        terminated,
        blowups,
        profile: venv.physics_profile(),
    })
}
