//! Every transfer strategy runs through the `Trainer` on the point robot and the quadruped;
//! moves happen exactly where the strategy moves; fixed targets are finite; a stopped and
//! resumed run with transfer reproduces the uninterrupted one; meta-test settings never change
//! training.

use drat::config::Config;
use drat::train::checkpoint;
use drat::train::trainer::Trainer;
use drat::transfer::TransferStrategy;
use rand::SeedableRng;

fn tiny(robot: &str, strategy: &str, extra: &[&str]) -> Config {
    let mut sets: Vec<String> = [
        "agent.hidden=[16, 16]",
        "agent.encoder_hidden=[16]",
        "train.initial_steps_per_task=40",
        "train.tasks_per_iteration=3",
        "train.steps_prior=20",
        "train.steps_posterior=20",
        "train.updates_per_iteration=3",
        "train.batch_size=16",
        "train.meta_batch=3",
        "train.context_size=8",
        "tasks.n_train=4",
        "tasks.n_test=2",
        "eval.tasks=2",
        "eval.exploration_episodes=1",
        "transfer.fraction=1.0",
        "transfer.partition_contexts=2",
    ]
    .map(String::from)
    .to_vec();
    sets.push(format!("transfer.strategy=\"{strategy}\""));
    sets.extend(extra.iter().map(|s| s.to_string()));
    let text = format!("[env]\nrobot = \"{robot}\"\n");
    Config::from_toml_str_with_sets(&text, "test", &sets).unwrap()
}

const ALL: [(&str, TransferStrategy); 6] = [
    ("none", TransferStrategy::None),
    ("htr", TransferStrategy::Htr),
    ("hfr", TransferStrategy::Hfr),
    ("dr", TransferStrategy::Dr),
    ("drae", TransferStrategy::Drae),
    ("drae-slide", TransferStrategy::DraeSlide),
];

fn moved_rows(t: &Trainer) -> usize {
    t.state.moved.iter().map(|m| m.rows.len()).sum()
}

/// Two iterations of `strategy`; checks the moves and the targets of a meta-batch.
fn two_iterations(robot: &str, name: &str, kind: TransferStrategy, extra: &[&str]) {
    let cfg = tiny(robot, name, extra);
    let mut t = Trainer::new(&cfg).unwrap();
    assert_eq!(t.strategy_name(), name);
    let moves = matches!(
        kind,
        TransferStrategy::Hfr
            | TransferStrategy::Dr
            | TransferStrategy::Drae
            | TransferStrategy::DraeSlide
    );
    let first = t.iteration().unwrap();
    assert_eq!(first.transfer.is_some(), moves, "{robot}/{name}");
    let offered = first.transfer.map_or(0, |x| x.offered);
    assert_eq!(offered, 0, "{name}: nothing is offered in iteration 1");
    assert_eq!(moved_rows(&t), 0);
    let second = t.iteration().unwrap();
    assert_eq!(second.transfer.is_some(), moves, "{robot}/{name}");
    if moves {
        let x = second.transfer.unwrap();
        // 3 visits × (a 20-step context episode + a 20-step posterior one), all offered.
        assert!(x.offered >= 6, "{robot}/{name}: {} offered", x.offered);
        assert!(x.moved > 0, "{robot}/{name}: nothing moved");
        assert_eq!(x.samples, moved_rows(&t), "{robot}/{name}");
        assert_eq!(x.chosen.iter().sum::<u32>() as usize, x.offered);
    } else {
        assert_eq!(moved_rows(&t), 0, "{robot}/{name} moves nothing");
    }
    // Fixed targets: DR and DRaE give every moved row one, finite; HFR none.
    let fixed_expected = matches!(
        kind,
        TransferStrategy::Dr | TransferStrategy::Drae | TransferStrategy::DraeSlide
    );
    for m in &t.state.moved {
        for slot in 0..m.rows.len() {
            match m.target(slot) {
                Some(y) => assert!(fixed_expected && y.is_finite(), "{robot}/{name}: {y}"),
                None => assert!(
                    !fixed_expected,
                    "{robot}/{name}: a moved row without target"
                ),
            }
        }
    }
    let mb = t.meta_batch().unwrap();
    assert_eq!(mb.rl.len(), 3 * 16);
    assert_eq!(mb.target.len(), mb.rl.len());
    assert!(mb.target.iter().flatten().all(|y| y.is_finite()));
    assert!(mb.rl.reward.iter().all(|r| r.is_finite()));
}

#[test]
fn every_strategy_runs_two_iterations_on_the_point_robot() {
    for (name, kind) in ALL {
        // The oracle DR needs exact transition densities: the noisy point robot.
        two_iterations("point", name, kind, &["env.point.noise_std=0.05"]);
    }
}

/// DRaT's ratio sources: `exact` is the oracle DR number for number; `learned` trains its
/// classifiers each iteration and values moved rows with them, on the point robot and on a
/// simulated one (no densities needed).
#[test]
fn drat_ratio_sources_exact_equals_the_oracle_and_learned_runs() {
    let two = |robot: &str, strategy: &str, extra: &[&str]| {
        let mut t = Trainer::new(&tiny(robot, strategy, extra)).unwrap();
        t.iteration().unwrap();
        let x = t.iteration().unwrap().transfer.unwrap();
        let targets = t.meta_batch().unwrap().target;
        (t, x, targets)
    };
    let noisy = "env.point.noise_std=0.05";
    let (exact, xe, ye) = two("point", "drae", &[noisy, "transfer.ratio=\"exact\""]);
    let (oracle, xo, yo) = two("point", "dr", &[noisy]);
    assert_eq!(exact.strategy_name(), "drae-exact");
    assert_eq!(oracle.strategy_name(), "dr");
    assert_eq!(
        (xe.rho_d_mean, xe.chosen, xe.samples),
        (xo.rho_d_mean, xo.chosen, xo.samples)
    );
    assert_eq!(ye, yo, "the same targets");
    assert!(exact.ratio.is_none(), "no classifiers without `learned`");
    for (robot, extra) in [
        ("point", vec![noisy]),
        (
            "quadruped",
            vec!["env.horizon=20", "tasks.goal.distance_m=[0.1, 0.3]"],
        ),
    ] {
        let mut e = extra.clone();
        e.push("transfer.ratio=\"learned\"");
        let (t, x, y) = two(robot, "drae", &e);
        assert_eq!(t.strategy_name(), "drae-learned");
        let m = t.ratio.as_ref().expect("the trainer owns the classifiers");
        assert!(m.is_fitted().unwrap(), "{robot}: input statistics fitted");
        assert!(
            x.moved > 0 && x.rho_d_mean.is_finite() && x.rho_d_mean != 1.0,
            "{robot}: {x:?}"
        );
        assert!(y.iter().flatten().all(|v| v.is_finite()), "{robot}");
        assert_eq!(
            m.opt.t,
            2 * 20,
            "{robot}: 20 classifier steps per iteration"
        );
    }
}

#[test]
fn every_strategy_but_the_oracle_runs_two_iterations_on_the_quadruped() {
    for (name, kind) in ALL.into_iter().filter(|(n, _)| *n != "dr") {
        two_iterations(
            "quadruped",
            name,
            kind,
            &["env.horizon=20", "tasks.goal.distance_m=[0.1, 0.3]"],
        );
    }
}

#[test]
fn meta_test_settings_do_not_change_training() {
    let a_cfg = tiny("point", "drae", &[]);
    let b_cfg = tiny(
        "point",
        "drae",
        &[
            "eval.exploration_episodes=4",
            "eval.exploration=\"prior\"",
            "eval.posterior_context=\"rewarded\"",
            "eval.scored_episodes=3",
            "eval.tasks=1",
            "eval.seed=99",
        ],
    );
    let (mut a, mut b) = (Trainer::new(&a_cfg).unwrap(), Trainer::new(&b_cfg).unwrap());
    for _ in 0..3 {
        let (ea, eb) = (a.evaluate_test().unwrap(), b.evaluate_test().unwrap());
        assert_ne!(ea.episodes, eb.episodes, "the meta-tests differ");
        assert_eq!(a.iteration().unwrap().update, b.iteration().unwrap().update);
    }
    assert_eq!(a.state, b.state, "counters, RNG and every replay buffer");
    let (pa, pb) = (a.agent.params.to_tensors(), b.agent.params.to_tensors());
    for (name, ta) in &pa {
        let (va, vb): (Vec<f32>, Vec<f32>) = (
            ta.flatten_all().unwrap().to_vec1().unwrap(),
            pb[name].flatten_all().unwrap().to_vec1().unwrap(),
        );
        assert_eq!(va, vb, "{name}");
    }
}

#[test]
fn stop_and_resume_with_transfer_continues_exactly() {
    let cfg = tiny("point", "drae", &[]);
    let mut full = Trainer::new(&cfg).unwrap();
    let mut split = Trainer::new(&cfg).unwrap();
    for _ in 0..2 {
        full.iteration().unwrap();
        split.iteration().unwrap();
    }
    assert!(
        moved_rows(&split) > 0,
        "transfer buffers hold data at the stop"
    );
    let dir = tempfile::tempdir().unwrap();
    let ck = checkpoint::save(&split, dir.path()).unwrap();
    drop(split);
    let mut resumed = Trainer::new(&cfg).unwrap();
    checkpoint::load(&mut resumed, &ck).unwrap();
    assert_eq!(resumed.state, full.state);
    for _ in 0..2 {
        let (x, y) = (full.iteration().unwrap(), resumed.iteration().unwrap());
        assert_eq!(x.update, y.update);
        assert_eq!(x.train, y.train);
        assert_eq!(
            x.transfer.map(|s| (s.moved, s.samples, s.chosen)),
            y.transfer.map(|s| (s.moved, s.samples, s.chosen))
        );
    }
    assert_eq!(
        full.evaluate_test().unwrap(),
        resumed.evaluate_test().unwrap()
    );
}

#[test]
fn collection_is_the_same_for_one_and_two_env_threads() {
    let cfg = tiny("quadruped", "none", &["env.horizon=20"]);
    let mut one = Trainer::with_env_threads(&cfg, 1).unwrap();
    let mut two = Trainer::with_env_threads(&cfg, 2).unwrap();
    for _ in 0..2 {
        assert_eq!(
            one.iteration().unwrap().train,
            two.iteration().unwrap().train
        );
    }
    assert_eq!(one.state, two.state);
}

/// A trainer with DRaE after two iterations, and the episodes it keeps from a third
/// collection.
fn drae_trainer(extra: &[&str]) -> Trainer {
    let cfg = tiny("point", "drae", extra);
    let mut t = Trainer::new(&cfg).unwrap();
    t.iteration().unwrap();
    t.iteration().unwrap();
    t
}

#[test]
fn rho_pi_is_one_on_a_trajectory_relabeled_to_its_own_task_with_its_stored_z() {
    use drat::transfer::scorer::{Scorer, Tally};
    let mut t = drae_trainer(&[]);
    let (_, episodes) = t.collect_iteration().unwrap();
    assert!(!episodes.is_empty());
    let l = t.agent.latent_dim();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
    let mut worst = 0.0f32;
    for traj in &episodes {
        // Every task's z is the trajectory's behaviour z: the numerator is the behaviour policy.
        let z_own: Vec<f32> = (0..t.tasks.train.len())
            .flat_map(|_| traj.behaviour_z.clone())
            .collect();
        assert_eq!(traj.behaviour_z.len(), l);
        let s = Scorer {
            agent: &t.agent,
            cfg: &t.cfg,
            tasks: &t.tasks.train,
            z_own: &z_own,
            ratio: None,
        };
        let x = s
            .step_inputs(&[(traj, traj.task)], &mut Tally::default(), &mut rng)
            .unwrap();
        for r in &x[0].rho_pi {
            worst = worst.max((r - 1.0).abs());
        }
    }
    assert!(worst < 1e-3, "max |ρπ − 1| = {worst}");
}

#[test]
fn moved_targets_follow_the_critics_and_stay_frozen_without_refresh() {
    for (refresh, should_change) in [(1, true), (0, false)] {
        let every = format!("transfer.refresh_every={refresh}");
        let mut t = drae_trainer(&[&every]);
        let before: Vec<(usize, usize, Option<f32>)> = t
            .state
            .moved
            .iter()
            .enumerate()
            .flat_map(|(j, m)| {
                m.trajectories()
                    .into_iter()
                    .flat_map(|(slots, _)| slots)
                    .map(move |s| (j, s, m.target(s)))
            })
            .collect();
        assert!(!before.is_empty() && before.iter().all(|b| b.2.is_some()));
        // One more iteration: the critics changed in the last updates; the refresh runs
        // before this iteration's updates.
        t.iteration().unwrap();
        let changed = before
            .iter()
            .filter(|(j, s, y)| t.state.moved[*j].target(*s) != *y)
            .count();
        if should_change {
            assert_eq!(changed, before.len(), "every kept row gets a fresh target");
        } else {
            assert_eq!(
                changed, 0,
                "refresh_every = 0 keeps the targets of the move"
            );
        }
    }
}
