//! The fused agent update (hand-written gradients, in-place Adam, critics side by side) against
//! the plain candle-autograd update: same parameters after several steps on fixed batches.

use drat::agent::bench::random_meta_batch;
use drat::agent::{Agent, UpdateStats};
use drat::config::Config;
use drat::data::meta_batch::MetaBatch;
use rand::SeedableRng;
use rand_pcg::Pcg64;

fn agent(sets: &[&str]) -> Agent {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let cfg = Config::from_toml_str_with_sets("[env]\nrobot = \"quadruped\"\n", "test", &sets)
        .expect("valid config");
    let mut rng = Pcg64::seed_from_u64(7);
    Agent::new(&cfg.agent, 27, 8, &mut rng).expect("agent")
}

fn params(a: &Agent) -> Vec<(String, Vec<f32>)> {
    a.params
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                v.as_tensor().flatten_all().unwrap().to_vec1().unwrap(),
            )
        })
        .collect()
}

/// Runs `steps` updates of each kind from the same start and the same noise; returns the
/// largest parameter difference and the last stats of both.
fn compare(sets: &[&str], batch: &MetaBatch, steps: usize) -> (f32, UpdateStats, UpdateStats) {
    let (mut fused, mut plain) = (agent(sets), agent(sets));
    let (mut r1, mut r2) = (Pcg64::seed_from_u64(3), Pcg64::seed_from_u64(3));
    let (mut s1, mut s2) = (UpdateStats::default(), UpdateStats::default());
    for _ in 0..steps {
        s1 = fused.update(batch, &mut r1).unwrap();
        s2 = plain.update_reference(batch, &mut r2).unwrap();
    }
    let mut worst = 0.0f32;
    let mut moved = 0.0f32;
    let start = params(&agent(sets));
    for (((n1, a), (n2, b)), (_, s)) in params(&fused).iter().zip(&params(&plain)).zip(&start) {
        assert_eq!(n1, n2);
        for ((x, y), z) in a.iter().zip(b).zip(s) {
            worst = worst.max((x - y).abs());
            moved = moved.max((y - z).abs());
        }
    }
    // The comparison means something only if the parameters moved well beyond the tolerance.
    assert!(moved > 1e-3, "parameters barely moved ({moved})");
    (worst, s1, s2)
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn assert_stats_close(s1: &UpdateStats, s2: &UpdateStats) {
    let pairs = [
        ("q1", s1.q1, s2.q1),
        ("q2", s1.q2, s2.q2),
        ("policy", s1.policy, s2.policy),
        ("alpha_loss", s1.alpha_loss, s2.alpha_loss),
        ("kl", s1.kl, s2.kl),
        ("alpha", s1.alpha, s2.alpha),
        ("entropy", s1.entropy, s2.entropy),
        ("q_mean", s1.q_mean, s2.q_mean),
    ];
    for (name, a, b) in pairs {
        assert!(close(a, b, 1e-4), "{name}: fused {a} vs plain {b}");
    }
}

const PEARL: &[&str] = &[
    "agent.use_context=true",
    "agent.hidden=[32, 32]",
    "agent.encoder_hidden=[16, 16]",
    "agent.latent_dim=3",
    "agent.lr=1e-3",
];

#[test]
fn fused_pearl_update_equals_the_autograd_update() {
    let mut rng = Pcg64::seed_from_u64(11);
    let batch = random_meta_batch(3, 24, 10, &mut rng);
    let (worst, s1, s2) = compare(PEARL, &batch, 6);
    assert!(worst < 1e-5, "largest parameter difference {worst}");
    assert_stats_close(&s1, &s2);
}

#[test]
fn fused_update_keeps_fixed_targets_and_terminals() {
    let mut rng = Pcg64::seed_from_u64(12);
    let mut batch = random_meta_batch(2, 20, 8, &mut rng);
    batch.target = (0..40)
        .map(|i| (i % 3 == 0).then_some(i as f32 * 0.1))
        .collect();
    for i in (0..40).step_by(7) {
        batch.rl.terminal[i] = 1.0;
    }
    let (worst, s1, s2) = compare(PEARL, &batch, 4);
    assert!(worst < 1e-5, "largest parameter difference {worst}");
    assert_stats_close(&s1, &s2);
}

#[test]
fn fused_sac_update_equals_the_autograd_update() {
    let mut rng = Pcg64::seed_from_u64(13);
    let batch = random_meta_batch(1, 64, 0, &mut rng);
    let sets = [
        "agent.use_context=false",
        "agent.hidden=[48, 48]",
        "agent.lr=1e-3",
    ];
    let (worst, s1, s2) = compare(&sets, &batch, 6);
    assert!(worst < 1e-5, "largest parameter difference {worst}");
    assert_stats_close(&s1, &s2);
}

#[test]
fn fused_update_is_reproducible_on_two_threads() {
    let mut rng = Pcg64::seed_from_u64(14);
    let batch = random_meta_batch(3, 24, 10, &mut rng);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let run = || {
        let mut a = agent(PEARL);
        let mut r = Pcg64::seed_from_u64(5);
        for _ in 0..3 {
            a.update(&batch, &mut r).unwrap();
        }
        params(&a)
    };
    let (x, y) = (pool(2).install(run), pool(2).install(run));
    assert_eq!(x, y, "two runs on two threads differ");
    // And two threads agree with one up to rounding.
    let one = pool(1).install(run);
    for ((_, a), (_, b)) in x.iter().zip(&one) {
        for (p, q) in a.iter().zip(b) {
            assert!((p - q).abs() < 1e-5, "{p} vs {q}");
        }
    }
}

#[test]
fn a_meta_batch_that_does_not_match_its_columns_is_an_error() {
    let mut rng = Pcg64::seed_from_u64(15);
    let mut batch = random_meta_batch(2, 10, 5, &mut rng);
    batch.rl.reward.pop();
    let err = agent(PEARL)
        .update(&batch, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("meta-batch"), "{err}");
}
