//! The hand-written acting path (`Agent::act_rows`, used by every rollout and meta-test) is
//! the policy the update trains: its deterministic actions equal candle's `tanh(mean)`, and
//! its sampled actions' log-probabilities equal candle's `log π(a | s, z)`, on an agent whose
//! weights have been trained for a few iterations.

use drat::config::Config;
use drat::train::trainer::Trainer;
use rand::SeedableRng;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-5 + 1e-4 * b.abs()
}

#[test]
fn acting_rows_are_the_trained_policy() {
    let sets: Vec<String> = [
        "agent.hidden=[32, 32]",
        "agent.encoder_hidden=[32]",
        "train.initial_steps_per_task=40",
        "train.tasks_per_iteration=2",
        "train.steps_prior=20",
        "train.steps_posterior=20",
        "train.updates_per_iteration=20",
        "train.batch_size=16",
        "train.meta_batch=2",
        "train.context_size=8",
        "tasks.n_train=4",
        "tasks.n_test=2",
        "eval.tasks=2",
    ]
    .map(String::from)
    .to_vec();
    let cfg = Config::from_toml_str_with_sets("[env]\nrobot = \"point\"\n", "test", &sets).unwrap();
    let mut t = Trainer::new(&cfg).unwrap();
    t.initial_collection().unwrap();
    for _ in 0..3 {
        t.iteration().unwrap();
    }
    let agent = &t.agent;
    let (od, ad, l) = (agent.obs_dim(), agent.act_dim(), agent.latent_dim());
    let n = 7;
    let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
    let obs: Vec<f32> = drat::agent::normal_vec(n * od, &mut rng)
        .iter()
        .map(|x| 3.0 * x)
        .collect();
    let z = drat::agent::normal_vec(n * l, &mut rng);
    // Deterministic rows: the squashed mean.
    let (det, logp) = agent.act_batch(&obs, &z, &[true; 7], &mut rng).unwrap();
    let mean = agent.mean_action(&obs, &z).unwrap();
    assert!(logp.iter().all(|x| x.is_nan()));
    for (a, b) in det.iter().zip(&mean) {
        assert!(close(*a, *b), "act_rows {a} vs candle tanh(mean) {b}");
    }
    // The policy is not flat: rows differ.
    assert!(
        (0..n).any(|k| (det[k * ad] - det[0]).abs() > 1e-4),
        "{det:?}"
    );
    // Sampled rows: candle's log-density of the same actions.
    let (sampled, logp) = agent.act_batch(&obs, &z, &[false; 7], &mut rng).unwrap();
    let candle = agent.log_prob(&obs, &sampled, &z).unwrap();
    for (a, b) in logp.iter().zip(&candle) {
        assert!(
            (a - b).abs() <= 1e-3 + 1e-4 * b.abs(),
            "act_rows log π {a} vs candle {b}"
        );
    }
}
