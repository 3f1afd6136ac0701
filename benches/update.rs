//! Criterion benchmarks of one gradient update of the agent, at the sizes PyTorch reference
//! figures exist for (2-core machine, 1 thread): SAC with batch 256, hidden 2×256, obs 27,
//! act 8 (PyTorch 9.5 ms); PEARL with 16 tasks × 256, hidden 3×300, encoder 3×200, latent 5,
//! context 100 (PyTorch 301 ms). Candle runs on one thread (`RAYON_NUM_THREADS=1` is set here).

use criterion::{criterion_group, criterion_main, Criterion};
use drat::agent::{context_features, Agent, MetaBatch};
use drat::config::Config;
use drat::data::buffer::Batch;
use rand::{Rng, SeedableRng};

const OBS: usize = 27;
const ACT: usize = 8;

fn random_batch(n: usize, rng: &mut impl Rng) -> Batch {
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
    }
}

fn meta_batch(
    n_tasks: usize,
    per_task: usize,
    context_len: usize,
    rng: &mut impl Rng,
) -> MetaBatch {
    let rl = random_batch(n_tasks * per_task, rng);
    let f = context_features(OBS, ACT);
    let context = (0..n_tasks * context_len * f)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    MetaBatch {
        n_tasks,
        per_task,
        rl,
        target: Vec::new(),
        context_len,
        context,
    }
}

fn agent(sets: &[&str]) -> Agent {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let cfg = Config::from_toml_str_with_sets("[env]\nrobot = \"quadruped\"\n", "bench", &sets)
        .expect("bench config is valid");
    let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
    Agent::new(&cfg.agent, OBS, ACT, &mut rng).expect("agent builds")
}

fn updates(c: &mut Criterion) {
    // Safe: set before candle's thread pool starts, in a single-threaded bench main.
    unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
    let mut g = c.benchmark_group("update");
    g.sample_size(20);

    let mut sac = agent(&["agent.use_context=false", "agent.hidden=[256, 256]"]);
    let b = meta_batch(1, 256, 0, &mut rng);
    g.bench_function("sac batch 256 hidden 2x256 obs 27 act 8", |bn| {
        bn.iter(|| sac.update(&b, &mut rng).expect("update"))
    });

    g.sample_size(10);
    let mut pearl = agent(&[
        "agent.use_context=true",
        "agent.hidden=[300, 300, 300]",
        "agent.encoder_hidden=[200, 200, 200]",
        "agent.latent_dim=5",
    ]);
    let b = meta_batch(16, 256, 100, &mut rng);
    g.bench_function(
        "pearl 16x256 hidden 3x300 encoder 3x200 latent 5 context 100",
        |bn| bn.iter(|| pearl.update(&b, &mut rng).expect("update")),
    );
    g.finish();
}

criterion_group!(benches, updates);
criterion_main!(benches);
