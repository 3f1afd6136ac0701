//! The agent's update written plainly with candle's autograd: the reference the fused update
//! ([`super::update`]) is tested against (same losses, same random draws in the same order,
//! same Adam). Training never runs it; `tests/fused_update.rs` and `drat bench update` do.

use candle_core::{Device, Tensor};
use rand::Rng;

use super::model::{context_features, normal_vec, Agent};
use super::pearl::{self, kl_to_standard_normal};
use super::update::UpdateStats;
use crate::data::meta_batch::MetaBatch;
use crate::error::Result;
use crate::nn::{tanh_gaussian, tensor2};

impl Agent {
    /// The same step as [`Agent::update`] written plainly with candle's autograd: the
    /// reference the fused update is tested against (same random draws in the same order).
    pub fn update_reference(
        &mut self,
        batch: &MetaBatch,
        rng: &mut impl Rng,
    ) -> Result<UpdateStats> {
        let (t, b, od, ad) = (batch.n_tasks, batch.per_task, self.obs_dim, self.act_dim);
        let n = t * b;
        let rl = &batch.rl;
        let obs = tensor2(rl.obs.clone(), n, od)?;
        let act = tensor2(rl.action.clone(), n, ad)?;
        let next = tensor2(rl.next_obs.clone(), n, od)?;
        let rew = tensor2(rl.reward.clone(), n, 1)?;
        let not_done = tensor2(rl.terminal.iter().map(|d| 1.0 - d).collect(), n, 1)?;
        let alpha = self.alpha()? as f64;

        let (z, kl) = self.reference_posterior(batch, rng)?;
        let z_d = z.as_ref().map(|z| z.detach());

        let target =
            self.reference_target(batch, &next, rew, not_done, z_d.as_ref(), alpha, rng)?;
        let q1 = self.q(&self.q1, &obs, &act, z.as_ref())?;
        let q2 = self.q(&self.q2, &obs, &act, z.as_ref())?;
        let l1 = (&q1 - &target)?.sqr()?.mean_all()?;
        let l2 = (&q2 - &target)?.sqr()?.mean_all()?;
        let mut critic_loss = (&l1 + &l2)?;
        if let Some(kl) = &kl {
            critic_loss = (critic_loss + (kl * self.cfg.kl_lambda)?)?;
        }
        let g = critic_loss.backward()?;
        self.opt
            .critic
            .step(&self.params, &["q1.", "q2.", "encoder."], &g)?;

        // ALGORITHM: policy loss E[α log π(a|s) − min Q(s, a)], z detached (PEARL).
        let (m, ls) = self.policy_dist(&obs, z_d.as_ref())?;
        let eps = tensor2(normal_vec(n * ad, rng), n, ad)?;
        let (a_pi, logp) = tanh_gaussian::sample(&m, &ls, &eps)?;
        let q_pi = self
            .q(&self.q1, &obs, &a_pi, z_d.as_ref())?
            .minimum(&self.q(&self.q2, &obs, &a_pi, z_d.as_ref())?)?;
        let policy_loss = ((&logp * alpha)? - &q_pi)?.mean_all()?;
        let g = policy_loss.backward()?;
        self.opt.policy.step(&self.params, &["policy."], &g)?;

        // ALGORITHM: temperature loss −log α · (log π + target entropy), target = −|A|.
        let la = self
            .params
            .get("log_alpha")
            .expect("created by new")
            .clone();
        let target_entropy = -(ad as f64);
        let alpha_loss = (la
            .as_tensor()
            .broadcast_mul(&(logp.detach() + target_entropy)?)?
            .mean_all()?
            * -1.0)?;
        let g = alpha_loss.backward()?;
        self.opt.alpha.step(&self.params, &["log_alpha"], &g)?;

        self.params.polyak("q1.", "q1_target.", self.cfg.tau)?;
        self.params.polyak("q2.", "q2_target.", self.cfg.tau)?;

        let scalar = |x: &Tensor| -> Result<f32> { Ok(x.to_scalar::<f32>()?) };
        Ok(UpdateStats {
            q1: scalar(&l1)?,
            q2: scalar(&l2)?,
            policy: scalar(&policy_loss)?,
            alpha_loss: scalar(&alpha_loss)?,
            kl: match &kl {
                Some(k) => scalar(k)?,
                None => 0.0,
            },
            alpha: self.alpha()?,
            entropy: -scalar(&logp.mean_all()?)?,
            q_mean: scalar(&q1.mean_all()?)?,
        })
    }

    /// PEARL's task posterior of the batch's contexts: z per RL row (reparameterised, noise
    /// from `rng`) and the KL to the prior summed over tasks; `None` without context.
    fn reference_posterior(
        &self,
        batch: &MetaBatch,
        rng: &mut impl Rng,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (t, b, od, ad) = (batch.n_tasks, batch.per_task, self.obs_dim, self.act_dim);
        let n = t * b;
        // ALGORITHM: task posterior from context; z per row; KL to the prior (PEARL).
        Ok(match &self.encoder {
            Some(enc) => {
                let f = context_features(od, ad);
                let c =
                    Tensor::from_slice(&batch.context, (t, batch.context_len, f), &Device::Cpu)?;
                let post = enc.posterior(&c)?;
                let eps = Tensor::from_vec(
                    normal_vec(t * self.cfg.latent_dim, rng),
                    (t, self.cfg.latent_dim),
                    &Device::Cpu,
                )?;
                let zt = pearl::reparameterize(&post, &eps)?;
                let l = self.cfg.latent_dim;
                let rows = zt.unsqueeze(1)?.broadcast_as((t, b, l))?.reshape((n, l))?;
                (Some(rows), Some(kl_to_standard_normal(&post)?.sum_all()?))
            }
            None => (None, None),
        })
    }

    /// The critic's target rows, detached: `s·r + γ·(1 − terminal)·(min Q̄(s′, a′) −
    /// α log π(a′|s′))`, or a transferred row's fixed target.
    #[allow(clippy::too_many_arguments)]
    fn reference_target(
        &self,
        batch: &MetaBatch,
        next: &Tensor,
        rew: Tensor,
        not_done: Tensor,
        z_d: Option<&Tensor>,
        alpha: f64,
        rng: &mut impl Rng,
    ) -> Result<Tensor> {
        let (n, ad) = (batch.n_tasks * batch.per_task, self.act_dim);
        // ALGORITHM: critic target y = s·r + γ·(1 − terminal)·(min Q̄(s′, a′) − α log π(a′|s′)).
        let (m, ls) = self.policy_dist(next, z_d)?;
        let eps = tensor2(normal_vec(n * ad, rng), n, ad)?;
        let (a2, logp2) = tanh_gaussian::sample(&m, &ls, &eps)?;
        let qt = self.q(&self.q1_target, next, &a2, z_d)?.minimum(&self.q(
            &self.q2_target,
            next,
            &a2,
            z_d,
        )?)?;
        let v = (qt - (logp2 * alpha)?)?;
        let y = ((rew * self.cfg.reward_scale)? + ((not_done * v)? * self.cfg.gamma)?)?;
        // Transferred samples valued by DR/DRaE carry their own fixed target.
        if batch.target.iter().any(Option::is_some) {
            let mask: Vec<f32> = batch
                .target
                .iter()
                .map(|x| f32::from(u8::from(x.is_some())))
                .collect();
            let fixed: Vec<f32> = batch.target.iter().map(|x| x.unwrap_or(0.0)).collect();
            let mask = tensor2(mask, n, 1)?;
            let fixed = tensor2(fixed, n, 1)?;
            Ok(((y * mask.affine(-1.0, 1.0)?)? + (fixed * mask)?)?.detach())
        } else {
            Ok(y.detach())
        }
    }
}
