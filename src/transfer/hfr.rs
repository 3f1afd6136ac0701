//! HFR, hindsight foresight relabeling (Wan et al., 2021): a trajectory τ is offered to every
//! training task j; its utility for j is the value the agent expects at τ's start state when
//! z is inferred from τ relabeled to j,
//! `U_j(τ) = min(Q1, Q2)(s_0, π(s_0, z), z)`, `z = mean posterior(τ relabeled to j)`;
//! each task's partition `log Z_j = log mean_m exp(U_j^(m) / T)` over contexts m of task j
//! normalises tasks that are easy everywhere; the target task is drawn from
//! `q(j | τ) = softmax_j(U_j(τ)/T − log Z_j)`. The relabeled trajectory then trains task j
//! with ordinary bootstrapping (dynamics shift between i and j is ignored — what DRaT fixes).

use rand_pcg::Pcg64;

use super::relabel::relabeled;
use super::scorer::{repeat_rows, Scorer, StepInputs, Tally, Valuation};
use crate::config::{Config, Reward, Utility};
use crate::data::trajectory::Trajectory;
use crate::error::Result;

/// HFR's valuation: `U_j(τ) = V(s, z_j(τ))` with z_j inferred from τ relabeled to j, at the
/// start state or averaged over τ's states (`transfer.utility`); no per-step values (moved
/// rows bootstrap as usual).
pub struct HfrValue;

impl Valuation for HfrValue {
    fn reward(&self, _: &Config) -> Reward {
        Reward::OfNextState
    }

    fn fixes_targets(&self) -> bool {
        false
    }

    fn values(
        &self,
        _: &Scorer<'_>,
        _: &Trajectory,
        _: usize,
        _: &StepInputs,
        _: &mut Tally,
    ) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        Ok(None)
    }

    fn utilities(
        &self,
        s: &Scorer<'_>,
        traj: &Trajectory,
        rng: &mut Pcg64,
        _: &mut Tally,
    ) -> Result<Vec<f32>> {
        let rows = &traj.rows;
        let n_tasks = s.tasks.len();
        // The context of τ relabeled to j carries j's rewards as the env gives them.
        let mut ctx = Vec::new();
        for task in s.tasks {
            ctx.extend(relabeled(&s.cfg.reward, rows, task.goal).context_rows());
        }
        let z = s.agent.posterior_means(&ctx, n_tasks, rows.len())?;
        let (od, l) = (s.agent.obs_dim(), s.agent.latent_dim());
        let states = match s.cfg.transfer.utility {
            Utility::Start => rows.obs[..od].to_vec(),
            Utility::Trajectory => rows.obs.clone(),
        };
        let per_task = states.len() / od;
        let mut zs = Vec::with_capacity(n_tasks * per_task * l);
        for j in 0..n_tasks {
            zs.extend(repeat_rows(&z[j * l..(j + 1) * l], per_task));
        }
        let v = s.value(&repeat_rows(&states, n_tasks), &zs, rng)?;
        Ok(v.chunks(per_task).map(|c| s.utility_of(c)).collect())
    }
}
