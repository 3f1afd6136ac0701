//! The agent's networks and what they answer: acting (one row, a batch, the hand-written
//! acting kernel), log-probabilities, soft values, target Q values and task posteriors.
//! How it learns is [`super::update`]; the autograd reference of the same step is
//! [`super::reference`].

use candle_core::{Device, Tensor};
use candle_nn::Module;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::pearl::{self, ContextEncoder, Posterior};
use super::workspace::Workspace;
use crate::config::AgentConfig;
use crate::error::Result;
use crate::nn::act_kernel::forward_rows;
use crate::nn::dense::{TensorSlices, Trace};
use crate::nn::{tanh_gaussian, tensor2, Adam, Mlp, Params};

/// Bounds of the policy's log standard deviation (as in PEARL/rlkit).
pub(super) const LOG_STD_MIN: f64 = -20.0;
pub(super) const LOG_STD_MAX: f64 = 2.0;

/// The agent.
pub struct Agent {
    /// Its configuration.
    pub cfg: AgentConfig,
    pub(super) obs_dim: usize,
    pub(super) act_dim: usize,
    /// All parameters (networks, targets, `log_alpha`).
    pub params: Params,
    pub(super) policy: Mlp,
    pub(super) q1: Mlp,
    pub(super) q2: Mlp,
    pub(super) q1_target: Mlp,
    pub(super) q2_target: Mlp,
    pub(super) encoder: Option<ContextEncoder>,
    /// Optimizers: critic (+ encoder), policy, temperature.
    pub opt: Optimizers,
    /// Buffers of the fused update, reused between updates.
    pub(super) ws: Workspace,
}

/// The optimizers' state (saved in checkpoints).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Optimizers {
    /// Q networks and encoder.
    pub critic: Adam,
    /// Policy.
    pub policy: Adam,
    /// `log_alpha`.
    pub alpha: Adam,
}

/// Number of features of one context transition `(s, a, r, s′)`.
pub fn context_features(obs_dim: usize, act_dim: usize) -> usize {
    2 * obs_dim + act_dim + 1
}

/// Buffers [`Agent::act_rows`] reuses from call to call.
#[derive(Default)]
pub struct ActScratch {
    pub(super) x: Vec<f32>,
    pub(super) trace: Trace,
}

/// Standard normal draws from our RNG.
pub fn normal_vec(n: usize, rng: &mut impl Rng) -> Vec<f32> {
    (0..n)
        .map(|_| rng.sample::<f32, _>(StandardNormal))
        .collect()
}

impl Agent {
    /// Builds every network with weights drawn from `rng`.
    pub fn new(
        cfg: &AgentConfig,
        obs_dim: usize,
        act_dim: usize,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        let mut p = Params::new();
        let z = if cfg.use_context { cfg.latent_dim } else { 0 };
        let policy = Mlp::new(
            &mut p,
            "policy",
            obs_dim + z,
            &cfg.hidden,
            2 * act_dim,
            1e-3,
            rng,
        )?;
        let q_in = obs_dim + act_dim + z;
        let q1 = Mlp::new(&mut p, "q1", q_in, &cfg.hidden, 1, 3e-3, rng)?;
        let q2 = Mlp::new(&mut p, "q2", q_in, &cfg.hidden, 1, 3e-3, rng)?;
        let q1_target = Mlp::new(&mut p, "q1_target", q_in, &cfg.hidden, 1, 3e-3, rng)?;
        let q2_target = Mlp::new(&mut p, "q2_target", q_in, &cfg.hidden, 1, 3e-3, rng)?;
        p.polyak("q1.", "q1_target.", 1.0)?;
        p.polyak("q2.", "q2_target.", 1.0)?;
        let encoder = if cfg.use_context {
            let f = context_features(obs_dim, act_dim);
            let net = Mlp::new(
                &mut p,
                "encoder",
                f,
                &cfg.encoder_hidden,
                2 * cfg.latent_dim,
                3e-3,
                rng,
            )?;
            Some(ContextEncoder::new(net, cfg.latent_dim))
        } else {
            None
        };
        p.add("log_alpha", vec![cfg.init_alpha.ln()], &[1])?;
        Ok(Agent {
            cfg: cfg.clone(),
            obs_dim,
            act_dim,
            params: p,
            policy,
            q1,
            q2,
            q1_target,
            q2_target,
            encoder,
            opt: Optimizers {
                critic: Adam::new(cfg.lr),
                policy: Adam::new(cfg.lr),
                alpha: Adam::new(cfg.lr),
            },
            ws: Workspace::default(),
        })
    }

    /// Observation size.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Action size.
    pub fn act_dim(&self) -> usize {
        self.act_dim
    }

    /// Latent size (0 without context).
    pub fn latent_dim(&self) -> usize {
        if self.encoder.is_some() {
            self.cfg.latent_dim
        } else {
            0
        }
    }

    /// The entropy temperature α.
    pub fn alpha(&self) -> Result<f32> {
        Ok(self.log_alpha()?.exp())
    }

    /// `log α`, the learned parameter.
    pub(super) fn log_alpha(&self) -> Result<f32> {
        let la = self
            .params
            .get("log_alpha")
            .expect("log_alpha is created by new");
        Ok(la.as_tensor().to_vec1::<f32>()?[0])
    }

    pub(super) fn with_z(&self, x: &Tensor, z: Option<&Tensor>) -> Result<Tensor> {
        Ok(match z {
            Some(z) => Tensor::cat(&[x, z], 1)?,
            None => x.clone(),
        })
    }

    pub(super) fn policy_dist(&self, obs: &Tensor, z: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let out = self.policy.forward(&self.with_z(obs, z)?)?;
        let mean = out.narrow(1, 0, self.act_dim)?;
        let log_std = out
            .narrow(1, self.act_dim, self.act_dim)?
            .clamp(LOG_STD_MIN, LOG_STD_MAX)?;
        Ok((mean, log_std))
    }

    pub(super) fn q(
        &self,
        net: &Mlp,
        obs: &Tensor,
        act: &Tensor,
        z: Option<&Tensor>,
    ) -> Result<Tensor> {
        Ok(net.forward(&self.with_z(&Tensor::cat(&[obs, act], 1)?, z)?)?)
    }

    /// Posterior over z of one task from its context transitions (flat, `n × features`).
    pub fn posterior(&self, context: &[f32], n: usize) -> Result<Option<Posterior>> {
        let Some(enc) = &self.encoder else {
            return Ok(None);
        };
        if n == 0 {
            return Ok(None);
        }
        let f = context_features(self.obs_dim, self.act_dim);
        let c = Tensor::from_slice(context, (1, n, f), &Device::Cpu)?;
        Ok(Some(enc.posterior(&c)?))
    }

    /// A z sample: from the posterior if given, else from the prior N(0, I). Empty without
    /// context.
    pub fn sample_z(&self, posterior: Option<&Posterior>, rng: &mut impl Rng) -> Result<Vec<f32>> {
        let l = self.latent_dim();
        let eps = normal_vec(l, rng);
        match posterior {
            None => Ok(eps),
            Some(p) => {
                let e = Tensor::from_vec(eps, (1, l), &Device::Cpu)?;
                Ok(pearl::reparameterize(p, &e)?.flatten_all()?.to_vec1()?)
            }
        }
    }

    /// An action for one observation: sampled, or the squashed mean when `deterministic`.
    pub fn act(
        &self,
        obs: &[f32],
        z: &[f32],
        deterministic: bool,
        rng: &mut impl Rng,
    ) -> Result<Vec<f32>> {
        Ok(self.act_batch(obs, z, &[deterministic], rng)?.0)
    }

    /// Actions for `n = deterministic.len()` rows of observations (`n × obs`), each with its
    /// own z (`n × latent`, or one z for every row; empty without context): sampled
    /// `a = tanh(μ + σ·ε)`, or the squashed mean where `deterministic[k]`. Also returns
    /// `log π(a | s, z)` of each sampled row (NaN for deterministic rows), the behaviour
    /// log-probability transfer's policy ratio needs. Noise is drawn for every row, in row
    /// order; the rest is [`Agent::act_rows`].
    pub fn act_batch(
        &self,
        obs: &[f32],
        z: &[f32],
        deterministic: &[bool],
        rng: &mut impl Rng,
    ) -> Result<(Vec<f32>, Vec<f32>)> {
        let (n, ad) = (deterministic.len(), self.act_dim);
        let eps = normal_vec(n * ad, rng);
        let (mut actions, mut logp) = (vec![0.0; n * ad], vec![0.0; n]);
        let mut scratch = ActScratch::default();
        self.act_rows(
            obs,
            z,
            &eps,
            deterministic,
            &mut scratch,
            &mut actions,
            &mut logp,
        )?;
        Ok((actions, logp))
    }

    /// [`Agent::act_batch`] with the noise `eps` (`n × act`) given, into `actions` and `logp`.
    /// Acting needs no gradient, so the policy runs on its weights in place, on the calling
    /// thread, and the sampling is plain Rust: a handful of candle ops per step would cost
    /// more than the arithmetic.
    ///
    /// A row's result does not depend on which other rows share the call (the rollout
    /// computes each env thread's rows separately): see [`crate::nn::act_kernel::forward_rows`].
    #[allow(clippy::too_many_arguments)]
    pub fn act_rows(
        &self,
        obs: &[f32],
        z: &[f32],
        eps: &[f32],
        deterministic: &[bool],
        scratch: &mut ActScratch,
        actions: &mut [f32],
        logp: &mut [f32],
    ) -> Result<()> {
        let (n, od, ad) = (deterministic.len(), self.obs_dim, self.act_dim);
        let l = if z.is_empty() { 0 } else { self.latent_dim() };
        let per_row_z = n > 1 && z.len() == n * l;
        if obs.len() != n * od
            || eps.len() != n * ad
            || actions.len() != n * ad
            || logp.len() != n
            || !(z.is_empty() || per_row_z || z.len() == l)
        {
            return Err(crate::error::Error::argument(
                "act_rows",
                format!(
                    "{n} rows need {} obs, {} or {l} z, {} noise and {} action values; got {}, {}, {} and {}",
                    n * od,
                    n * l,
                    n * ad,
                    n * ad,
                    obs.len(),
                    z.len(),
                    eps.len(),
                    actions.len()
                ),
            ));
        }
        if n == 0 {
            return Ok(());
        }
        let x = &mut scratch.x;
        x.clear();
        for k in 0..n {
            x.extend_from_slice(&obs[k * od..(k + 1) * od]);
            x.extend_from_slice(if per_row_z { &z[k * l..(k + 1) * l] } else { z });
        }
        let g = TensorSlices::new(self.policy.tensors());
        forward_rows(&g.layers()?, x, n, &mut scratch.trace);
        let out = scratch.trace.output();
        for (k, &det) in deterministic.iter().enumerate() {
            let row = &out[k * 2 * ad..(k + 1) * 2 * ad];
            let mut lp = 0.0f64;
            for i in 0..ad {
                let mean = row[i];
                let log_std = row[ad + i].clamp(LOG_STD_MIN as f32, LOG_STD_MAX as f32);
                actions[k * ad + i] = if det {
                    mean.tanh()
                } else {
                    let e = eps[k * ad + i];
                    let u = mean + log_std.exp() * e;
                    lp += tanh_gaussian::log_prob_of_sample(e, log_std, u);
                    u.tanh()
                };
            }
            logp[k] = if det { f32::NAN } else { lp as f32 };
        }
        Ok(())
    }

    /// `log π(a | s, z)` for rows of observations and actions (transfer's policy ratio).
    pub fn log_prob(&self, obs: &[f32], actions: &[f32], z: &[f32]) -> Result<Vec<f32>> {
        let (o, a, zt) = self.rows(obs, actions, z)?;
        let (mean, log_std) = self.policy_dist(&o, zt.as_ref())?;
        Ok(tanh_gaussian::log_prob(&mean, &log_std, &a)?
            .flatten_all()?
            .to_vec1()?)
    }

    /// Observation, action and z tensors of rows (z: one, or one per row).
    pub(super) fn rows(
        &self,
        obs: &[f32],
        actions: &[f32],
        z: &[f32],
    ) -> Result<(Tensor, Tensor, Option<Tensor>)> {
        let n = obs.len() / self.obs_dim;
        let o = tensor2(obs.to_vec(), n, self.obs_dim)?;
        let a = tensor2(actions.to_vec(), n, self.act_dim)?;
        Ok((o, a, self.z_rows(z, n)?))
    }

    /// One z for all `n` rows (`z.len() = latent`), or one per row (`z.len() = n·latent`).
    pub(super) fn z_rows(&self, z: &[f32], n: usize) -> Result<Option<Tensor>> {
        if z.is_empty() {
            return Ok(None);
        }
        let l = self.latent_dim().max(1);
        if z.len() == n * l && n != 1 {
            return Ok(Some(Tensor::from_slice(z, (n, l), &Device::Cpu)?));
        }
        let zt = Tensor::from_slice(z, (1, z.len()), &Device::Cpu)?;
        Ok(Some(zt.broadcast_as((n, z.len()))?.contiguous()?))
    }

    /// The policy's deterministic action `tanh(mean)` for rows of observations (z: one, or
    /// one per row).
    pub fn mean_action(&self, obs: &[f32], z: &[f32]) -> Result<Vec<f32>> {
        let n = obs.len() / self.obs_dim;
        let o = tensor2(obs.to_vec(), n, self.obs_dim)?;
        let zt = self.z_rows(z, n)?;
        let (mean, _) = self.policy_dist(&o, zt.as_ref())?;
        Ok(mean.tanh()?.flatten_all()?.to_vec1()?)
    }

    /// Soft state values as the critic's own target forms them: `a′ ~ π(·|s, z)` (noise from
    /// `rng`) and `Q̄_k(s, a′, z) − α·log π(a′|s, z)` for both target critics. Returns (the
    /// lower, the higher) of the two per row — the lower is the value the critic bootstraps
    /// with, the pair is DRaE's interval. z: one, or one per row.
    pub fn soft_values(
        &self,
        obs: &[f32],
        z: &[f32],
        rng: &mut impl Rng,
    ) -> Result<(Vec<f32>, Vec<f32>)> {
        let (n, ad) = (obs.len() / self.obs_dim, self.act_dim);
        let o = tensor2(obs.to_vec(), n, self.obs_dim)?;
        let zt = self.z_rows(z, n)?;
        let (m, ls) = self.policy_dist(&o, zt.as_ref())?;
        let eps = tensor2(normal_vec(n * ad, rng), n, ad)?;
        let (a, logp) = tanh_gaussian::sample(&m, &ls, &eps)?;
        let ent = (logp * self.alpha()? as f64)?;
        let v1 = (self.q(&self.q1_target, &o, &a, zt.as_ref())? - &ent)?;
        let v2 = (self.q(&self.q2_target, &o, &a, zt.as_ref())? - &ent)?;
        let lo = v1.minimum(&v2)?.flatten_all()?.to_vec1()?;
        let hi = v1.maximum(&v2)?.flatten_all()?.to_vec1()?;
        Ok((lo, hi))
    }

    /// `min(Q̄1, Q̄2)(s, a, z)` of the target critics (what the critic's target uses).
    pub fn target_q_min(&self, obs: &[f32], actions: &[f32], z: &[f32]) -> Result<Vec<f32>> {
        let (o, a, zt) = self.rows(obs, actions, z)?;
        let q1 = self.q(&self.q1_target, &o, &a, zt.as_ref())?;
        let q2 = self.q(&self.q2_target, &o, &a, zt.as_ref())?;
        Ok(q1.minimum(&q2)?.flatten_all()?.to_vec1()?)
    }

    /// Posterior means of `n_ctx` contexts of `len` transitions each (flat,
    /// `n_ctx × len × features`), `n_ctx × latent` values; empty without context.
    pub fn posterior_means(&self, context: &[f32], n_ctx: usize, len: usize) -> Result<Vec<f32>> {
        let Some(enc) = &self.encoder else {
            return Ok(Vec::new());
        };
        let f = context_features(self.obs_dim, self.act_dim);
        let c = Tensor::from_slice(context, (n_ctx, len, f), &Device::Cpu)?;
        Ok(enc.posterior(&c)?.mean.flatten_all()?.to_vec1()?)
    }
}
