//! Bad input gets an error that names what is wrong, and never a panic: configs, robot
//! descriptions, actions. Property tests feed random and malformed inputs.

use drat::config::Config;
use drat::env::EnvMaker;
use drat::sim::RobotModel;
use proptest::prelude::*;

fn err(text: &str) -> String {
    Config::from_toml_str(text, "bad.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn every_shipped_config_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let cfg = Config::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            assert!(cfg.train.iterations > 0, "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 2, "configs/ holds the documented runs' configs");
}

#[test]
fn config_errors_name_file_and_field() {
    let e = err("[tasks.dynamics]\nmass_scale = [0.0, 2.0]\n");
    assert!(e.contains("tasks.dynamics.mass_scale"), "{e}");
    let e = err("[tasks]\nn_train = 0\n");
    assert!(e.contains("tasks.n_train"), "{e}");
    let e = err("[reward]\ngoal_radius_m = -1.0\n");
    assert!(e.contains("reward.goal_radius_m"), "{e}");
    let e = err("[env]\nhorizon = \"long\"\n");
    assert!(e.contains("bad.toml") && e.contains("horizon"), "{e}");
    let e = err("[env\n");
    assert!(e.contains("bad.toml"), "{e}");
    let e = err("[nonsense]\nx = 1\n");
    assert!(e.contains("nonsense"), "{e}");
    let e = err("[env]\nrobot = \"point\"\n[train]\ncritic_reward = \"dense\"\n[transfer]\nstrategy = \"hfr\"\n");
    assert!(e.contains("train.critic_reward"), "{e}");
    let e = err("[train]\ncritic_reward = \"shaped\"\n");
    assert!(e.contains("critic_reward") && e.contains("dense"), "{e}");
    let e = err("[train]\ninitial_actions = \"random\"\n");
    assert!(
        e.contains("initial_actions") && e.contains("held-uniform"),
        "{e}"
    );
    // DRaT's ratio source: only with strategy drae; `exact` only where densities exist.
    let e = err("[transfer]\nstrategy = \"hfr\"\nratio = \"learned\"\n");
    assert!(e.contains("transfer.ratio") && e.contains("drae"), "{e}");
    let e = err("[transfer]\nstrategy = \"drae\"\nratio = \"exact\"\n");
    assert!(
        e.contains("transfer.ratio") && e.contains("noise_std"),
        "{e}"
    );
    let e = err("[transfer]\nratio = \"oracle\"\n");
    assert!(e.contains("ratio") && e.contains("critic-interval"), "{e}");
    let e = err("[transfer.learned_ratio]\nhidden = []\n");
    assert!(e.contains("transfer.learned_ratio.hidden"), "{e}");
    let e = err("[transfer.learned_ratio]\ninput_noise_std = -1.0\n");
    assert!(e.contains("transfer.learned_ratio.input_noise_std"), "{e}");
    let e = err("[transfer.learned_ratio]\nbatch_per_task = 0\n");
    assert!(e.contains("transfer.learned_ratio.batch_per_task"), "{e}");
    let e = Config::load(std::path::Path::new("/no/such/file.toml"), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("/no/such/file.toml"), "{e}");
}

#[test]
fn robot_file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.urdf");
    std::fs::write(&p, "<robot name='x'><link name='a'/></robot>").unwrap();
    let cfg = Config::from_toml_str(
        &format!("[env]\nrobot = {:?}\n", p.display().to_string()),
        "u",
    )
    .unwrap();
    let e = EnvMaker::new(&cfg).err().unwrap().to_string();
    assert!(e.contains("broken.urdf") && e.contains("link `a`"), "{e}");
    let missing = dir.path().join("missing.urdf");
    let cfg = Config::from_toml_str(
        &format!("[env]\nrobot = {:?}\n", missing.display().to_string()),
        "u",
    )
    .unwrap();
    let e = EnvMaker::new(&cfg).err().unwrap().to_string();
    assert!(e.contains("missing.urdf"), "{e}");
}

#[test]
fn a_user_urdf_robot_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("copy.urdf");
    std::fs::write(&p, drat::sim::QUADRUPED_URDF).unwrap();
    let cfg = Config::from_toml_str(
        &format!("[env]\nrobot = {:?}\n", p.display().to_string()),
        "u",
    )
    .unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let mut env = maker
        .make(maker.task_set().unwrap().train[0].clone())
        .unwrap();
    assert!(drat::env::check::check_env(env.as_mut(), 0, 50).is_empty());
}

/// Field paths and value kinds to mutate a valid config with.
const FIELDS: &[&str] = &[
    "env.robot",
    "env.dt_s",
    "env.substeps",
    "env.solver_iterations",
    "env.horizon",
    "env.spawn_height_m",
    "env.reset_joint_vel_noise",
    "env.max_linvel_m_s",
    "env.point.accel_m",
    "env.point.noise_std",
    "reward.kind",
    "reward.goal_radius_m",
    "reward.ctrl_cost_weight",
    "tasks.seed",
    "tasks.n_train",
    "tasks.n_test",
    "tasks.goal.distance_m",
    "tasks.goal.angle_deg",
    "tasks.dynamics.mass_scale",
    "tasks.dynamics.friction",
    "tasks.dynamics.randomize",
    "agent.use_context",
    "agent.hidden",
    "agent.latent_dim",
    "agent.lr",
    "agent.gamma",
    "agent.tau",
    "agent.kl_lambda",
    "train.seed",
    "train.iterations",
    "train.initial_actions",
    "train.context_exploration",
    "train.tasks_per_iteration",
    "train.steps_prior",
    "train.batch_size",
    "train.meta_batch",
    "train.context_size",
    "train.critic_reward",
    "train.eval_tasks",
    "eval.every",
    "eval.tasks",
    "eval.exploration_episodes",
    "eval.exploration",
    "eval.posterior_context",
    "eval.scored_episodes",
    "eval.seed",
    "transfer.strategy",
    "transfer.fraction",
    "transfer.batch_share",
    "transfer.capacity",
    "transfer.temperature",
    "transfer.rho_pi_clip",
    "transfer.interval_rule",
    "env.bogus",
    "eval.bogus",
];

fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("true".to_string()),
        Just("\"point\"".to_string()),
        Just("\"runner\"".to_string()),
        Just("\"x.urdf\"".to_string()),
        Just("\"drae\"".to_string()),
        Just("\"hfr\"".to_string()),
        Just("\"prior\"".to_string()),
        Just("\"rewarded\"".to_string()),
        Just("\"held-uniform\"".to_string()),
        (1usize..40).prop_map(|v| v.to_string()),
        (any::<f32>(), any::<f32>()).prop_map(|(a, b)| format!("[{a:?}, {b:?}]")),
        (0.0f32..3.0, 0.0f32..3.0).prop_map(|(a, b)| format!("[{a}, {b}]")),
        Just("[]".to_string()),
        Just("{ a = 1 }".to_string()),
        "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn random_config_mutations_never_panic(
        edits in proptest::collection::vec((0..FIELDS.len(), value_strategy()), 1..4)
    ) {
        let sets: Vec<String> = edits.iter().map(|(f, v)| format!("{}={v}", FIELDS[*f])).collect();
        if let Ok(cfg) = Config::from_toml_str_with_sets("", "prop", &sets) {
            // A config that validates must also build envs and step them without panicking.
            if let Ok(maker) = EnvMaker::new(&cfg) {
                let mut small = cfg.clone();
                small.tasks.n_train = small.tasks.n_train.min(3);
                small.tasks.n_test = small.tasks.n_test.min(3);
                // …and a trainer (networks, buffers, envs) from it.
                if small.validate().is_ok() && small.agent.hidden.iter().all(|&h| h <= 512) {
                    let _ = drat::train::trainer::Trainer::new(&small);
                }
                let maker2 = EnvMaker::new(&small).unwrap_or(maker);
                if let Ok(tasks) = maker2.task_set() {
                    let mut env = maker2.make(tasks.train[0].clone()).unwrap();
                    env.reset(0).unwrap();
                    let ad = env.action_space().dim();
                    for _ in 0..5 {
                        if env.step(&vec![0.5; ad]).unwrap().done() { break; }
                    }
                }
            }
        }
    }

    #[test]
    fn random_text_as_config_or_urdf_never_panics(text in "\\PC{0,200}") {
        let _ = Config::from_toml_str(&text, "prop");
        let _ = RobotModel::from_urdf_str(&text, "prop.urdf");
    }

    #[test]
    fn mangled_quadruped_urdf_never_panics(cut in 0usize..6000, junk in "[<>/= a-z0-9\"]{0,12}") {
        let src = drat::sim::QUADRUPED_URDF;
        let cut = cut.min(src.len());
        let cut = (0..=cut).rev().find(|&c| src.is_char_boundary(c)).unwrap_or(0);
        let text = format!("{}{}{}", &src[..cut], junk, &src[cut..]);
        let _ = RobotModel::from_urdf_str(&text, "mangled.urdf");
    }
}
