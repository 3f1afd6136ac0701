//! The env checker (like Gymnasium's `check_env`): spaces, reset and step contracts, finite
//! outputs, determinism under a seed. Every env must pass it; problems come back as sentences.

use rand::{Rng, SeedableRng};

use super::contract::Env;

/// Runs the checks with `n_steps` random-action steps; returns the problems found (empty = pass).
pub fn check_env(env: &mut dyn Env, seed: u64, n_steps: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let obs_space = env.observation_space().clone();
    let act_space = env.action_space().clone();
    let (od, ad) = (obs_space.dim(), act_space.dim());

    // Spaces.
    if od == 0 || ad == 0 {
        problems.push(format!("empty space: obs {od}, action {ad}"));
        return problems;
    }
    for (name, s) in [("observation", &obs_space), ("action", &act_space)] {
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

    // Step before reset is an error (an env starts with no episode).
    if env.step(&vec![0.0; ad]).is_ok() {
        problems.push("step before reset succeeded; it must be an error".into());
    }

    // Reset.
    let r = match env.reset(seed) {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("reset failed: {e}"));
            return problems;
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

    // Malformed actions.
    if env.step(&vec![0.0; ad + 1]).is_ok() {
        problems.push("a wrong-length action was accepted".into());
    }
    let mut nan = vec![0.0; ad];
    nan[0] = f32::NAN;
    if env.step(&nan).is_ok() {
        problems.push("a NaN action was accepted".into());
    }

    // Random rollout: finite outputs, reward = sum of terms, done ⇒ step errors until reset.
    let run = |env: &mut dyn Env, problems: &mut Vec<String>| -> Vec<(Vec<f32>, f32, bool, bool)> {
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
            if t % 7 == 3 && s.info.clipped_actions as usize != ad {
                problems.push(format!(
                    "step {t}: out-of-range action not counted as clipped"
                ));
            }
            if !obs_space.contains(&s.obs) {
                problems.push(format!(
                    "step {t}: observation outside the space or not finite"
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
    };
    let a = run(env, &mut problems);
    let b = run(env, &mut problems);
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
