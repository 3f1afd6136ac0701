//! A learned dynamics ratio `ρd = p_j(s′|s,a) / p_i(s′|s,a)` between train tasks, in the style of
//! DARC (Eysenbach et al. 2021, "Off-Dynamics Reinforcement Learning"; `google-research`
//! `darc/classifiers.py`): two classifiers, one on `(s, a, s′)` and one on `(s, a)`, whose
//! log-odds difference is the log density ratio.
//!
//! **Many tasks instead of two domains.** DARC separates a source from a target domain with two
//! binary classifiers. Here every train task is a class: `q_sas(k | s, a, Δ)` and `q_sa(k | s, a)`
//! are softmax classifiers over the `n` train tasks, trained with cross-entropy on balanced
//! batches of each task's own transitions (`batch_per_task` rows of every task's RL buffer).
//! By Bayes, with equal class priors, `q_sas(k|s,a,Δ) ∝ p_k(s,a)·p_k(Δ|s,a)` and
//! `q_sa(k|s,a) ∝ p_k(s,a)`, so for any pair (i, j)
//!
//! `log ρd = [ℓ_sas(j) − ℓ_sas(i)] − [ℓ_sa(j) − ℓ_sa(i)]`
//!
//! with `ℓ` the classifiers' logits (the softmax normalisers cancel). The pair of tasks enters
//! through the class indices, so one pair of networks serves every (i, j) of the train set.
//!
//! Differences from DARC's code, all deliberate: the transition input is `Δ = s′ − s` instead of
//! `s′` (the same ratio: the change of variables has unit Jacobian; the differences are what
//! the dynamics change, and they are on a smaller scale than positions); inputs are
//! standardized with per-column statistics fitted once, on the first training batch (kept in
//! the parameters, so checkpoints restore them); the Gaussian input noise (DARC's
//! `classifier noise`) is added to standardized inputs, `input_noise_std` in standard-deviation
//! units. Every random number comes from the caller's RNG.

use rand::Rng;

use crate::config::LearnedRatioConfig;
use crate::data::buffer::{Batch, TaskBuffer};
use crate::error::{Error, Result};
use crate::nn::dense::{backward, forward, LayerGrad, Par, TensorSlices, Trace, Want};
use crate::nn::{tensor2, Adam, Mlp, Params};
use rand_distr::StandardNormal;

/// Parameter name prefix of the ratio model.
const PREFIX: &str = "ratio";

/// Mean cross-entropy (nats) and accuracy of one classifier batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClassifierStats {
    /// Cross-entropy of the `(s, a, Δ)` classifier.
    pub loss_sas: f32,
    /// Cross-entropy of the `(s, a)` classifier.
    pub loss_sa: f32,
    /// Share of rows the `(s, a, Δ)` classifier assigns to their own task.
    pub accuracy_sas: f32,
}

/// The two classifiers, their input statistics and their optimizer.
pub struct RatioModel {
    /// Settings.
    pub cfg: LearnedRatioConfig,
    obs_dim: usize,
    act_dim: usize,
    n_tasks: usize,
    /// Weights and input statistics (`ratio.*`).
    pub params: Params,
    sas: Mlp,
    sa: Mlp,
    /// The classifiers' optimizer (its moments travel in checkpoints).
    pub opt: Adam,
}

impl RatioModel {
    /// Classifiers over `n_tasks` classes with weights drawn from `rng`.
    pub fn new(
        cfg: &LearnedRatioConfig,
        obs_dim: usize,
        act_dim: usize,
        n_tasks: usize,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        if n_tasks < 2 {
            return Err(Error::argument(
                "transfer.ratio",
                format!("a learned ratio needs at least 2 train tasks, got {n_tasks}"),
            ));
        }
        let mut params = Params::new();
        let d_sas = 2 * obs_dim + act_dim;
        let sas = Mlp::new(
            &mut params,
            "ratio.sas",
            d_sas,
            &cfg.hidden,
            n_tasks,
            3e-3,
            rng,
        )?;
        let sa = Mlp::new(
            &mut params,
            "ratio.sa",
            obs_dim + act_dim,
            &cfg.hidden,
            n_tasks,
            3e-3,
            rng,
        )?;
        // Input statistics: mean 0, std 1 until fitted (`ratio.norm.fitted` = 1).
        params.add("ratio.norm.mean", vec![0.0; d_sas], &[d_sas])?;
        params.add("ratio.norm.std", vec![1.0; d_sas], &[d_sas])?;
        params.add("ratio.norm.fitted", vec![0.0], &[1])?;
        // log c_ij, the self-normalizers (0 until the first training call sets them).
        params.add(
            "ratio.pair_log_norm",
            vec![0.0; n_tasks * n_tasks],
            &[n_tasks * n_tasks],
        )?;
        Ok(RatioModel {
            cfg: cfg.clone(),
            obs_dim,
            act_dim,
            n_tasks,
            params,
            sas,
            sa,
            opt: Adam::new(cfg.lr),
        })
    }

    fn d_sas(&self) -> usize {
        2 * self.obs_dim + self.act_dim
    }

    /// One of the model's parameters (all are created in [`RatioModel::new`]; a missing one is
    /// an error, not a panic).
    fn var(&self, name: &str) -> Result<&candle_core::Var> {
        self.params.get(name).ok_or_else(|| {
            Error::argument(
                "ratio",
                format!("the ratio model has no parameter `{name}`"),
            )
        })
    }

    fn values(&self, name: &str) -> Result<Vec<f32>> {
        Ok(self
            .var(name)?
            .as_tensor()
            .flatten_all()?
            .to_vec1::<f32>()?)
    }

    /// Overwrites parameter `name` with `v`.
    fn set_values(&self, name: &str, v: Vec<f32>) -> Result<()> {
        let n = v.len();
        Ok(self.var(name)?.set(&tensor2(v, 1, n)?.flatten_all()?)?)
    }

    /// Whether the input statistics have been fitted (the first training step does it).
    pub fn is_fitted(&self) -> Result<bool> {
        Ok(self.values("ratio.norm.fitted")?[0] > 0.5)
    }

    /// Rows `(s, a, s′ − s)` of a batch, unstandardized (`n × d_sas`).
    fn raw_features(&self, rows: &Batch) -> Vec<f32> {
        let (od, ad) = (self.obs_dim, self.act_dim);
        let mut x = Vec::with_capacity(rows.len() * self.d_sas());
        for t in 0..rows.len() {
            let s = &rows.obs[t * od..(t + 1) * od];
            x.extend_from_slice(s);
            x.extend_from_slice(&rows.action[t * ad..(t + 1) * ad]);
            let s2 = &rows.next_obs[t * od..(t + 1) * od];
            x.extend(s2.iter().zip(s).map(|(b, a)| b - a));
        }
        x
    }

    /// Sets the input statistics from `x` (`n × d_sas`): per-column mean and std (≥ 1e-6).
    fn fit_norm(&self, x: &[f32]) -> Result<()> {
        let d = self.d_sas();
        let n = (x.len() / d).max(1) as f64;
        let mut mean = vec![0.0f64; d];
        for row in x.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64 / n;
            }
        }
        let mut var = vec![0.0f64; d];
        for row in x.chunks_exact(d) {
            for ((s, &v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v as f64 - m).powi(2) / n;
            }
        }
        self.set_values("ratio.norm.mean", mean.iter().map(|&m| m as f32).collect())?;
        self.set_values(
            "ratio.norm.std",
            var.iter().map(|&v| v.sqrt().max(1e-6) as f32).collect(),
        )?;
        self.set_values("ratio.norm.fitted", vec![1.0])
    }

    /// Standardizes `x` in place and returns the `(s, a)` columns as their own matrix.
    fn standardize(&self, x: &mut [f32]) -> Result<Vec<f32>> {
        let (mean, std) = (
            self.values("ratio.norm.mean")?,
            self.values("ratio.norm.std")?,
        );
        let d = self.d_sas();
        let d_sa = self.obs_dim + self.act_dim;
        let mut sa = Vec::with_capacity(x.len() / d * d_sa);
        for row in x.chunks_exact_mut(d) {
            for ((v, m), s) in row.iter_mut().zip(&mean).zip(&std) {
                *v = (*v - m) / s;
            }
            sa.extend_from_slice(&row[..d_sa]);
        }
        Ok(sa)
    }

    /// Logits of both classifiers for `rows` (`n × n_tasks` each), no input noise.
    pub fn logits(&self, rows: &Batch) -> Result<(Vec<f32>, Vec<f32>)> {
        let mut x = self.raw_features(rows);
        let sa = self.standardize(&mut x)?;
        let n = rows.len();
        let run = |net: &Mlp, input: &[f32]| -> Result<Vec<f32>> {
            let g = TensorSlices::new(net.tensors());
            let mut trace = Trace::default();
            forward(&g.layers()?, input, n, &mut trace, Par::current());
            Ok(trace.output().to_vec())
        };
        Ok((run(&self.sas, &x)?, run(&self.sa, &sa)?))
    }

    /// `log ρd(t)` of each row of `rows` (data of task `i`) evaluated for task `j`.
    pub fn log_ratio(&self, rows: &Batch, i: usize, j: usize) -> Result<Vec<f32>> {
        self.log_ratio_pairs(rows, &vec![(i, j); rows.len()])
    }

    /// `log ρd` of row t of `rows` for its own pair `pairs[t] = (i, j)` (data of i, for j).
    pub fn log_ratio_pairs(&self, rows: &Batch, pairs: &[(usize, usize)]) -> Result<Vec<f32>> {
        let k = self.n_tasks;
        if pairs.len() != rows.len() {
            return Err(Error::argument(
                "ratio",
                format!("{} task pairs for {} rows", pairs.len(), rows.len()),
            ));
        }
        if let Some(&(i, j)) = pairs.iter().find(|&&(i, j)| i >= k || j >= k) {
            return Err(Error::argument(
                "ratio",
                format!("task pair ({i}, {j}) outside the {k} train tasks"),
            ));
        }
        let log_c = self.values("ratio.pair_log_norm")?;
        Ok(self
            .raw_log_ratio_pairs(rows, pairs)?
            .into_iter()
            .zip(pairs)
            .map(|(l, &(i, j))| l - log_c[i * k + j])
            .collect())
    }

    /// The classifiers' log-odds difference, before self-normalization.
    fn raw_log_ratio_pairs(&self, rows: &Batch, pairs: &[(usize, usize)]) -> Result<Vec<f32>> {
        let k = self.n_tasks;
        let (l_sas, l_sa) = self.logits(rows)?;
        Ok(pairs
            .iter()
            .enumerate()
            .map(|(t, &(i, j))| log_odds_difference(&l_sas, &l_sa, k, t, (i, j)))
            .collect())
    }

    /// Sets the self-normalizers from `rows_per_task` fresh rows of each task's replay:
    /// `c_ij = mean over i's rows of exp(raw log ρd(i→j))` (log ratios clamped to ±10), so that
    /// the normalized ratio averages 1 over i's own data, as the true ratio does
    /// (`E_{s′∼p_i}[p_j/p_i] = 1`). Without it the noise of a learned log ratio biases the
    /// ratio upwards (`E[e^ε] > 1`), and per-decision DR compounds the bias over a trajectory.
    fn set_pair_norms(
        &self,
        buffers: &[TaskBuffer],
        rows_per_task: usize,
        rng: &mut impl Rng,
    ) -> Result<()> {
        let k = self.n_tasks;
        let mut log_c = vec![0.0f32; k * k];
        for (i, b) in buffers.iter().enumerate() {
            let mut rows = Batch::default();
            b.gather_into(&b.sample_slots(rows_per_task, rng), &mut rows);
            let (l_sas, l_sa) = self.logits(&rows)?;
            let m = rows.len().max(1) as f64;
            for j in 0..k {
                let mean = (0..rows.len())
                    .map(|t| {
                        let l = log_odds_difference(&l_sas, &l_sa, k, t, (i, j));
                        (l.clamp(-10.0, 10.0) as f64).exp()
                    })
                    .sum::<f64>()
                    / m;
                log_c[i * k + j] = mean.ln() as f32;
            }
        }
        self.set_values("ratio.pair_log_norm", log_c)
    }

    /// `ρd(t) = exp(log ρd(t))`, clipped to `[0, rho_max]`.
    pub fn rho_d(&self, rows: &Batch, i: usize, j: usize, rho_max: f32) -> Result<Vec<f32>> {
        Ok(self
            .log_ratio(rows, i, j)?
            .into_iter()
            .map(|l| l.clamp(-30.0, 30.0).exp().min(rho_max))
            .collect())
    }

    /// `updates` gradient steps on both classifiers, each on a balanced batch of
    /// `batch_per_task` rows from every task's buffer (`buffers[k]` holds task k's own data).
    /// Returns the last step's statistics.
    pub fn train(
        &mut self,
        buffers: &[TaskBuffer],
        updates: usize,
        rng: &mut impl Rng,
    ) -> Result<ClassifierStats> {
        if buffers.len() != self.n_tasks || buffers.iter().any(TaskBuffer::is_empty) {
            return Err(Error::argument(
                "ratio",
                format!(
                    "training needs data of each of the {} train tasks ({} buffers, {} empty)",
                    self.n_tasks,
                    buffers.len(),
                    buffers.iter().filter(|b| b.is_empty()).count()
                ),
            ));
        }
        let mut stats = ClassifierStats::default();
        for _ in 0..updates {
            let mut rows = Batch::default();
            for b in buffers {
                b.gather_into(&b.sample_slots(self.cfg.batch_per_task, rng), &mut rows);
            }
            stats = self.step(&rows, rng)?;
        }
        self.set_pair_norms(buffers, self.cfg.batch_per_task, rng)?;
        Ok(stats)
    }

    /// One gradient step on `rows`, whose task labels are `row / batch_per_task`.
    fn step(&mut self, rows: &Batch, rng: &mut impl Rng) -> Result<ClassifierStats> {
        let mut x = self.raw_features(rows);
        if !self.is_fitted()? {
            self.fit_norm(&x)?;
        }
        let mut sa = self.standardize(&mut x)?;
        let noise = self.cfg.input_noise_std;
        if noise > 0.0 {
            for v in x.iter_mut().chain(sa.iter_mut()) {
                *v += noise * rng.sample::<f32, _>(StandardNormal);
            }
        }
        let n = rows.len();
        let labels: Vec<usize> = (0..n).map(|t| t / self.cfg.batch_per_task).collect();
        let par = Par::current();
        let mut grads: Vec<(String, Vec<f32>)> = Vec::new();
        let mut stats = ClassifierStats::default();
        for (which, net, input) in [(0, &self.sas, &x), (1, &self.sa, &sa)] {
            let g = TensorSlices::new(net.tensors());
            let layers = g.layers()?;
            let mut trace = Trace::default();
            forward(&layers, input, n, &mut trace, par);
            let (loss, acc, dy) = cross_entropy(trace.output(), &labels, self.n_tasks);
            let mut lg = vec![LayerGrad::default(); layers.len()];
            let want = Want {
                grads: Some(&mut lg),
                input: None,
            };
            backward(&layers, input, n, &mut trace, &dy, want, par);
            for (name, grad) in net
                .param_names()
                .into_iter()
                .zip(lg.into_iter().flat_map(|l| [l.w, l.b]))
            {
                grads.push((name, grad));
            }
            if which == 0 {
                (stats.loss_sas, stats.accuracy_sas) = (loss, acc);
            } else {
                stats.loss_sa = loss;
            }
        }
        let refs: Vec<(String, &[f32])> = grads.iter().map(|(n, g)| (n.clone(), &g[..])).collect();
        self.opt.step_in_place(&self.params, &refs)?;
        Ok(stats)
    }

    /// Names of the trained parameters (not the input statistics).
    pub fn trained_names(&self) -> Vec<String> {
        let mut v = self.sas.param_names();
        v.extend(self.sa.param_names());
        v
    }

    /// The prefix of every parameter name (checkpoints keep them in their own file).
    pub fn prefix() -> &'static str {
        PREFIX
    }
}

/// `[ℓ_sas(j) − ℓ_sas(i)] − [ℓ_sa(j) − ℓ_sa(i)]` of row `t` (logits `n × k`).
fn log_odds_difference(
    l_sas: &[f32],
    l_sa: &[f32],
    k: usize,
    t: usize,
    (i, j): (usize, usize),
) -> f32 {
    (l_sas[t * k + j] - l_sas[t * k + i]) - (l_sa[t * k + j] - l_sa[t * k + i])
}

/// Mean softmax cross-entropy of `logits` (`n × k`) against `labels`, the share of rows whose
/// largest logit is their label, and `∂loss/∂logits = (softmax − onehot) / n`.
pub fn cross_entropy(logits: &[f32], labels: &[usize], k: usize) -> (f32, f32, Vec<f32>) {
    let n = labels.len();
    let mut dy = vec![0.0f32; n * k];
    let (mut loss, mut hits) = (0.0f64, 0usize);
    for (t, &y) in labels.iter().enumerate() {
        let row = &logits[t * k..(t + 1) * k];
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f64 = row.iter().map(|&l| ((l - max) as f64).exp()).sum();
        loss += sum.ln() - (row[y] - max) as f64;
        hits += usize::from(row[y] >= max);
        for (c, d) in dy[t * k..(t + 1) * k].iter_mut().enumerate() {
            let p = ((row[c] - max) as f64).exp() / sum;
            *d = ((p - f64::from(u8::from(c == y))) / n as f64) as f32;
        }
    }
    (
        (loss / n.max(1) as f64) as f32,
        hits as f32 / n.max(1) as f32,
        dy,
    )
}

/// Pearson correlation of `a` and `b` (NaN when either is constant) and the RMSE of `b − a`.
pub fn correlation_and_rmse(a: &[f32], b: &[f32]) -> (f64, f64) {
    let n = a.len().min(b.len()).max(1) as f64;
    let ma = a.iter().map(|&v| v as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb, mut se) = (0.0, 0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
        se += (y as f64 - x as f64).powi(2);
    }
    let r = if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        f64::NAN
    };
    (r, (se / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::buffer::Transition;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    /// A transition `s → s2` under `a` with no reward.
    fn step<'a>(s: &'a [f32], a: &'a [f32], s2: &'a [f32]) -> Transition<'a> {
        Transition {
            obs: s,
            action: a,
            reward: 0.0,
            next_obs: s2,
            terminal: false,
            achieved: [0.0, 0.0],
            other_reward: 0.0,
        }
    }

    /// The gradient of the cross-entropy equals its finite difference.
    #[test]
    fn cross_entropy_gradient_matches_finite_differences() {
        let logits = vec![0.3f32, -1.2, 2.0, 0.1, 0.0, -0.4];
        let labels = [2usize, 1];
        let (l0, acc, dy) = cross_entropy(&logits, &labels, 3);
        assert!(
            (acc - 0.5).abs() < 1e-6,
            "row 0 is right, row 1 is not: {acc}"
        );
        // By hand, row 0: log(e^0.3 + e^-1.2 + e^2) − 2.
        let r0 = (0.3f64.exp() + (-1.2f64).exp() + 2.0f64.exp()).ln() - 2.0;
        let r1 = (0.1f64.exp() + 1.0 + (-0.4f64).exp()).ln();
        assert!((l0 as f64 - (r0 + r1) / 2.0).abs() < 1e-6);
        for c in 0..6 {
            let mut up = logits.clone();
            up[c] += 1e-3;
            let mut dn = logits.clone();
            dn[c] -= 1e-3;
            let fd = (cross_entropy(&up, &labels, 3).0 - cross_entropy(&dn, &labels, 3).0) / 2e-3;
            assert!((fd - dy[c]).abs() < 1e-3, "logit {c}: {fd} vs {}", dy[c]);
        }
    }

    /// Three 1-D "tasks" share their state-action distribution; task k's next state is
    /// s + a + N(μ_k, σ²). The exact log ratio of j over i is
    /// `((Δ−μ_i)² − (Δ−μ_j)²) / (2σ²)`, linear in Δ; the learned one must track it.
    #[test]
    fn learned_log_ratio_tracks_the_exact_one_on_gaussian_shifts() {
        let mu = [-0.1f32, 0.0, 0.15];
        let sigma = 0.1f32;
        let mut rng = Pcg64::seed_from_u64(7);
        let mut buffers = Vec::new();
        for &m in &mu {
            let mut b = TaskBuffer::new(1, 1, 4000);
            for _ in 0..4000 {
                let s = [rng.random_range(-1.0f32..1.0)];
                let a = [rng.random_range(-1.0f32..1.0)];
                let s2 = [s[0] + a[0] + m + sigma * rng.sample::<f32, _>(StandardNormal)];
                b.push(&step(&s, &a, &s2), false);
            }
            buffers.push(b);
        }
        let cfg = LearnedRatioConfig {
            hidden: vec![32, 32],
            lr: 3e-3,
            updates_per_iteration: 1,
            batch_per_task: 128,
            input_noise_std: 0.0,
        };
        let mut m = RatioModel::new(&cfg, 1, 1, 3, &mut rng).unwrap();
        let before = m.train(&buffers, 1, &mut rng).unwrap();
        let after = m.train(&buffers, 1500, &mut rng).unwrap();
        assert!(
            after.loss_sas < before.loss_sas - 0.2,
            "{before:?} → {after:?}"
        );
        // The (s, a) classifier cannot tell the tasks apart: near log 3.
        assert!((after.loss_sa - 3f32.ln()).abs() < 0.05, "{after:?}");
        // Fresh rows of task 0, evaluated for task 2.
        let mut rows = Batch::default();
        let mut exact = Vec::new();
        for _ in 0..400 {
            let s = [rng.random_range(-1.0f32..1.0)];
            let a = [rng.random_range(-1.0f32..1.0)];
            let d = mu[0] + sigma * rng.sample::<f32, _>(StandardNormal);
            let s2 = [s[0] + a[0] + d];
            rows.push(&step(&s, &a, &s2));
            exact.push(((d - mu[0]).powi(2) - (d - mu[2]).powi(2)) / (2.0 * sigma * sigma));
        }
        let learned = m.log_ratio(&rows, 0, 2).unwrap();
        let (r, rmse) = correlation_and_rmse(&exact, &learned);
        let sd = correlation_and_rmse(&exact, &vec![0.0; exact.len()]).1;
        assert!(r > 0.95, "correlation {r}");
        assert!(
            rmse < 0.35 * sd,
            "rmse {rmse} vs the exact ratio's spread {sd}"
        );
        // The classifiers' log-odds difference is antisymmetric in the pair.
        let pairs = |i, j| vec![(i, j); rows.len()];
        let raw = m.raw_log_ratio_pairs(&rows, &pairs(0, 2)).unwrap();
        let back = m.raw_log_ratio_pairs(&rows, &pairs(2, 0)).unwrap();
        assert!(raw.iter().zip(&back).all(|(a, b)| (a + b).abs() < 1e-4));
        // Self-normalized: the ratio averages 1 over the source task's own (fresh) data, as
        // the true one does.
        let mean = learned.iter().map(|&l| (l as f64).exp()).sum::<f64>() / learned.len() as f64;
        let exact_mean = exact.iter().map(|&l| (l as f64).exp()).sum::<f64>() / exact.len() as f64;
        assert!(
            (mean - 1.0).abs() < 0.15,
            "mean learned ratio {mean} (exact {exact_mean})"
        );
        // A task against itself: 0.
        assert!(m.log_ratio(&rows, 1, 1).unwrap().iter().all(|&v| v == 0.0));
        assert!(m.log_ratio(&rows, 0, 3).is_err());
    }
}
