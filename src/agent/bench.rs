//! Timing of one agent update at the shapes of the PyTorch reference
//! (`../shared/anchors/torch-update`): SAC (batch 256, 2×256, obs 27, act 8) and PEARL on SAC
//! (16 tasks × 256, 3×300, encoder 3×200 over 100 context rows, latent 5). Used by
//! `drat bench update` and `benches/update.rs`.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use super::model::{context_features, Agent};
use crate::config::Config;
use crate::data::buffer::Batch;
use crate::data::meta_batch::MetaBatch;
use crate::error::Result;
use crate::nn::dense;

/// Observation size of the reference shapes.
pub const OBS: usize = 27;
/// Action size of the reference shapes.
pub const ACT: usize = 8;

/// One of the two reference workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Plain SAC: batch 256, hidden 2×256.
    Sac,
    /// PEARL's encoder on SAC: 16 tasks × 256, hidden 3×300, encoder 3×200, context 100,
    /// latent 5.
    Pearl,
}

impl Workload {
    /// The agent settings of the workload (over the quadruped's defaults).
    fn sets(self) -> &'static [&'static str] {
        match self {
            Workload::Sac => &["agent.use_context=false", "agent.hidden=[256, 256]"],
            Workload::Pearl => &[
                "agent.use_context=true",
                "agent.hidden=[300, 300, 300]",
                "agent.encoder_hidden=[200, 200, 200]",
                "agent.latent_dim=5",
            ],
        }
    }

    /// `(tasks, rows per task, context rows per task)`.
    fn shape(self) -> (usize, usize, usize) {
        match self {
            Workload::Sac => (1, 256, 0),
            Workload::Pearl => (16, 256, 100),
        }
    }

    /// Warm-up updates, timed updates per repetition, repetitions (as the PyTorch anchor).
    pub fn schedule(self) -> (usize, usize, usize) {
        match self {
            Workload::Sac => (100, 500, 5),
            Workload::Pearl => (3, 10, 5),
        }
    }

    /// A fresh agent of the workload's shapes, weights from seed 0.
    pub fn agent(self) -> Result<Agent> {
        let sets: Vec<String> = self.sets().iter().map(|s| s.to_string()).collect();
        let cfg =
            Config::from_toml_str_with_sets("[env]\nrobot = \"quadruped\"\n", "bench", &sets)?;
        let mut rng = Pcg64::seed_from_u64(0);
        Agent::new(&cfg.agent, OBS, ACT, &mut rng)
    }

    /// A random batch of the workload's shapes.
    pub fn batch(self, rng: &mut impl Rng) -> MetaBatch {
        let (tasks, per_task, context_len) = self.shape();
        random_meta_batch(tasks, per_task, context_len, rng)
    }
}

/// A random transition batch of `n` rows at the reference shapes.
pub fn random_batch(n: usize, rng: &mut impl Rng) -> Batch {
    let mut v = |k: usize, lo: f32, hi: f32| -> Vec<f32> {
        (0..k).map(|_| rng.random_range(lo..hi)).collect()
    };
    Batch {
        obs: v(n * OBS, -1.0, 1.0),
        action: v(n * ACT, -0.99, 0.99),
        reward: v(n, 0.0, 1.0),
        next_obs: v(n * OBS, -1.0, 1.0),
        terminal: vec![0.0; n],
        achieved: v(n * 2, -1.0, 1.0),
        other_reward: vec![0.0; n],
    }
}

/// A random meta-batch: `tasks × per_task` RL rows and `context_len` context rows per task.
pub fn random_meta_batch(
    tasks: usize,
    per_task: usize,
    context_len: usize,
    rng: &mut impl Rng,
) -> MetaBatch {
    let rl = random_batch(tasks * per_task, rng);
    let f = context_features(OBS, ACT);
    let context = (0..tasks * context_len * f)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    MetaBatch {
        n_tasks: tasks,
        per_task,
        rl,
        target: Vec::new(),
        context_len,
        context,
    }
}

/// Which update to time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// [`Agent::update`], the one training uses.
    Fused,
    /// [`Agent::update_reference`], candle's autograd.
    Reference,
}

/// Speed of one workload's update.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Median milliseconds per update.
    pub ms: f64,
    /// Matmul GFLOP of one update (what the fused update multiplies; 0 for the reference,
    /// whose matmuls candle does not count).
    pub gflop: f64,
    /// GFLOP/s of a lone matmul of the workload's main shape (rows × hidden × hidden) on the
    /// same threads: the matmul speed the update could reach.
    pub gemm_gflops: f64,
}

impl Timing {
    /// Matmul GFLOP/s achieved over the whole update.
    pub fn gflops(&self) -> f64 {
        self.gflop / (self.ms * 1e-3)
    }

    /// The share of the update's time its matmuls would take at the lone-matmul speed.
    pub fn matmul_share(&self) -> f64 {
        self.gflops() / self.gemm_gflops
    }
}

/// Times `update` on `workload` on the current rayon pool: the anchor's schedule (warm-up,
/// then repetitions of timed updates), the median over repetitions.
pub fn time_update(workload: Workload, update: Update) -> Result<Timing> {
    let mut agent = workload.agent()?;
    let mut rng = Pcg64::seed_from_u64(1);
    let batch = workload.batch(&mut rng);
    let step = |agent: &mut Agent, rng: &mut Pcg64| match update {
        Update::Fused => agent.update(&batch, rng),
        Update::Reference => agent.update_reference(&batch, rng),
    };
    let (warmup, updates, reps) = workload.schedule();
    for _ in 0..warmup {
        step(&mut agent, &mut rng)?;
    }
    dense::reset_flops();
    step(&mut agent, &mut rng)?;
    let gflop = dense::flops() as f64 * 1e-9;
    let mut per_rep = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        for _ in 0..updates {
            step(&mut agent, &mut rng)?;
        }
        per_rep.push(t0.elapsed().as_secs_f64() * 1e3 / updates as f64);
    }
    per_rep.sort_by(f64::total_cmp);
    let (rows, hidden) = match workload {
        Workload::Sac => (256, 256),
        Workload::Pearl => (16 * 256, 300),
    };
    Ok(Timing {
        ms: per_rep[reps / 2],
        gflop,
        gemm_gflops: gemm_gflops(rows, hidden),
    })
}

/// GFLOP/s of `rows × hidden` times `hidden × hidden` on the current rayon pool (best of 20).
pub fn gemm_gflops(rows: usize, hidden: usize) -> f64 {
    let par = dense::Par(rayon::current_num_threads().max(1));
    let a: Vec<f32> = (0..rows * hidden).map(|i| (i % 7) as f32 * 0.1).collect();
    let w: Vec<f32> = (0..hidden * hidden).map(|i| (i % 5) as f32 * 0.1).collect();
    let mut out = vec![0.0f32; rows * hidden];
    let mut best = f64::INFINITY;
    for _ in 0..20 {
        let t0 = Instant::now();
        dense::matmul(
            (rows, hidden, hidden),
            &mut out,
            false,
            dense::View::rows(&a, hidden),
            dense::View::transposed(&w, hidden),
            par,
        );
        best = best.min(t0.elapsed().as_secs_f64());
    }
    2.0 * (rows * hidden * hidden) as f64 / best * 1e-9
}
