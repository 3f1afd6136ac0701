//! The agent's update with every gradient written out: the same losses, the same random draws
//! in the same order and the same Adam as [`Agent::update_reference`] (candle's autograd),
//! equal to it up to float rounding (tested), at a fraction of the cost.
//!
//! Where the time goes in the autograd form, and what replaces it here:
//! - a fresh tensor for every intermediate (page clearing of multi-megabyte buffers) → one
//!   `Workspace` (`workspace.rs`) reused across updates;
//! - gradients nobody uses (the critics' weight gradients of the policy loss, the gradient of
//!   the observations) → each backward pass computes only what its optimizer steps;
//! - z broadcast to every row and concatenated op by op → one copy into the input rows;
//! - dozens of small elementwise kernels for the tanh-Gaussian and the product of Gaussians →
//!   one plain loop each, with the derivatives below;
//! - Adam copying each parameter out to a `Vec` and back → one in-place pass per buffer;
//! - twin critics one after the other → side by side on two threads when there are two.
//!
//! Derivatives (per element; `e` the reparameterisation noise, fixed):
//! - policy sample `u = μ + σ·e`, `σ = exp(clamp(ℓ))`, `a = tanh(u)`,
//!   `log π = Σ −½e² − ℓ − ½log 2π − log(1 − tanh² u)`, and `∂ log(1 − tanh² u)/∂u = −2a`, so
//!   `∂L/∂μ = ∂L/∂a·(1 − a²) + ∂L/∂log π·2a` and `∂L/∂ℓ = ∂L/∂μ·σ·e − ∂L/∂log π` (0 where the
//!   clamp holds);
//! - posterior (per task and latent dimension) `pᵢ = 1/max(softplus_scalar(sᵢ), 1e-7)`, `P = Σpᵢ`,
//!   `S = Σμᵢpᵢ`, `V = 1/P`, `m = V·S`, `z = m + √V·e`, `KL = ½(V + m² − 1 − log V)`:
//!   `∂m = ∂z + λm`, `∂V = ∂z·e/(2√V) + ½λ(1 − 1/V) + ∂m·S`, `∂μᵢ = ∂m·V·pᵢ`,
//!   `∂pᵢ = ∂m·V·μᵢ − ∂V·V²`, `∂sᵢ = −∂pᵢ·pᵢ²·sigmoid(sᵢ)`.

use std::ops::Range;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::model::{normal_vec, Agent, LOG_STD_MAX, LOG_STD_MIN};
use super::workspace::{Critic, Workspace};
use crate::data::meta_batch::MetaBatch;
use crate::error::{Error, Result};
use crate::nn::dense::{backward, forward, Layer, LayerGrad, Par, TensorSlices, Want};
use crate::nn::{tanh_gaussian::HALF_LOG_2PI, Mlp};

/// Losses and statistics of one update.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct UpdateStats {
    /// Q1 regression loss.
    pub q1: f32,
    /// Q2 regression loss.
    pub q2: f32,
    /// Policy loss.
    pub policy: f32,
    /// Temperature loss.
    pub alpha_loss: f32,
    /// KL of the task posteriors to the prior (sum over tasks).
    pub kl: f32,
    /// Temperature α after the update.
    pub alpha: f32,
    /// Mean policy entropy estimate (−log π).
    pub entropy: f32,
    /// Mean Q of the batch.
    pub q_mean: f32,
}

impl UpdateStats {
    /// Adds `o` field by field (for means over updates).
    pub fn add(&mut self, o: &UpdateStats) {
        self.q1 += o.q1;
        self.q2 += o.q2;
        self.policy += o.policy;
        self.alpha_loss += o.alpha_loss;
        self.kl += o.kl;
        self.alpha += o.alpha;
        self.entropy += o.entropy;
        self.q_mean += o.q_mean;
    }

    /// Every field times `k`.
    pub fn scaled(&self, k: f32) -> UpdateStats {
        UpdateStats {
            q1: self.q1 * k,
            q2: self.q2 * k,
            policy: self.policy * k,
            alpha_loss: self.alpha_loss * k,
            kl: self.kl * k,
            alpha: self.alpha * k,
            entropy: self.entropy * k,
            q_mean: self.q_mean * k,
        }
    }
}

/// The task posterior of one update, per task and latent dimension.
struct PosteriorPass {
    /// `Σ pᵢ` and `Σ μᵢ pᵢ`.
    p: Vec<f32>,
    s: Vec<f32>,
    mean: Vec<f32>,
    var: Vec<f32>,
    eps: Vec<f32>,
    /// z per task, `tasks × latent`.
    z: Vec<f32>,
    kl: f32,
}

/// Shapes of one update.
#[derive(Clone, Copy)]
struct Dims {
    n: usize,
    per_task: usize,
    od: usize,
    ad: usize,
    l: usize,
    par: Par,
}

impl Dims {
    /// Threads for each of two things run side by side.
    fn half(self) -> Par {
        Par((self.par.0 / 2).max(1))
    }
}

/// Runs `a` and `b` side by side when there is more than one thread.
fn join<A: Send, B: Send>(
    par: Par,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if par.0 > 1 {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// Rows `[part₀ | part₁ | … | z of the row's task]` into `out`.
fn concat_rows(out: &mut Vec<f32>, d: Dims, parts: &[(&[f32], usize)], z: &[f32]) {
    let width: usize = parts.iter().map(|p| p.1).sum::<usize>() + d.l;
    out.clear();
    out.reserve(d.n * width);
    for r in 0..d.n {
        for &(x, w) in parts {
            out.extend_from_slice(&x[r * w..(r + 1) * w]);
        }
        let t = r / d.per_task;
        out.extend_from_slice(&z[t * d.l..(t + 1) * d.l]);
    }
}

fn softplus_scalar(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Tanh-Gaussian draws from policy outputs (`n × 2·act`: means, then log-stds): actions and
/// their log-probabilities.
fn squash(out: &[f32], eps: &[f32], ad: usize, actions: &mut Vec<f32>, logp: &mut Vec<f32>) {
    actions.clear();
    logp.clear();
    for (row, e) in out.chunks_exact(2 * ad).zip(eps.chunks_exact(ad)) {
        let mut lp = 0.0f32;
        for i in 0..ad {
            let ls = row[ad + i].clamp(LOG_STD_MIN as f32, LOG_STD_MAX as f32);
            let u = row[i] + ls.exp() * e[i];
            // log(1 − tanh² u) = 2·(log 2 − u − softplus_scalar(−2u))
            let log_det = 2.0 * (std::f32::consts::LN_2 - u - softplus_scalar(-2.0 * u));
            lp += -0.5 * e[i] * e[i] - ls - HALF_LOG_2PI as f32 - log_det;
            actions.push(u.tanh());
        }
        logp.push(lp);
    }
}

/// Parameter names with their gradients, in the order [`Mlp::param_names`] gives.
fn named<'a>(net: &Mlp, grads: &'a [LayerGrad]) -> Vec<(String, &'a [f32])> {
    let flat = grads.iter().flat_map(|g| [&g.w[..], &g.b[..]]);
    net.param_names().into_iter().zip(flat).collect()
}

impl Agent {
    /// One gradient step of critic (+ encoder), policy and temperature, then target averaging.
    /// `rng` draws the reparameterisation noise. Gradients are written out by hand, buffers are
    /// reused and the twin critics run side by side on two threads (this file); the result
    /// equals [`Agent::update_reference`]'s up to float rounding.
    pub fn update(
        &mut self,
        batch: &MetaBatch,
        rng: &mut (impl Rng + Send),
    ) -> Result<UpdateStats> {
        self.update_fused(batch, rng)
    }
}

impl Agent {
    /// The fused update (see the module docs).
    fn update_fused(
        &mut self,
        batch: &MetaBatch,
        rng: &mut (impl Rng + Send),
    ) -> Result<UpdateStats> {
        let mut ws = std::mem::take(&mut self.ws);
        let par = Par::current();
        // With threads, the whole step runs on one of the pool's threads, so its many short
        // parallel sections do not each hand work over from outside the pool.
        let out = if par.0 > 1 && rayon::current_thread_index().is_none() {
            rayon::scope(|_| self.fused_step(batch, rng, &mut ws))
        } else {
            self.fused_step(batch, rng, &mut ws)
        };
        self.ws = ws;
        out
    }

    fn dims(&self, batch: &MetaBatch) -> Result<Dims> {
        let (od, ad, l) = (self.obs_dim, self.act_dim, self.latent_dim());
        let n = batch.n_tasks * batch.per_task;
        let rl = &batch.rl;
        let f = super::model::context_features(od, ad);
        let ok = n > 0
            && rl.obs.len() == n * od
            && rl.next_obs.len() == n * od
            && rl.action.len() == n * ad
            && rl.reward.len() == n
            && rl.terminal.len() == n
            && (batch.target.is_empty() || batch.target.len() == n)
            && (l == 0
                || (batch.context_len > 0
                    && batch.context.len() == batch.n_tasks * batch.context_len * f));
        if !ok {
            return Err(Error::argument(
                "meta-batch",
                format!(
                    "{} tasks × {} rows (context {}) do not match its columns for obs {od}, act {ad}",
                    batch.n_tasks, batch.per_task, batch.context_len
                ),
            ));
        }
        Ok(Dims {
            n,
            per_task: batch.per_task,
            od,
            ad,
            l,
            par: Par::current(),
        })
    }

    fn fused_step(
        &mut self,
        batch: &MetaBatch,
        rng: &mut impl Rng,
        ws: &mut Workspace,
    ) -> Result<UpdateStats> {
        let d = self.dims(batch)?;
        let alpha = self.alpha()?;
        // ALGORITHM: task posterior from context; z per task; KL to the prior (PEARL).
        let post = self.posterior_forward(batch, d, rng, ws)?;
        let z = post.as_ref().map_or(&[][..], |p| &p.z[..]);
        // ALGORITHM: critic target y = s·r + γ·(1 − terminal)·(min Q̄(s′, a′) − α log π(a′|s′)).
        self.critic_target(batch, d, z, alpha, rng, ws)?;
        let (l1, l2, q_mean) = self.critic_step(batch, d, post.as_ref(), ws)?;
        // ALGORITHM: policy loss E[α log π(a|s) − min Q(s, a)], z detached (PEARL).
        let policy_loss = self.policy_step(batch, d, z, alpha, rng, ws)?;
        // ALGORITHM: temperature loss −log α · (log π + target entropy), target = −|A|.
        let mean_logp = ws.logp.iter().map(|&x| x as f64).sum::<f64>() / d.n as f64;
        let la = self.log_alpha()?;
        let target_entropy = -(d.ad as f64);
        let alpha_loss = -(la as f64) * (mean_logp + target_entropy);
        let g = [-(mean_logp + target_entropy) as f32];
        self.opt
            .alpha
            .step_in_place(&self.params, &[("log_alpha".to_string(), &g[..])])?;
        self.params.polyak("q1.", "q1_target.", self.cfg.tau)?;
        self.params.polyak("q2.", "q2_target.", self.cfg.tau)?;
        Ok(UpdateStats {
            q1: l1,
            q2: l2,
            policy: policy_loss,
            alpha_loss: alpha_loss as f32,
            kl: post.as_ref().map_or(0.0, |p| p.kl),
            alpha: self.alpha()?,
            entropy: -mean_logp as f32,
            q_mean,
        })
    }

    /// The encoder's forward pass and the product of Gaussians per task; draws z.
    fn posterior_forward(
        &self,
        batch: &MetaBatch,
        d: Dims,
        rng: &mut impl Rng,
        ws: &mut Workspace,
    ) -> Result<Option<PosteriorPass>> {
        let Some(enc) = &self.encoder else {
            return Ok(None);
        };
        let (t, c, l) = (batch.n_tasks, batch.context_len, d.l);
        let eps = normal_vec(t * l, rng);
        let g = TensorSlices::new(enc.net().tensors());
        forward(&g.layers()?, &batch.context, t * c, &mut ws.encoder, d.par);
        let out = ws.encoder.output();
        let mut p = PosteriorPass {
            p: vec![0.0; t * l],
            s: vec![0.0; t * l],
            mean: vec![0.0; t * l],
            var: vec![0.0; t * l],
            eps,
            z: vec![0.0; t * l],
            kl: 0.0,
        };
        for row in 0..t * c {
            let task = row / c;
            for j in 0..l {
                let (mu, s) = (out[row * 2 * l + j], out[row * 2 * l + l + j]);
                let prec = 1.0 / softplus_scalar(s).max(1e-7);
                p.p[task * l + j] += prec;
                p.s[task * l + j] += mu * prec;
            }
        }
        let mut kl = 0.0f64;
        for k in 0..t * l {
            let var = 1.0 / p.p[k];
            let mean = var * p.s[k];
            p.var[k] = var;
            p.mean[k] = mean;
            p.z[k] = mean + var.sqrt() * p.eps[k];
            kl += 0.5 * (var + mean * mean - 1.0 - var.ln()) as f64;
        }
        p.kl = kl as f32;
        Ok(Some(p))
    }

    /// Fills `ws.y`, the critic's regression targets.
    fn critic_target(
        &self,
        batch: &MetaBatch,
        d: Dims,
        z: &[f32],
        alpha: f32,
        rng: &mut impl Rng,
        ws: &mut Workspace,
    ) -> Result<()> {
        let (n, rl) = (d.n, &batch.rl);
        concat_rows(&mut ws.x_pi, d, &[(&rl.next_obs, d.od)], z);
        {
            let g = TensorSlices::new(self.policy.tensors());
            forward(&g.layers()?, &ws.x_pi, n, &mut ws.policy, d.par);
        }
        let eps = normal_vec(n * d.ad, rng);
        squash(
            ws.policy.output(),
            &eps,
            d.ad,
            &mut ws.actions,
            &mut ws.logp,
        );
        concat_rows(
            &mut ws.x_q,
            d,
            &[(&rl.next_obs, d.od), (&ws.actions, d.ad)],
            z,
        );
        let (g1, g2) = (
            TensorSlices::new(self.q1_target.tensors()),
            TensorSlices::new(self.q2_target.tensors()),
        );
        let (l1, l2) = (g1.layers()?, g2.layers()?);
        let [c1, c2] = &mut ws.critics;
        let x = &ws.x_q;
        join(
            d.par,
            || forward(&l1, x, n, &mut c1.trace, d.half()),
            || forward(&l2, x, n, &mut c2.trace, d.half()),
        );
        let (q1, q2) = (c1.trace.output(), c2.trace.output());
        let (rs, gamma) = (self.cfg.reward_scale as f32, self.cfg.gamma as f32);
        ws.y.clear();
        for r in 0..n {
            let v = q1[r].min(q2[r]) - alpha * ws.logp[r];
            let y = rs * rl.reward[r] + gamma * ((1.0 - rl.terminal[r]) * v);
            // Transferred samples valued by DR/DRaE carry their own fixed target.
            ws.y.push(batch.target.get(r).copied().flatten().unwrap_or(y));
        }
        Ok(())
    }

    /// One critic (and encoder) gradient step; returns the two regression losses and the
    /// mean of Q1.
    fn critic_step(
        &mut self,
        batch: &MetaBatch,
        d: Dims,
        post: Option<&PosteriorPass>,
        ws: &mut Workspace,
    ) -> Result<(f32, f32, f32)> {
        let (n, rl) = (d.n, &batch.rl);
        let z = post.map_or(&[][..], |p| &p.z[..]);
        concat_rows(&mut ws.x_q, d, &[(&rl.obs, d.od), (&rl.action, d.ad)], z);
        let z_cols = d.od + d.ad..d.od + d.ad + d.l;
        let ((l1, q_mean), (l2, _)) = {
            let (g1, g2) = (
                TensorSlices::new(self.q1.tensors()),
                TensorSlices::new(self.q2.tensors()),
            );
            let (n1, n2) = (g1.layers()?, g2.layers()?);
            let [c1, c2] = &mut ws.critics;
            let (x, y, half) = (&ws.x_q, &ws.y, d.half());
            join(
                d.par,
                || regress(&n1, x, y, n, z_cols.clone(), c1, half),
                || regress(&n2, x, y, n, z_cols.clone(), c2, half),
            )
        };
        if let Some(p) = post {
            self.encoder_backward(batch, d, p, ws)?;
        }
        let mut grads = named(&self.q1, &ws.critics[0].grads);
        grads.extend(named(&self.q2, &ws.critics[1].grads));
        if let (Some(_), Some(enc)) = (post, &self.encoder) {
            grads.extend(named(enc.net(), &ws.encoder_grads));
        }
        self.opt.critic.step_in_place(&self.params, &grads)?;
        Ok((l1, l2, q_mean))
    }

    /// The encoder's weight gradients from the critics' gradient of z and the KL term.
    fn encoder_backward(
        &self,
        batch: &MetaBatch,
        d: Dims,
        p: &PosteriorPass,
        ws: &mut Workspace,
    ) -> Result<()> {
        let Some(enc) = &self.encoder else {
            return Ok(());
        };
        let (t, c, l) = (batch.n_tasks, batch.context_len, d.l);
        let lambda = self.cfg.kl_lambda as f32;
        // ∂L/∂z per task: the rows' gradients summed.
        let mut dz = vec![0.0f32; t * l];
        let [c1, c2] = &ws.critics;
        for r in 0..d.n {
            let task = r / d.per_task;
            for j in 0..l {
                dz[task * l + j] += c1.dx[r * l + j] + c2.dx[r * l + j];
            }
        }
        let out = ws.encoder.output();
        ws.d_out.clear();
        ws.d_out.resize(t * c * 2 * l, 0.0);
        for (k, &dz) in dz.iter().enumerate() {
            let (task, j) = (k / l, k % l);
            let (mean, var) = (p.mean[k], p.var[k]);
            let dmean = dz + lambda * mean;
            let dvar = dz * p.eps[k] * 0.5 / var.sqrt()
                + lambda * 0.5 * (1.0 - 1.0 / var)
                + dmean * p.s[k];
            let ds = dmean * var;
            let dp_sum = -dvar * var * var;
            for row in task * c..(task + 1) * c {
                let (mu, s) = (out[row * 2 * l + j], out[row * 2 * l + l + j]);
                let sp = softplus_scalar(s);
                let prec = 1.0 / sp.max(1e-7);
                let dprec = ds * mu + dp_sum;
                let dsp = if sp < 1e-7 { 0.0 } else { -dprec * prec * prec };
                let sigmoid = 1.0 / (1.0 + (-s).exp());
                ws.d_out[row * 2 * l + j] = ds * prec;
                ws.d_out[row * 2 * l + l + j] = dsp * sigmoid;
            }
        }
        let g = TensorSlices::new(enc.net().tensors());
        let layers = g.layers()?;
        ws.encoder_grads
            .resize_with(layers.len(), LayerGrad::default);
        backward(
            &layers,
            &batch.context,
            t * c,
            &mut ws.encoder,
            &ws.d_out,
            Want {
                grads: Some(&mut ws.encoder_grads),
                input: None,
            },
            d.par,
        );
        Ok(())
    }

    /// One policy gradient step; returns the policy loss. Leaves the batch's `log π` in
    /// `ws.logp`.
    fn policy_step(
        &mut self,
        batch: &MetaBatch,
        d: Dims,
        z: &[f32],
        alpha: f32,
        rng: &mut impl Rng,
        ws: &mut Workspace,
    ) -> Result<f32> {
        let (n, ad, rl) = (d.n, d.ad, &batch.rl);
        concat_rows(&mut ws.x_pi, d, &[(&rl.obs, d.od)], z);
        let pg = TensorSlices::new(self.policy.tensors());
        let pl = pg.layers()?;
        forward(&pl, &ws.x_pi, n, &mut ws.policy, d.par);
        let eps = normal_vec(n * ad, rng);
        squash(ws.policy.output(), &eps, ad, &mut ws.actions, &mut ws.logp);
        concat_rows(&mut ws.x_q, d, &[(&rl.obs, d.od), (&ws.actions, ad)], z);
        let loss = {
            let (g1, g2) = (
                TensorSlices::new(self.q1.tensors()),
                TensorSlices::new(self.q2.tensors()),
            );
            let (n1, n2) = (g1.layers()?, g2.layers()?);
            self.action_gradient(d, &n1, &n2, alpha, ws)
        };
        // ∂L/∂a is now the two critics' dx summed; through the squashed Gaussian.
        let dlogp = alpha / n as f32;
        let out = ws.policy.output();
        ws.d_out.clear();
        ws.d_out.resize(n * 2 * ad, 0.0);
        let [c1, c2] = &ws.critics;
        for r in 0..n {
            for i in 0..ad {
                let (mean, raw) = (out[r * 2 * ad + i], out[r * 2 * ad + ad + i]);
                let ls = raw.clamp(LOG_STD_MIN as f32, LOG_STD_MAX as f32);
                let (sigma, e) = (ls.exp(), eps[r * ad + i]);
                let a = (mean + sigma * e).tanh();
                let da = c1.dx[r * ad + i] + c2.dx[r * ad + i];
                let dmean = da * (1.0 - a * a) + dlogp * 2.0 * a;
                let free = raw >= LOG_STD_MIN as f32 && raw <= LOG_STD_MAX as f32;
                ws.d_out[r * 2 * ad + i] = dmean;
                ws.d_out[r * 2 * ad + ad + i] = if free { dmean * sigma * e - dlogp } else { 0.0 };
            }
        }
        ws.policy_grads.resize_with(pl.len(), LayerGrad::default);
        backward(
            &pl,
            &ws.x_pi,
            n,
            &mut ws.policy,
            &ws.d_out,
            Want {
                grads: Some(&mut ws.policy_grads),
                input: None,
            },
            d.par,
        );
        drop(pl);
        drop(pg);
        let grads = named(&self.policy, &ws.policy_grads);
        self.opt.policy.step_in_place(&self.params, &grads)?;
        Ok(loss)
    }

    /// Both critics at `(s, a_π, z)` (in `ws.x_q`), the loss `mean(α·log π − min Q)`, and each
    /// critic's gradient of it with respect to the action columns (left in its `dx`).
    fn action_gradient(
        &self,
        d: Dims,
        n1: &[Layer<'_>],
        n2: &[Layer<'_>],
        alpha: f32,
        ws: &mut Workspace,
    ) -> f32 {
        let n = d.n;
        let [c1, c2] = &mut ws.critics;
        let x = &ws.x_q;
        join(
            d.par,
            || forward(n1, x, n, &mut c1.trace, d.half()),
            || forward(n2, x, n, &mut c2.trace, d.half()),
        );
        let (q1, q2) = (c1.trace.output(), c2.trace.output());
        let mut loss = 0.0f64;
        c1.dq.clear();
        c2.dq.clear();
        let g = -1.0 / n as f32;
        for r in 0..n {
            loss += (alpha * ws.logp[r] - q1[r].min(q2[r])) as f64;
            // min's gradient goes to the smaller critic (half each on a tie, as candle's).
            let (w1, w2) = match q1[r].partial_cmp(&q2[r]) {
                Some(std::cmp::Ordering::Less) => (1.0, 0.0),
                Some(std::cmp::Ordering::Greater) => (0.0, 1.0),
                _ => (0.5, 0.5),
            };
            c1.dq.push(g * w1);
            c2.dq.push(g * w2);
        }
        let cols = d.od..d.od + d.ad;
        join(
            d.par,
            || input_gradient(n1, x, n, cols.clone(), c1, d.half()),
            || input_gradient(n2, x, n, cols.clone(), c2, d.half()),
        );
        (loss / n as f64) as f32
    }
}

/// One critic's regression `mean((Q − y)²)`: forward, loss, weight gradients and the gradient
/// of the `z_cols` input columns. Returns (loss, mean Q).
fn regress(
    layers: &[Layer<'_>],
    x: &[f32],
    y: &[f32],
    n: usize,
    z_cols: Range<usize>,
    c: &mut Critic,
    par: Par,
) -> (f32, f32) {
    forward(layers, x, n, &mut c.trace, par);
    let q = c.trace.output();
    let (mut loss, mut sum) = (0.0f64, 0.0f64);
    c.dq.clear();
    for (&q, &y) in q.iter().zip(y) {
        let e = q - y;
        loss += (e * e) as f64;
        sum += q as f64;
        c.dq.push(2.0 * e / n as f32);
    }
    c.grads.resize_with(layers.len(), LayerGrad::default);
    c.dx.resize(n * z_cols.len(), 0.0);
    let input = (!z_cols.is_empty()).then_some((z_cols, &mut c.dx[..]));
    backward(
        layers,
        x,
        n,
        &mut c.trace,
        &c.dq,
        Want {
            grads: Some(&mut c.grads),
            input,
        },
        par,
    );
    ((loss / n as f64) as f32, (sum / n as f64) as f32)
}

/// One critic's gradient of its `dq`-weighted output with respect to input columns `cols`.
fn input_gradient(
    layers: &[Layer<'_>],
    x: &[f32],
    n: usize,
    cols: Range<usize>,
    c: &mut Critic,
    par: Par,
) {
    c.dx.resize(n * cols.len(), 0.0);
    backward(
        layers,
        x,
        n,
        &mut c.trace,
        &c.dq,
        Want {
            grads: None,
            input: Some((cols, &mut c.dx[..])),
        },
        par,
    );
}
