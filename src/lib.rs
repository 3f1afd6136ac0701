//! drat: legged-robot simulation and meta-RL with doubly robust augmented transfer, in one
//! Rust process.
//!
//! Data flows one way: config → [`env::task::TaskSet`] → [`sim::SimWorld`] (Rapier) →
//! [`env::Env`] / [`env::vec_env::VecEnv`] → rollouts → reports.

pub mod agent;
pub mod cli;
pub mod config;
pub mod data;
pub mod diagnostics;
pub mod env;
pub mod error;
pub mod grid;
pub mod nn;
pub mod replay;
pub mod report;
pub mod sim;
pub mod train;
pub mod transfer;

pub use error::{Error, Result};
