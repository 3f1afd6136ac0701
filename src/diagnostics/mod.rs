//! Studies of the simulator and the estimators, apart from training: the physics ablation
//! ([`ablate`]), transfer's value estimates against Monte-Carlo truth on a trained run
//! ([`diagnose`]), the learned dynamics ratio against the exact one ([`ratio_calibration`]),
//! the estimators on tabular MDPs with exact values ([`tabular`]), env stepping speed
//! ([`env_speed`]) and MJCF robots against MuJoCo ([`fidelity`]). Each answers
//! one question with numbers a person reads; nothing below imports this folder.

pub mod ablate;
pub mod diagnose;
pub mod env_speed;
pub mod fidelity;
pub mod ratio_calibration;
pub mod tabular;
