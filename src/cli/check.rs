//! `drat check`: the env checker (spaces, reset/step contract, finiteness, determinism) on a
//! robot, and the robot description's notes.

use crate::error::{Error, Result};
use clap::Args as ClapArgs;

use super::ConfigArgs;
use crate::env::check::check_env;
use crate::env::EnvMaker;

/// Arguments of `drat check`.
#[derive(ClapArgs)]
pub struct Args {
    /// The robot and its config.
    #[command(flatten)]
    pub cfg: ConfigArgs,
    /// Random-action steps per rollout.
    #[arg(long, default_value_t = 500)]
    pub steps: usize,
}

/// Runs `drat check`.
pub fn run(a: Args) -> Result<()> {
    let Args { cfg, steps } = a;
    let cfg = cfg.resolve()?;
    let maker = EnvMaker::new(&cfg)?;
    let tasks = maker.task_set()?;
    let mut env = maker.make(tasks.train[0].clone())?;
    let problems = check_env(env.as_mut(), 0, steps);
    if let Some(m) = maker.robot() {
        println!(
            "{}: {} bodies, {} actuated joints",
            m.name,
            m.n_bodies(),
            m.actuated_joints().len()
        );
        for note in &m.notes {
            println!("  note: {note}");
        }
    }
    if problems.is_empty() {
        println!(
            "ok: {} passes the env checker ({} obs, {} actions, {steps} steps)",
            cfg.env.robot,
            env.observation_space().dim(),
            env.action_space().dim()
        );
        Ok(())
    } else {
        Err(Error::Check(format!(
            "{} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        )))
    }
}
