//! `drat diagnose ratio` on a small noisy point-robot run: the learned log ratio tracks the
//! exact one on fresh transitions, the table's buckets partition the samples, and a run
//! without exact densities is refused with a named error.

use drat::config::Config;
use drat::diagnostics::ratio_calibration::{episode_sums, fresh_model, sample, table};
use drat::train::trainer::Trainer;
use rand::SeedableRng;

fn small_point(noise: f32) -> Trainer {
    let sets: Vec<String> = [
        "agent.hidden=[16, 16]",
        "agent.encoder_hidden=[16]",
        "train.initial_steps_per_task=600",
        "train.initial_actions=\"held-uniform\"",
        "train.tasks_per_iteration=2",
        "train.steps_prior=20",
        "train.steps_posterior=20",
        "train.updates_per_iteration=2",
        "train.batch_size=16",
        "train.meta_batch=2",
        "train.context_size=8",
        "tasks.n_train=4",
        "tasks.n_test=2",
        "eval.tasks=2",
        "tasks.dynamics.randomize=true",
    ]
    .map(String::from)
    .into_iter()
    .chain([format!("env.point.noise_std={noise}")])
    .collect();
    let cfg = Config::from_toml_str_with_sets("[env]\nrobot = \"point\"\n", "test", &sets).unwrap();
    let mut t = Trainer::new(&cfg).unwrap();
    t.iteration().unwrap();
    t
}

#[test]
fn learned_log_ratio_tracks_the_exact_one_and_the_table_partitions_the_samples() {
    let t = small_point(0.05);
    let (view, _) = t.view();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
    let (model, last) = fresh_model(&view, 2000, &mut rng).unwrap();
    assert!(
        last.loss_sas < (4f32).ln(),
        "better than chance over 4 tasks: {last:?}"
    );
    let samples = sample(&view, &model, 600, &mut rng).unwrap();
    assert_eq!(samples.len(), 600);
    assert!(samples
        .iter()
        .all(|s| s.tasks.0 != s.tasks.1 && s.exact.is_finite()));
    let rows = table(&samples, view.cfg.transfer.rho_d_max);
    assert_eq!((rows[0].group.as_str(), rows[0].n), ("all", 600));
    assert!(rows[0].corr > 0.5, "correlation of log ρd {}", rows[0].corr);
    assert!(
        rows[0].rmse_clipped < rows[0].rmse_clipped_one,
        "{:?}",
        rows[0]
    );
    for shift in ["mass shift", "friction shift"] {
        let n: usize = rows
            .iter()
            .filter(|r| r.group.starts_with(shift))
            .map(|r| r.n)
            .sum();
        assert_eq!(n, 600, "{shift} buckets partition the samples");
    }
    let ep = episode_sums(&view, &model, 40, &mut rng).unwrap();
    assert_eq!(ep.n, 40);
    // Stored episodes are the classifiers' training data, and this run's replay is small.
    assert!(
        ep.corr > 0.3 && ep.sd_exact > 0.0 && ep.sd_learned > 0.0,
        "{ep:?}"
    );
    let (a, b) = ep.product_over_10;
    assert!(
        (0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&b),
        "{ep:?}"
    );
}

#[test]
fn a_run_without_exact_densities_is_refused() {
    let t = small_point(0.0);
    let (view, _) = t.view();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
    let e = fresh_model(&view, 1, &mut rng).err().unwrap().to_string();
    assert!(e.contains("noise_std"), "{e}");
}
