//! Checkpoints restore the agent exactly, and a stopped-then-resumed run reproduces an
//! uninterrupted run's metrics (single thread, same seed).

use drat::config::Config;
use drat::train::checkpoint;
use drat::train::run::{train, RunOptions};
use drat::train::trainer::Trainer;
use rand::SeedableRng;

fn tiny_point() -> Config {
    tiny("point")
}

/// A tiny run on `robot`: small networks, few steps and updates.
fn tiny(robot: &str) -> Config {
    let sets: Vec<String> = [
        "agent.hidden=[32, 32]",
        "agent.encoder_hidden=[32]",
        "train.iterations=4",
        "train.initial_steps_per_task=40",
        "train.tasks_per_iteration=2",
        "train.steps_prior=20",
        "train.steps_posterior=20",
        "train.updates_per_iteration=5",
        "train.batch_size=16",
        "train.meta_batch=4",
        "train.context_size=8",
        "eval.every=2",
        "eval.tasks=3",
        "train.checkpoint_every=2",
        "tasks.n_train=6",
        "tasks.n_test=3",
    ]
    .map(String::from)
    .to_vec();
    Config::from_toml_str_with_sets(&format!("[env]\nrobot = \"{robot}\"\n"), "test", &sets)
        .unwrap()
}

#[test]
fn checkpoint_save_load_gives_identical_actions_and_losses() {
    let cfg = tiny_point();
    let dir = tempfile::tempdir().unwrap();
    let mut a = Trainer::new(&cfg).unwrap();
    a.iteration().unwrap();
    a.iteration().unwrap();
    let ck = checkpoint::save(&a, dir.path()).unwrap();
    assert_eq!(checkpoint::latest(dir.path()).unwrap(), ck);

    let mut b = Trainer::new(&cfg).unwrap();
    checkpoint::load(&mut b, &ck).unwrap();
    assert_eq!(
        (b.state.iteration, b.state.env_steps, b.state.updates),
        (a.state.iteration, a.state.env_steps, a.state.updates)
    );
    let obs = [0.3, -0.2, 0.01, 0.02];
    let z = [0.1, -0.5, 0.2, 0.0, 0.7];
    let mut r1 = rand_pcg::Pcg64::seed_from_u64(1);
    let mut r2 = rand_pcg::Pcg64::seed_from_u64(1);
    assert_eq!(
        a.agent.act(&obs, &z, true, &mut r1).unwrap(),
        b.agent.act(&obs, &z, true, &mut r2).unwrap()
    );
    assert_eq!(
        a.agent.act(&obs, &z, false, &mut r1).unwrap(),
        b.agent.act(&obs, &z, false, &mut r2).unwrap()
    );
    // The next update (same batch, same noise) gives the same losses: networks, targets and
    // Adam moments all came back.
    let batch = a.meta_batch().unwrap();
    // b draws its batch too, so both trainers' streams stay in step (and the replay and
    // sampling stream came back: the same batch).
    assert_eq!(b.meta_batch().unwrap(), batch);
    let sa = a.agent.update(&batch, &mut r1).unwrap();
    let sb = b.agent.update(&batch, &mut r2).unwrap();
    assert_eq!(sa, sb);
    // And the trainers continue identically (RNG and replay restored): the gait sums, which
    // depend on every action, too, where the point's sparse returns are all 0 here.
    assert_eq!(a.iteration().unwrap().train, b.iteration().unwrap().train);
}

#[test]
fn corrupt_or_missing_checkpoints_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = checkpoint::latest(dir.path()).unwrap_err().to_string();
    assert!(e.contains("no checkpoint"), "{e}");
    let mut t = Trainer::new(&tiny_point()).unwrap();
    t.iteration().unwrap();
    let ck = checkpoint::save(&t, dir.path()).unwrap();
    std::fs::write(ck.join("state.json"), "{").unwrap();
    let e = checkpoint::load(&mut t, &ck).unwrap_err().to_string();
    assert!(e.contains("state.json"), "{e}");
}

fn metrics_without_timing(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| {
            let h = header[i];
            !h.starts_with("time/") && !h.starts_with("perf/") && !h.ends_with("time_s")
        })
        .collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&i| cells[i]).collect::<Vec<_>>().join(",")
        })
        .collect()
}

#[test]
fn resume_after_a_stop_reproduces_the_uninterrupted_run() {
    stop_and_resume_matches(tiny_point());
}

/// The same with DRaT's transfer on: moved trajectories and their targets are checkpointed.
#[test]
fn resume_with_transfer_reproduces_the_uninterrupted_run() {
    let mut cfg = tiny_point();
    cfg.transfer.strategy = drat::transfer::TransferStrategy::Drae;
    cfg.transfer.fraction = 1.0;
    stop_and_resume_matches(cfg);
}

/// The same with DRaT's learned dynamics ratio: its classifiers, input statistics,
/// self-normalizers and Adam moments are checkpointed (the moved rows' targets, and so the
/// critic's losses, depend on every one of them).
#[test]
fn resume_with_the_learned_ratio_reproduces_the_uninterrupted_run() {
    let mut cfg = tiny_point();
    cfg.transfer.strategy = drat::transfer::TransferStrategy::Drae;
    cfg.transfer.ratio = drat::config::RatioSource::Learned;
    cfg.transfer.fraction = 1.0;
    cfg.transfer.learned_ratio.hidden = vec![16];
    cfg.transfer.learned_ratio.updates_per_iteration = 3;
    cfg.transfer.learned_ratio.batch_per_task = 8;
    cfg.validate().unwrap();
    stop_and_resume_matches(cfg);
}

/// The same on Gymnasium's Ant (an MJCF robot with Gymnasium's reset noise), 20-step episodes.
#[test]
fn resume_on_the_ant_reproduces_the_uninterrupted_run() {
    let mut cfg = tiny("ant");
    cfg.env.horizon = 20;
    stop_and_resume_matches(cfg);
}

fn stop_and_resume_matches(cfg: drat::config::Config) {
    let full = tempfile::tempdir().unwrap();
    let s = train(&cfg, full.path(), &RunOptions::default()).unwrap();
    assert_eq!(s.iterations, 4);

    let split = tempfile::tempdir().unwrap();
    let stopped = RunOptions {
        stop_after: Some(2),
        ..RunOptions::default()
    };
    train(&cfg, split.path(), &stopped).unwrap();
    assert!(
        train(&cfg, split.path(), &RunOptions::default()).is_err(),
        "refuses to overwrite a run"
    );
    let resume = RunOptions {
        resume: true,
        ..RunOptions::default()
    };
    let s2 = train(&cfg, split.path(), &resume).unwrap();
    assert_eq!(s2.iterations, 4);
    let (a, b) = (
        metrics_without_timing(full.path()),
        metrics_without_timing(split.path()),
    );
    assert_eq!(a.len(), 5, "iteration 0 (untrained) + 4");
    assert_eq!(a, b);
    for f in [
        "config.toml",
        "events.jsonl",
        "plots/learning_curves.png",
        "plots/learning_curves.svg",
    ] {
        assert!(split.path().join(f).exists(), "{f}");
    }
}
