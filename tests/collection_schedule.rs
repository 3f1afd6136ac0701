//! How training's collection shares its envs (`train::rollout::collect`): a visit's
//! independent episodes run side by side, posterior sampling runs one episode at a time,
//! visits of one task that gather their own context run side by side and the last started
//! one's context is what the task keeps, and a visit that reads the task's context waits.

use drat::agent::Agent;
use drat::config::Config;
use drat::data::buffer::TaskBuffer;
use drat::env::vec_env::VecEnv;
use drat::env::EnvMaker;
use drat::train::rollout::{collect, Buffers, CollectSettings, Collected, Draw, Visit};
use rand::SeedableRng;
use rand_pcg::Pcg64;

const HORIZON: usize = 10;

/// Runs `visits` (task, phases) for the point robot (horizon 10, no early ends) on `envs`
/// envs and `threads` threads; returns the collection and each task's context buffer.
fn run(
    visits: &[(usize, Vec<(usize, Draw)>)],
    envs: usize,
    threads: usize,
) -> (Collected, Vec<TaskBuffer>) {
    run_with(visits, envs, threads, false).1
}

/// As [`run`], with `train.context_buffer = "accumulate"` when `accumulate`; also returns
/// task 0's context buffer before `visits` ran.
fn run_with(
    visits: &[(usize, Vec<(usize, Draw)>)],
    envs: usize,
    threads: usize,
    accumulate: bool,
) -> (TaskBuffer, (Collected, Vec<TaskBuffer>)) {
    let cfg = Config::from_toml_str_with_sets(
        "[env]\nrobot = \"point\"\n",
        "test",
        &[
            format!("env.horizon={HORIZON}"),
            "agent.hidden=[8]".into(),
            "agent.encoder_hidden=[8]".into(),
            "tasks.n_train=3".into(),
        ],
    )
    .unwrap();
    let maker = EnvMaker::new(&cfg).unwrap();
    let tasks = maker.task_set().unwrap().train;
    let made = (0..envs)
        .map(|k| maker.make(tasks[k % tasks.len()].clone()))
        .collect::<drat::Result<Vec<_>>>()
        .unwrap();
    let mut venv = VecEnv::new(made, threads, 0).unwrap();
    let (od, ad) = (venv.obs_dim(), venv.act_dim());
    let mut rng = Pcg64::seed_from_u64(3);
    let agent = Agent::new(&cfg.agent, od, ad, &mut rng).unwrap();
    let mut rl: Vec<_> = tasks
        .iter()
        .map(|_| TaskBuffer::new(od, ad, 1000))
        .collect();
    let mut context = rl.clone();
    // Something old in task 0's context, to see whether a visit replaces it.
    let old = Visit {
        task: 0,
        phases: vec![(3 * HORIZON, Draw::Prior)],
    };
    let settings = CollectSettings {
        tasks: &tasks,
        seed: 1,
        context_size: 5,
        keep_episodes: false,
        horizon: HORIZON,
        accumulate_context: accumulate,
    };
    let mut episodes = 0;
    let buffers = Buffers {
        rl: &mut rl,
        context: &mut context,
    };
    collect(
        &mut venv,
        &agent,
        buffers,
        vec![old],
        &settings,
        &mut episodes,
        &mut rng,
    )
    .unwrap();
    let before = context[0].clone();
    let visits = visits
        .iter()
        .map(|(task, phases)| Visit {
            task: *task,
            phases: phases.clone(),
        })
        .collect();
    let buffers = Buffers {
        rl: &mut rl,
        context: &mut context,
    };
    let out = collect(
        &mut venv,
        &agent,
        buffers,
        visits,
        &settings,
        &mut episodes,
        &mut rng,
    )
    .unwrap();
    (before, (out, context))
}

#[test]
fn a_visits_prior_episodes_run_side_by_side() {
    let (out, context) = run(&[(1, vec![(4 * HORIZON, Draw::Prior)])], 6, 1);
    assert_eq!(out.stats.len(), 4);
    assert_eq!(out.env_steps, 40);
    assert_eq!(out.rounds, HORIZON, "four episodes at once");
    assert_eq!(context[1].len(), 40);
}

#[test]
fn posterior_sampling_runs_one_episode_at_a_time() {
    let (out, _) = run(&[(1, vec![(3 * HORIZON, Draw::PosteriorSampling)])], 6, 1);
    assert_eq!(out.stats.len(), 3);
    assert_eq!(out.rounds, 3 * HORIZON);
}

#[test]
fn phases_run_in_order_and_a_phase_may_need_more_episodes_than_it_started() {
    // 25 steps: three episodes of 10, side by side; then the posterior phase.
    let (out, context) = run(
        &[(2, vec![(25, Draw::Prior), (2 * HORIZON, Draw::Posterior)])],
        8,
        1,
    );
    assert_eq!(out.stats.len(), 5);
    assert_eq!(out.rounds, 2 * HORIZON);
    assert_eq!(
        context[2].len(),
        30,
        "posterior episodes do not feed the context"
    );
}

#[test]
fn oysters_posterior_steps_run_one_at_a_time_and_feed_the_context() {
    // 20 prior steps side by side, then 3 posterior episodes one after another, each
    // conditioned on the context so far, all five in the context buffer.
    let (out, context) = run(
        &[(
            2,
            vec![(20, Draw::Prior), (3 * HORIZON, Draw::PosteriorContext)],
        )],
        8,
        1,
    );
    assert_eq!(out.stats.len(), 5);
    assert_eq!(out.rounds, HORIZON + 3 * HORIZON);
    assert_eq!(context[2].len(), 50, "posterior episodes feed the context");
}

#[test]
fn visits_of_one_task_run_side_by_side_and_the_last_started_keeps_its_context() {
    let (out, context) = run(
        &[
            (0, vec![(2 * HORIZON, Draw::Prior)]),
            (0, vec![(HORIZON, Draw::Prior)]),
        ],
        6,
        1,
    );
    assert_eq!(out.stats.len(), 3);
    assert_eq!(out.rounds, HORIZON, "both visits at once");
    // The second visit started last: its one episode is the task's context (not the first
    // visit's two, nor the three from before).
    assert_eq!(context[0].len(), HORIZON);
    assert_eq!(context[0].n_episodes(), 1);
}

#[test]
fn a_visit_that_reads_the_tasks_context_waits_for_the_tasks_other_visits() {
    let (out, context) = run(
        &[
            (0, vec![(HORIZON, Draw::Posterior)]),
            (0, vec![(HORIZON, Draw::Prior)]),
        ],
        6,
        1,
    );
    assert_eq!(out.stats.len(), 2);
    assert_eq!(out.rounds, 2 * HORIZON, "one visit after the other");
    assert_eq!(context[0].len(), HORIZON);
}

#[test]
fn the_schedule_does_not_depend_on_threads() {
    let visits = [
        (
            0,
            vec![(2 * HORIZON, Draw::Prior), (HORIZON, Draw::Posterior)],
        ),
        (0, vec![(HORIZON, Draw::PosteriorSampling)]),
        (2, vec![(3 * HORIZON, Draw::HeldUniform)]),
    ];
    let (a, ca) = run(&visits, 5, 1);
    let (b, cb) = run(&visits, 5, 3);
    assert_eq!(a.stats, b.stats);
    assert_eq!((a.rounds, a.env_steps), (b.rounds, b.env_steps));
    assert_eq!(ca, cb);
}

#[test]
fn an_accumulating_context_buffer_keeps_earlier_visits_episodes_in_order() {
    let visits = [
        (0, vec![(2 * HORIZON, Draw::Prior)]),
        (0, vec![(HORIZON, Draw::Prior)]),
    ];
    let (before, (_, context)) = run_with(&visits, 6, 1, true);
    assert_eq!(before.n_episodes(), 3);
    // The three old episodes, then both visits' (first started first).
    assert_eq!(context[0].n_episodes(), 6);
    assert_eq!(context[0].len(), 6 * HORIZON);
    let rows = |b: &TaskBuffer, e: usize| {
        let mut out = drat::data::buffer::Batch::default();
        b.gather_into(&b.episode_slots(e), &mut out);
        out
    };
    for e in 0..3 {
        assert_eq!(
            rows(&context[0], e),
            rows(&before, e),
            "old episode {e} kept"
        );
    }
    // Replacing keeps only the last started visit's episode.
    let (_, (_, replaced)) = run_with(&visits, 6, 1, false);
    assert_eq!(replaced[0].n_episodes(), 1);
    assert_eq!(rows(&replaced[0], 0), rows(&context[0], 5));
}
