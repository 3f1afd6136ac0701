//! Off-task value estimators over one trajectory of task i relabeled to task j, as pure
//! functions over slices (per-decision form, computed backward; `T` = trajectory length, the
//! value after the last step is `bootstrap`: 0 after termination, `V̂(s_T)` after a time-limit
//! truncation). Ratio convention: see [`crate::transfer`].
//!
//! **DRaE's ρ̂d.** With `x = γ·Ṽ_ij(t+1)` (the estimate itself, one step later) and
//! `y = γ·V_j(s_{t+1})` (the unknown true value), the MSE bound of one step is the sum of a
//! variance term, the squared DR correction `(r_j + ρ̂d·x − Q̂(s_t,a_t))²`, and a bias term
//! `(ρ̂d·x − y)²`. Its derivative in ρ̂d is `2x(r_j + ρ̂d·x − Q̂) + 2x(ρ̂d·x − y)`, zero at
//!
//! `ρ̂d* = (γ·V_j(s_{t+1}) + Q̂(s_t,a_t,z_j) − r_j) / (2γ·Ṽ_ij(t+1))`   (`drae`).
//!
//! The seed slide's `(γ·V_j(s_{t+1}) − r_j) / (2γ·Ṽ_ij(t+1))` (`drae-slide`) is this minimiser
//! with the control variate Q̂ dropped from the variance term. Without any shift and with
//! exact critics, `Q̂ − r_j = γ·E[V_j(s')] ≈ x ≈ y`, so `drae` gives ρ̂d ≈ 1 while the slide
//! gives ≈ ½ and halves every bootstrapped value.
//!
//! **Interval rule.** V_j is unknown; the caller gives an interval `[v_lo, v_hi]` of value
//! estimates at `s_{t+1}` (the twin critics' min and max). ρ̂d* is affine in y, so the interval
//! maps to an interval of minimisers; [`IntervalRule::ClosestToOne`] (default) takes its point
//! closest to 1 ("no shift unless every plausible value says otherwise"),
//! [`IntervalRule::Midpoint`] its middle. The result is clipped to `[0, ρmax]`. When
//! `|x| < eps` (common with sparse rewards) the term ρ̂d·x is negligible whatever ρ̂d is and
//! the division is unstable: ρ̂d = 1 is used and counted as guarded.
//!
//! **What DRaE does in practice (measured on the tabular test bed).** Unclipped, the derived
//! minimiser gives `ρ̂d·x = (y + Q̂ − r_j)/2`: the backward term is the average of the critic's
//! own one-step prediction `Q̂ − r_j` and the value estimate at `s_{t+1}`, so with
//! closest-to-one the estimate is DR with ρd = 1 whose next value is pulled into a band around
//! the critic, and with `midpoint` it no longer depends on `Ṽ_ij(t+1)` at all. Its RMSE gain
//! over DR and naive relabeling therefore comes mostly from leaning on the critic (variance
//! reduction), and it is as large without any shift as with one. On the sparse tabular setup
//! the critic alone, `V̂(s_0)`, is about as accurate as `drae` (the `critic` row of
//! `cargo run --release --example transfer_table`): DRaE is a safe way to use off-task data,
//! not a dynamics correction, unless the critics' interval is tight.
//!
//! **Rewards of the next state.** The specification's recursion assumes `r_j(s_t, a_t)` does not
//! depend on `s_{t+1}` (true in the tabular bed: [`Reward::OfStep`]). The robots' goal reward
//! is a function of the achieved position after the step ([`Reward::OfNextState`]), so the
//! dynamics ratio of step t must weight the reward too — one [`backup`] for every path:
//! `V = V̂ + ρπ·[ρd·(r_j + γ·V(t+1)) − Q̂]`. Deriving DRaE's ρ̂d again with the weighted term
//! `u = r_j + x` and its target `w = r_j + y`: the bound's derivative `2u(ρ̂d·u − Q̂) +
//! 2u(ρ̂d·u − w)` is zero at `ρ̂d* = (Q̂ + r_j + γV_j)/(2(r_j + γṼ_ij(t+1)))` (`drae` on the
//! robots). The slide's literal formula (`drae-slide`) stays in the specification's form.

use serde::{Deserialize, Serialize};

pub use crate::config::{IntervalRule, Reward};
use crate::error::{Error, Result};

/// Which minimiser of the MSE bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DraeVariant {
    /// `(γV_j + Q̂ − r_j) / (2γṼ)`, derived from the full bound.
    #[default]
    Derived,
    /// `(γV_j − r_j) / (2γṼ)`, the seed slide taken literally.
    Slide,
}

/// The one-step backup every estimator and every stored critic target uses:
/// `r + ρd·γ·V(t+1)` for [`Reward::OfStep`], `ρd·(r + γ·V(t+1))` for [`Reward::OfNextState`]
/// (`gamma_next` = γ·V(t+1), 0 after termination).
pub fn backup(reward: Reward, r: f32, rho_d: f32, gamma_next: f32) -> f32 {
    match reward {
        Reward::OfStep => r + rho_d * gamma_next,
        Reward::OfNextState => rho_d * (r + gamma_next),
    }
}

/// Parameters of DRaE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DraeParams {
    /// Discount γ.
    pub gamma: f32,
    /// Upper clip of ρ̂d.
    pub rho_max: f32,
    /// Guard threshold on |γ·Ṽ_ij(t+1)|.
    pub eps: f32,
    /// Interval rule.
    pub rule: IntervalRule,
    /// Derived or slide minimiser.
    pub variant: DraeVariant,
    /// What rewards depend on: with [`Reward::OfNextState`] ρ̂d weights `r_j + γ·Ṽ_ij(t+1)`
    /// (see the module docs). The slide variant always uses the specification's form.
    pub reward: Reward,
}

impl DraeParams {
    /// The reward form the backup uses: the slide is the specification taken literally.
    pub fn backup_reward(&self) -> Reward {
        match self.variant {
            DraeVariant::Derived => self.reward,
            DraeVariant::Slide => Reward::OfStep,
        }
    }
}

/// DRaE's per-step values and diagnostics.
#[derive(Clone, Debug, PartialEq)]
pub struct DraeOutput {
    /// `Ṽ_ij(t)` for t = 0..T.
    pub values: Vec<f32>,
    /// ρ̂d used for the transition t → t+1.
    pub rho_d: Vec<f32>,
    /// Steps where the near-zero guard set ρ̂d = 1.
    pub guarded: usize,
}

fn check_lengths(n: usize, named: &[(&str, usize)]) -> Result<()> {
    for &(name, len) in named {
        if len != n {
            return Err(Error::argument(
                name,
                format!("has {len} values, the trajectory has {n} steps"),
            ));
        }
    }
    Ok(())
}

/// Per-decision importance sampling:
/// `G_t = ρπ(t)·(r_j(t) + γ·ρd(t)·G_{t+1})`, `G_T = bootstrap`.
pub fn is_estimate(
    r: &[f32],
    rho_pi: &[f32],
    rho_d: &[f32],
    gamma: f32,
    bootstrap: f32,
) -> Result<Vec<f32>> {
    check_lengths(r.len(), &[("rho_pi", rho_pi.len()), ("rho_d", rho_d.len())])?;
    let mut out = vec![0.0; r.len()];
    let mut next = bootstrap;
    for t in (0..r.len()).rev() {
        next = rho_pi[t] * (r[t] + gamma * rho_d[t] * next);
        out[t] = next;
    }
    Ok(out)
}

/// Per-decision doubly robust estimate:
/// `V_ij(t) = V̂(t) + ρπ(t)·[backup(r_j(t), ρd(t), γ·V_ij(t+1)) − Q̂(t)]`, `V_ij(T) = bootstrap`
/// ([`backup`]: `r + ρd·γV` for rewards of the step, `ρd·(r + γV)` for rewards of the next
/// state). With ρd ≡ 1 this is naive relabeling; with the exact ρd it is the oracle DR.
#[allow(clippy::too_many_arguments)]
pub fn dr_estimate(
    reward: Reward,
    r: &[f32],
    rho_pi: &[f32],
    rho_d: &[f32],
    v: &[f32],
    q: &[f32],
    gamma: f32,
    bootstrap: f32,
) -> Result<Vec<f32>> {
    check_lengths(
        r.len(),
        &[
            ("rho_pi", rho_pi.len()),
            ("rho_d", rho_d.len()),
            ("v", v.len()),
            ("q", q.len()),
        ],
    )?;
    let mut out = vec![0.0; r.len()];
    let mut next = bootstrap;
    for t in (0..r.len()).rev() {
        next = v[t] + rho_pi[t] * (backup(reward, r[t], rho_d[t], gamma * next) - q[t]);
        out[t] = next;
    }
    Ok(out)
}

/// DRaE's ρ̂d for one step: `x = γ·Ṽ_ij(t+1)`, `[y_lo, y_hi]` = γ × the interval of
/// `V_j(s_{t+1})`. Returns (ρ̂d, guarded). For rewards of the next state (derived variant) the
/// weighted term is `r_j + x` and the target `r_j + y`, so the minimiser reads with r_j moved
/// into x and y: `(Q̂ + r_j + y)/(2(r_j + x))`. The slide is always `(y − r_j)/(2x)`.
pub fn drae_rho(r: f32, q: f32, x: f32, y_lo: f32, y_hi: f32, p: &DraeParams) -> (f32, bool) {
    let (r, x, y_lo, y_hi) = if p.backup_reward() == Reward::OfNextState {
        (0.0, r + x, r + y_lo, r + y_hi)
    } else {
        (r, x, y_lo, y_hi)
    };
    if !x.is_finite() || x.abs() < p.eps {
        return (1.0f32.min(p.rho_max), true);
    }
    let shift = match p.variant {
        DraeVariant::Derived => q - r,
        DraeVariant::Slide => -r,
    };
    let a = (y_lo + shift) / (2.0 * x);
    let b = (y_hi + shift) / (2.0 * x);
    if !(a.is_finite() && b.is_finite()) {
        // Non-finite critic values (a diverging critic): fall back like the guard.
        return (1.0f32.min(p.rho_max), true);
    }
    let (lo, hi) = (a.min(b), a.max(b));
    let rho = match p.rule {
        IntervalRule::ClosestToOne => 1.0f32.clamp(lo, hi),
        IntervalRule::Midpoint => 0.5 * (lo + hi),
    };
    (rho.clamp(0.0, p.rho_max), false)
}

/// Doubly robust augmented estimate: the DR recursion with ρd replaced by
/// [`drae_rho`]`(r_j(t), Q̂(t), γ·Ṽ_ij(t+1), γ·v_lo(t), γ·v_hi(t))`, where `v_lo(t)`,
/// `v_hi(t)` bound the value of `s_{t+1}` under task j.
#[allow(clippy::too_many_arguments)]
pub fn drae_estimate(
    r: &[f32],
    rho_pi: &[f32],
    v: &[f32],
    q: &[f32],
    v_next_lo: &[f32],
    v_next_hi: &[f32],
    p: &DraeParams,
    bootstrap: f32,
) -> Result<DraeOutput> {
    check_lengths(
        r.len(),
        &[
            ("rho_pi", rho_pi.len()),
            ("v", v.len()),
            ("q", q.len()),
            ("v_next_lo", v_next_lo.len()),
            ("v_next_hi", v_next_hi.len()),
        ],
    )?;
    let n = r.len();
    let mut out = DraeOutput {
        values: vec![0.0; n],
        rho_d: vec![0.0; n],
        guarded: 0,
    };
    let mut next = bootstrap;
    for t in (0..n).rev() {
        let g = p.gamma;
        let (rho, guarded) = drae_rho(r[t], q[t], g * next, g * v_next_lo[t], g * v_next_hi[t], p);
        out.guarded += usize::from(guarded);
        out.rho_d[t] = rho;
        next = v[t] + rho_pi[t] * (backup(p.backup_reward(), r[t], rho, g * next) - q[t]);
        out.values[t] = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(variant: DraeVariant) -> DraeParams {
        DraeParams {
            gamma: 0.5,
            rho_max: 10.0,
            eps: 1e-6,
            rule: IntervalRule::ClosestToOne,
            variant,
            reward: Reward::OfStep,
        }
    }

    #[test]
    fn is_and_dr_match_hand_computed_two_step_cases() {
        // IS: G1 = 2·(1 + 0.5·1·0) = 2; G0 = 0.5·(0 + 0.5·3·2) = 1.5.
        let g = is_estimate(&[0.0, 1.0], &[0.5, 2.0], &[3.0, 1.0], 0.5, 0.0).unwrap();
        assert_eq!(g, vec![1.5, 2.0]);
        // DR: V1 = 0.2 + 2·(1 + 0 − 0.4) = 1.4; V0 = 0.1 + 0.5·(0 + 3·0.5·1.4 − 0.3) = 1.0.
        let d = dr_estimate(
            Reward::OfStep,
            &[0.0, 1.0],
            &[0.5, 2.0],
            &[3.0, 1.0],
            &[0.1, 0.2],
            &[0.3, 0.4],
            0.5,
            0.0,
        )
        .unwrap();
        assert!(
            (d[1] - 1.4).abs() < 1e-6 && (d[0] - 1.0).abs() < 1e-6,
            "{d:?}"
        );
        let short = dr_estimate(
            Reward::OfStep,
            &[0.0],
            &[1.0, 1.0],
            &[1.0],
            &[0.0],
            &[0.0],
            0.5,
            0.0,
        );
        assert!(short.is_err());
        // Rewards of the next state: V1 = 0.2 + 2·(1·(1 + 0) − 0.4) = 1.4;
        // V0 = 0.1 + 0.5·(3·(0 + 0.5·1.4) − 0.3) = 1.0 — and with r0 = 1 the ratio weights it:
        // V0 = 0.1 + 0.5·(3·(1 + 0.7) − 0.3) = 2.5 (the step form would give 1.5).
        let d = dr_estimate(
            Reward::OfNextState,
            &[1.0, 1.0],
            &[0.5, 2.0],
            &[3.0, 1.0],
            &[0.1, 0.2],
            &[0.3, 0.4],
            0.5,
            0.0,
        )
        .unwrap();
        assert!((d[0] - 2.5).abs() < 1e-6, "{d:?}");
        assert_eq!(backup(Reward::OfStep, 1.0, 3.0, 0.7), 1.0 + 3.0 * 0.7);
        assert_eq!(backup(Reward::OfNextState, 1.0, 3.0, 0.7), 3.0 * 1.7);
    }

    #[test]
    fn derived_rho_is_one_and_slide_rho_is_half_without_shift() {
        // Exact critics, no shift: V(s') = 2, r = 0, Q = γ·V(s') = 1, Ṽ(s') = 2.
        let (g, v2) = (0.5, 2.0);
        let q = g * v2;
        let (rho, _) = drae_rho(
            0.0,
            q,
            g * v2,
            g * v2,
            g * v2,
            &params(DraeVariant::Derived),
        );
        assert!((rho - 1.0).abs() < 1e-6);
        let (rho, _) = drae_rho(0.0, q, g * v2, g * v2, g * v2, &params(DraeVariant::Slide));
        assert!((rho - 0.5).abs() < 1e-6);
    }

    #[test]
    fn interval_rule_guard_and_clip() {
        let p = params(DraeVariant::Derived);
        // Interval of minimisers [(0.2+0.6)/2, (1.4+0.6)/2] = [0.4, 1.0] contains 1 → 1.
        assert_eq!(drae_rho(0.4, 1.0, 1.0, 0.2, 1.4, &p).0, 1.0);
        // [(0.2+0.6)/2, (0.6+0.6)/2] = [0.4, 0.6] → closest to 1 is 0.6; midpoint 0.5.
        assert!((drae_rho(0.4, 1.0, 1.0, 0.2, 0.6, &p).0 - 0.6).abs() < 1e-6);
        let mid = DraeParams {
            rule: IntervalRule::Midpoint,
            ..p
        };
        assert!((drae_rho(0.4, 1.0, 1.0, 0.2, 0.6, &mid).0 - 0.5).abs() < 1e-6);
        // Non-finite critic values do not panic: guarded.
        assert_eq!(drae_rho(0.0, f32::NAN, 1.0, 0.0, 1.0, &p), (1.0, true));
        // Near-zero Ṽ: guarded, ρ̂d = 1.
        assert_eq!(drae_rho(0.0, 1.0, 1e-9, 0.0, 1.0, &p), (1.0, true));
        // Clipped to [0, ρmax].
        let tight = DraeParams { rho_max: 2.0, ..p };
        assert_eq!(drae_rho(0.0, 10.0, 1.0, 10.0, 10.0, &tight).0, 2.0);
        assert_eq!(drae_rho(10.0, 0.0, 1.0, 0.0, 0.0, &tight).0, 0.0);
    }

    #[test]
    fn next_state_rewards_move_r_into_the_weighted_term() {
        let p = DraeParams {
            reward: Reward::OfNextState,
            ..params(DraeVariant::Derived)
        };
        // r = 1, Q̂ = 2, x = 0.5, y ∈ [0.5, 0.5]: (2 + 1 + 0.5)/(2·1.5) = 7/6.
        let (rho, guarded) = drae_rho(1.0, 2.0, 0.5, 0.5, 0.5, &p);
        assert!(!guarded && (rho - 7.0 / 6.0).abs() < 1e-6, "{rho}");
        let slide = DraeParams {
            variant: DraeVariant::Slide,
            ..p
        };
        // The slide stays literal: (y − r)/(2x) = (0.5 − 1)/1 < 0 → clipped to 0.
        assert_eq!(drae_rho(1.0, 2.0, 0.5, 0.5, 0.5, &slide).0, 0.0);
        // The guard looks at r + x: x = 0 but r = 1 is not guarded.
        assert!(!drae_rho(1.0, 2.0, 0.0, 0.0, 0.0, &p).1);
        // One step, bootstrap 0: V = v + ρπ·(ρ̂d·(r + 0) − Q̂) with ρ̂d = (Q̂ + r)/(2r) = 1.5
        // for r = 1, Q̂ = 2: V = 0.5 + 1·(1.5 − 2) = 0.
        let out = drae_estimate(&[1.0], &[1.0], &[0.5], &[2.0], &[0.0], &[0.0], &p, 0.0).unwrap();
        assert!(
            (out.rho_d[0] - 1.5).abs() < 1e-6 && out.values[0].abs() < 1e-6,
            "{out:?}"
        );
    }

    #[test]
    fn drae_with_exact_critics_and_no_shift_equals_the_true_value() {
        // Deterministic chain r = (0, 1), γ = 0.5, exact V = (0.5, 1), Q = V, ρπ = 1.
        let out = drae_estimate(
            &[0.0, 1.0],
            &[1.0, 1.0],
            &[0.5, 1.0],
            &[0.5, 1.0],
            &[1.0, 0.0],
            &[1.0, 0.0],
            &params(DraeVariant::Derived),
            0.0,
        )
        .unwrap();
        assert!((out.values[0] - 0.5).abs() < 1e-6 && (out.values[1] - 1.0).abs() < 1e-6);
        assert!((out.rho_d[0] - 1.0).abs() < 1e-6);
        assert_eq!(out.guarded, 1); // the last step bootstraps from 0
        let slide = drae_estimate(
            &[0.0, 1.0],
            &[1.0, 1.0],
            &[0.5, 1.0],
            &[0.5, 1.0],
            &[1.0, 0.0],
            &[1.0, 0.0],
            &params(DraeVariant::Slide),
            0.0,
        )
        .unwrap();
        // Slide: ρ̂d = (0.5 − 0)/(2·0.5) = 0.5 → V0 = 0.5 + (0 + 0.5·0.5·1 − 0.5) = 0.25.
        assert!((slide.values[0] - 0.25).abs() < 1e-6, "{:?}", slide.values);
    }
}
