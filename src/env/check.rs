//! The env checker (like Gymnasium's `check_env`): spaces, reset and step contracts, finite
//! outputs, determinism under a seed. Every env must pass it; problems come back as sentences.

use rand::{Rng, SeedableRng};

use super::contract::{BoxSpace, Env, Step};

/// What a rollout records per step: observation, reward, terminated, truncated.
type Trace = Vec<(Vec<f32>, f32, bool, bool)>;

/// Runs the checks with `n_steps` random-action steps; returns the problems found (empty = pass).
pub fn check_env(env: &mut dyn Env, seed: u64, n_steps: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let obs_space = env.observation_space().clone();
    let act_space = env.action_space().clone();
    let ad = act_space.dim();

    if !check_spaces(&obs_space, &act_space, &mut problems) {
        return problems;
    }

    // Step before reset is an error (an env starts with no episode).
    if env.step(&vec![0.0; ad]).is_ok() {
        problems.push("step before reset succeeded; it must be an error".into());
    }

    if !check_reset(env, seed, &obs_space, &mut problems) {
        return problems;
    }
    check_malformed_actions(env, ad, &mut problems);

    // Random rollout: finite outputs, reward = sum of terms, done ⇒ step errors until reset.
    let a = rollout(env, seed, n_steps, &obs_space, ad, &mut problems);
    let b = rollout(env, seed, n_steps, &obs_space, ad, &mut problems);
    if a != b {
        problems.push("same seed and actions gave different trajectories".into());
    }
    if a.len() != n_steps {
        problems.push(format!(
            "rollout stopped after {} of {n_steps} steps",
            a.len()
        ));
    }
    problems
}

/// Non-empty, consistent spaces with ordered bounds, and actions in [-1, 1]. Returns false
/// when a space is empty (nothing else can be checked).
fn check_spaces(obs_space: &BoxSpace, act_space: &BoxSpace, problems: &mut Vec<String>) -> bool {
    let (od, ad) = (obs_space.dim(), act_space.dim());
    if od == 0 || ad == 0 {
        problems.push(format!("empty space: obs {od}, action {ad}"));
        return false;
    }
    for (name, s) in [("observation", obs_space), ("action", act_space)] {
        if s.high.len() != s.low.len() || s.names.len() != s.low.len() {
            problems.push(format!("{name} space: low/high/names lengths differ"));
        }
        if s.low
            .iter()
            .zip(&s.high)
            .any(|(l, h)| l.is_nan() || h.is_nan() || l > h)
        {
            problems.push(format!("{name} space: some low > high or NaN bound"));
        }
    }
    if act_space.low.iter().any(|&l| l != -1.0) || act_space.high.iter().any(|&h| h != 1.0) {
        problems.push("action space must be [-1, 1]^n".into());
    }
    true
}

/// A reset's observation is in the space and its info names the task in effect. Returns false
/// when the reset fails.
fn check_reset(
    env: &mut dyn Env,
    seed: u64,
    obs_space: &BoxSpace,
    problems: &mut Vec<String>,
) -> bool {
    let r = match env.reset(seed) {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("reset failed: {e}"));
            return false;
        }
    };
    if !obs_space.contains(&r.obs) {
        problems.push(format!(
            "reset observation outside the space or not finite: {:?}",
            r.obs
        ));
    }
    if r.info.task_id != env.task().id || r.info.goal != env.task().goal {
        problems.push("reset info does not report the task in effect".into());
    }
    true
}

/// Wrong-length and NaN actions are errors.
fn check_malformed_actions(env: &mut dyn Env, ad: usize, problems: &mut Vec<String>) {
    if env.step(&vec![0.0; ad + 1]).is_ok() {
        problems.push("a wrong-length action was accepted".into());
    }
    let mut nan = vec![0.0; ad];
    nan[0] = f32::NAN;
    if env.step(&nan).is_ok() {
        problems.push("a NaN action was accepted".into());
    }
}

/// One seeded random rollout of `n_steps` (resetting after each episode), checking every step.
fn rollout(
    env: &mut dyn Env,
    seed: u64,
    n_steps: usize,
    obs_space: &BoxSpace,
    ad: usize,
    problems: &mut Vec<String>,
) -> Trace {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed ^ 0x5EED);
    let mut trace = Vec::new();
    if let Err(e) = env.reset(seed) {
        problems.push(format!("reset failed: {e}"));
        return trace;
    }
    for t in 0..n_steps {
        // Every 7th action is out of range on purpose: it must be clipped and counted.
        let a: Vec<f32> = (0..ad)
            .map(|_| {
                if t % 7 == 3 {
                    1.5
                } else {
                    rng.random_range(-1.0..=1.0)
                }
            })
            .collect();
        let s = match env.step(&a) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("step {t} failed: {e}"));
                break;
            }
        };
        check_step(t, &s, obs_space, ad, problems);
        let done = s.done();
        trace.push((s.obs, s.reward, s.terminated, s.truncated));
        if done {
            if env.step(&vec![0.0; ad]).is_ok() {
                problems.push(format!(
                    "step {t}: stepping after the episode ended succeeded"
                ));
            }
            if let Err(e) = env.reset(seed.wrapping_add(t as u64)) {
                problems.push(format!("reset after done failed: {e}"));
                break;
            }
        }
    }
    trace
}

/// Step `t`'s outputs: clipping counted, observation in the space, reward finite and the sum
/// of its terms, achieved position finite.
fn check_step(t: usize, s: &Step, obs_space: &BoxSpace, ad: usize, problems: &mut Vec<String>) {
    if t % 7 == 3 && s.info.clipped_actions as usize != ad {
        problems.push(format!(
            "step {t}: out-of-range action not counted as clipped"
        ));
    }
    if let Some(v) = obs_space.first_violation(&s.obs) {
        problems.push(format!(
            "step {t}: observation outside the space or not finite ({v})"
        ));
    }
    if !s.reward.is_finite() || (s.reward - s.info.terms.total()).abs() > 1e-5 {
        problems.push(format!(
            "step {t}: reward not finite or not the sum of its terms"
        ));
    }
    if !(s.info.achieved[0].is_finite() && s.info.achieved[1].is_finite()) {
        problems.push(format!("step {t}: achieved position not finite"));
    }
}
