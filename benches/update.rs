//! Criterion benchmarks of one gradient update of the agent at the PyTorch reference's shapes
//! (`../shared/anchors/torch-update`): SAC with batch 256, hidden 2×256, obs 27, act 8; PEARL
//! with 16 tasks × 256, hidden 3×300, encoder 3×200, latent 5, context 100. Both the fused
//! update training uses and the plain autograd reference, on one thread. `drat bench update`
//! gives the same figures with GFLOP/s, on N threads.

use criterion::{criterion_group, criterion_main, Criterion};
use drat::agent::bench::Workload;
use rand::SeedableRng;

fn updates(c: &mut Criterion) {
    drat::train::set_threads(1).expect("one-thread pool");
    let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
    let mut g = c.benchmark_group("update");
    for (w, name, samples) in [
        (Workload::Sac, "sac batch 256 hidden 2x256 obs 27 act 8", 20),
        (
            Workload::Pearl,
            "pearl 16x256 hidden 3x300 encoder 3x200 latent 5 context 100",
            10,
        ),
    ] {
        g.sample_size(samples);
        let b = w.batch(&mut rng);
        let mut agent = w.agent().expect("agent builds");
        g.bench_function(format!("{name} (fused)"), |bn| {
            bn.iter(|| agent.update(&b, &mut rng).expect("update"))
        });
        let mut agent = w.agent().expect("agent builds");
        g.bench_function(format!("{name} (reference)"), |bn| {
            bn.iter(|| agent.update_reference(&b, &mut rng).expect("update"))
        });
    }
    g.finish();
}

/// One acting step of the rollout: the policy (PEARL shapes: 3×300, obs 27 + z 5 → act 8)
/// on 1, 2 and 5 rows, as the example's collection calls it per env thread.
fn acting(c: &mut Criterion) {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(2);
    let agent = Workload::Pearl.agent().expect("agent builds");
    let (od, ad, l) = (agent.obs_dim(), agent.act_dim(), agent.latent_dim());
    let mut g = c.benchmark_group("act");
    for n in [1usize, 2, 5] {
        let obs = drat::agent::normal_vec(n * od, &mut rng);
        let z = drat::agent::normal_vec(n * l, &mut rng);
        let eps = drat::agent::normal_vec(n * ad, &mut rng);
        let det = vec![false; n];
        let (mut a, mut lp) = (vec![0.0; n * ad], vec![0.0; n]);
        let mut scratch = drat::agent::ActScratch::default();
        g.bench_function(format!("policy rows {n}"), |bn| {
            bn.iter(|| {
                agent
                    .act_rows(&obs, &z, &eps, &det, &mut scratch, &mut a, &mut lp)
                    .expect("act")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, updates, acting);
criterion_main!(benches);
