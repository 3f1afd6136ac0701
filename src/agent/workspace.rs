//! The buffers the fused update ([`super::update`]) reuses from one update to the next, kept
//! inside the agent so no update allocates.

use crate::nn::dense::{LayerGrad, Trace};

/// Buffers of the fused update, kept between updates.
#[derive(Default)]
pub struct Workspace {
    pub(super) x_pi: Vec<f32>,
    pub(super) x_q: Vec<f32>,
    pub(super) y: Vec<f32>,
    pub(super) actions: Vec<f32>,
    pub(super) logp: Vec<f32>,
    pub(super) d_out: Vec<f32>,
    pub(super) policy: Trace,
    pub(super) policy_grads: Vec<LayerGrad>,
    pub(super) encoder: Trace,
    pub(super) encoder_grads: Vec<LayerGrad>,
    pub(super) critics: [Critic; 2],
}

/// One critic's buffers.
#[derive(Default)]
pub(super) struct Critic {
    pub(super) trace: Trace,
    pub(super) grads: Vec<LayerGrad>,
    pub(super) dq: Vec<f32>,
    pub(super) dx: Vec<f32>,
}
