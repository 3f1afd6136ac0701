//! DRaT, doubly robust augmented transfer: each iteration, a share of the freshly collected
//! trajectories is offered to every training task; the target task is drawn like HFR's
//! (softmax of utility minus the task's log-partition), but the utility of task j comes from
//! the **DRaE estimates** `Ṽ_ij(t)` of the trajectory relabeled to j, which account for the
//! dynamics shift between the data's task i and j. Moved trajectories are kept whole in j's
//! transfer buffer; their critic targets are recomputed with the *current* networks on a fixed
//! cadence (`transfer.refresh_every`), never frozen from the iteration they moved in:
//!
//! `y_t = backup(s·r_j(t), ρ̂d(t), γ·Ṽ_ij(t+1))`, `Ṽ_ij(T)` = the bootstrap value after a
//! time-limit truncation, 0 after termination — the same [`backup`](super::estimators::backup)
//! the estimators use.
//!
//! Two [`Valuation`]s live here: [`DraeValue`] (ρ̂d from the twin critics' interval; derived
//! or the seed slide's variant) and [`DrValue`], per-decision DR with a given ρd: the oracle's
//! (exact, from the point robot's transition densities) or the learned classifiers'. The
//! shared machinery (inputs, target choice, targets) is
//! [`super::scorer`]; the strategy that moves trajectories is [`super::mover::Mover`].

use super::estimators::{dr_estimate, drae_estimate, DraeParams, DraeVariant};
use super::scorer::{Scorer, StepInputs, Tally, Valuation};
use crate::config::{Config, Reward};
use crate::data::trajectory::Trajectory;
use crate::error::{Error, Result};

/// Per-decision DR, the reward of the next state weighted by ρd (see
/// tests/transfer_convention.rs), with ρd from [`DrRatio`].
pub struct DrValue(pub DrRatio);

/// Where [`DrValue`]'s ρd comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrRatio {
    /// The oracle: the noisy point robot's exact transition densities.
    Exact,
    /// The learned classifiers ([`super::ratio::RatioModel`]), clipped to
    /// `transfer.rho_d_max` as the other ratios are.
    Learned,
}

impl Valuation for DrValue {
    fn reward(&self, _: &Config) -> Reward {
        Reward::OfNextState
    }

    fn values(
        &self,
        s: &Scorer<'_>,
        traj: &Trajectory,
        j: usize,
        x: &StepInputs,
        _: &mut Tally,
    ) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        let rho_d = match self.0 {
            DrRatio::Exact => s.exact_rho_d(&traj.rows, traj.task, j),
            DrRatio::Learned => {
                let model = s.ratio.ok_or_else(|| {
                    Error::argument(
                        "transfer.ratio",
                        "`learned` valuation without a trained ratio model (the trainer makes one)",
                    )
                })?;
                model.rho_d(&traj.rows, traj.task, j, s.cfg.transfer.rho_d_max)?
            }
        };
        let gamma = s.cfg.agent.gamma as f32;
        let vals = dr_estimate(
            Reward::OfNextState,
            &x.r,
            &x.rho_pi,
            &rho_d,
            &x.v,
            &x.q,
            gamma,
            x.bootstrap,
        )?;
        Ok(Some((vals, rho_d)))
    }
}

/// DRaE: ρ̂d estimated from the twin critics' interval (`variant`: derived or the slide's).
pub struct DraeValue(pub DraeVariant);

impl DraeValue {
    fn params(&self, cfg: &Config) -> DraeParams {
        let c = &cfg.transfer;
        DraeParams {
            gamma: cfg.agent.gamma as f32,
            rho_max: c.rho_d_max,
            eps: c.eps,
            rule: c.interval_rule,
            variant: self.0,
            reward: c.reward,
        }
    }
}

impl Valuation for DraeValue {
    fn reward(&self, cfg: &Config) -> Reward {
        self.params(cfg).backup_reward()
    }

    fn values(
        &self,
        s: &Scorer<'_>,
        _: &Trajectory,
        _: usize,
        x: &StepInputs,
        tally: &mut Tally,
    ) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        let p = self.params(s.cfg);
        let out = drae_estimate(&x.r, &x.rho_pi, &x.v, &x.q, &x.lo, &x.hi, &p, x.bootstrap)?;
        tally.guarded += out.guarded;
        tally.drae_n += x.r.len();
        Ok(Some((out.values, out.rho_d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::scorer::row_targets;

    /// The trainer's stored targets and the estimator's recursion use the same backup:
    /// `Ṽ(t) = V̂(t) + ρπ(t)·(y_t − Q̂(t))` for every step, on hand-made numbers.
    #[test]
    fn row_targets_and_the_estimator_agree_on_a_hand_case() {
        let x = StepInputs {
            r: vec![0.0, 2.0],
            rho_pi: vec![0.5, 2.0],
            v: vec![0.1, 0.2],
            q: vec![0.3, 0.4],
            lo: vec![0.0, 0.0],
            hi: vec![0.0, 0.0],
            bootstrap: 1.0,
            terminal: vec![false, false],
        };
        let rho_d = [3.0, 0.5];
        let g = 0.5;
        let vals = dr_estimate(
            Reward::OfNextState,
            &x.r,
            &x.rho_pi,
            &rho_d,
            &x.v,
            &x.q,
            g,
            x.bootstrap,
        )
        .unwrap();
        // Hand: y1 = 0.5·(2 + 0.5·1) = 1.25, V1 = 0.2 + 2·(1.25 − 0.4) = 1.9;
        // y0 = 3·(0 + 0.5·1.9) = 2.85, V0 = 0.1 + 0.5·(2.85 − 0.3) = 1.375.
        let y = row_targets(Reward::OfNextState, &x, &vals, &rho_d, g);
        assert!(
            (y[1] - 1.25).abs() < 1e-6 && (y[0] - 2.85).abs() < 1e-6,
            "{y:?}"
        );
        assert!((vals[1] - 1.9).abs() < 1e-6 && (vals[0] - 1.375).abs() < 1e-6);
        for t in 0..2 {
            let back = x.v[t] + x.rho_pi[t] * (y[t] - x.q[t]);
            assert!((back - vals[t]).abs() < 1e-6, "step {t}");
        }
        // A terminal last step backs up nothing after it.
        let end = StepInputs {
            terminal: vec![false, true],
            ..x.clone()
        };
        let y = row_targets(Reward::OfNextState, &end, &vals, &rho_d, g);
        assert!((y[1] - 0.5 * 2.0).abs() < 1e-6);
    }
}
