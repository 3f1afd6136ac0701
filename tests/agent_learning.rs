//! Learning that measurably improves on small seeded tasks (each well under a minute).

use drat::config::Config;
use drat::train::trainer::Trainer;

fn point(sets: &[&str]) -> Config {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Config::from_toml_str_with_sets("[env]\nrobot = \"point\"\n", "test", &sets).unwrap()
}

#[test]
fn sac_reaches_the_goal_of_a_dense_reward_point_robot() {
    let cfg = point(&[
        "agent.use_context=false",
        "agent.hidden=[64, 64]",
        "agent.reward_scale=1.0",
        "agent.gamma=0.9",
        "agent.lr=1e-3",
        "reward.kind=dense",
        "tasks.n_train=1",
        "tasks.n_test=1",
        "train.initial_steps_per_task=200",
        "train.tasks_per_iteration=1",
        "train.steps_prior=20",
        "train.steps_posterior=0",
        "train.updates_per_iteration=40",
        "train.batch_size=128",
        "train.meta_batch=1",
        "train.context_size=1",
        "eval.tasks=1",
        "eval.exploration_episodes=0",
        "eval.scored_episodes=3",
    ]);
    let mut t = Trainer::new(&cfg).unwrap();
    let goal_task = [t.tasks.train[0].clone()];
    let before = t.evaluate_tasks(&goal_task, None).unwrap().0;
    let mut after = before.clone();
    for it in 1..=60 {
        t.iteration().unwrap();
        if it % 10 == 0 {
            after = t.evaluate_tasks(&goal_task, None).unwrap().0;
            if after.success == 1.0 && it >= 30 {
                break;
            }
        }
    }
    eprintln!(
        "SAC dense point: return {:.2} → {:.2}, success {} → {}",
        before.ret, after.ret, before.success, after.success
    );
    assert_eq!(before.success, 0.0);
    assert_eq!(after.success, 1.0, "the policy must reach its goal");
    assert!(after.ret > before.ret + 5.0);
}

/// PEARL on the sparse point robot of the paper (goals on a half circle of radius 1, goal
/// radius 0.2, 20-step episodes): after a short meta-training its meta-test success on
/// held-out goals is clearly above the untrained (random) agent's.
#[test]
fn pearl_meta_test_success_beats_random_on_the_sparse_point_robot() {
    let cfg = point(&[
        "agent.hidden=[64, 64]",
        "agent.encoder_hidden=[64, 64]",
        "agent.lr=1e-3",
        "tasks.n_train=20",
        "tasks.n_test=20",
        "train.initial_steps_per_task=100",
        // PEARL's own initial collection (the untrained policy) finds these sparse goals on
        // some seeds only (measured with the batched collection: seeds 0 and 2 of 0–3 never
        // succeed in 40 its); held uniform actions reach the goal arc (see the test below).
        "train.initial_actions=held-uniform",
        "train.tasks_per_iteration=4",
        "train.steps_prior=20",
        "train.steps_posterior=40",
        "train.updates_per_iteration=50",
        "train.batch_size=128",
        "train.meta_batch=4",
        "train.context_size=32",
        "eval.tasks=20",
        "eval.exploration_episodes=3",
        "eval.scored_episodes=1",
    ]);
    let mut t = Trainer::new(&cfg).unwrap();
    let before = t.evaluate_test().unwrap();
    let start = std::time::Instant::now();
    let mut best = before.clone();
    for it in 1..=40 {
        t.iteration().unwrap();
        if it % 5 == 0 {
            let e = t.evaluate_test().unwrap();
            eprintln!(
                "it {it}: test success {:.2} return {:.2} ({:.0} s)",
                e.success,
                e.ret,
                start.elapsed().as_secs_f64()
            );
            if e.success > best.success {
                best = e;
            }
        }
    }
    eprintln!(
        "PEARL sparse point: success {} → best {}",
        before.success, best.success
    );
    // The untrained (random) agent reaches none of the 20 held-out goals.
    assert!(before.success <= 0.05);
    assert!(
        best.success >= before.success + 0.15,
        "meta-test success must clearly beat the untrained agent"
    );
}

/// `train.initial_actions = "held-uniform"` holds one random action per episode, so the point
/// robot travels in a straight line and crosses the goal arc; the untrained policy's jitter
/// stays near the start. Same tasks, same seed: only the initial actions differ.
#[test]
fn held_uniform_initial_actions_find_sparse_goals_an_untrained_policy_misses() {
    let sets = ["tasks.n_train=40", "train.initial_steps_per_task=200"];
    let found = |actions: &str| {
        let mut sets: Vec<&str> = sets.to_vec();
        let a = format!("train.initial_actions={actions}");
        sets.push(&a);
        let mut t = Trainer::new(&point(&sets)).unwrap();
        t.initial_collection().unwrap().success
    };
    let (policy, held) = (found("policy"), found("held-uniform"));
    eprintln!("initial episodes reaching the goal: policy {policy:.3}, held-uniform {held:.3}");
    // 400 episodes; a held action of norm > 0.46 crosses radius 1 within 20 steps, and the goal
    // covers ~23° of the heading circle: about 5 % of the held episodes succeed.
    assert!(held >= 0.02, "held-uniform success {held}");
    assert!(held >= 4.0 * policy + 0.01, "policy {policy}, held {held}");
}
