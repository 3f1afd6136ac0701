//! Per-task physical parameters: a mass scale per body and a sliding-friction coefficient,
//! drawn from configured ranges. Values are always relative to the robot's *nominal*
//! description, so applying them twice never compounds (the world is rebuilt from the nominal
//! model on every reset).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The dynamics of one task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DynamicsParams {
    /// Multiplier on each body's nominal mass (and inertia), in link order of the robot model
    /// without the fixed `world` link. Length = number of bodies.
    pub mass_scale: Vec<f32>,
    /// Coulomb friction coefficient between the robot and the ground (dimensionless).
    pub friction_coef: f32,
}

/// Ranges that tasks draw their dynamics from. `[min, max]`, uniform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicsRanges {
    /// When false every task uses the nominal dynamics (mass scale 1, `nominal_friction`).
    pub randomize: bool,
    /// Range of the per-body mass scale.
    pub mass_scale: [f32; 2],
    /// Range of the friction coefficient.
    pub friction: [f32; 2],
    /// One scale for all bodies (true) or an independent draw per body (false).
    pub shared_mass_scale: bool,
    /// Friction used when `randomize` is false.
    pub nominal_friction: f32,
}

impl DynamicsRanges {
    /// Checks that ranges are positive and ordered; `field` is the config path for messages.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(&format!("{field}.mass_scale"), self.mass_scale, 1e-3, 1e3)?;
        check_range(&format!("{field}.friction"), self.friction, 0.0, 10.0)?;
        if !(self.nominal_friction.is_finite()
            && self.nominal_friction >= 0.0
            && self.nominal_friction <= 10.0)
        {
            return Err(Error::config(
                format!("{field}.nominal_friction"),
                format!("must be in [0, 10], got {}", self.nominal_friction),
            ));
        }
        Ok(())
    }

    /// Draws the dynamics of one task for a robot with `n_bodies` bodies.
    pub fn sample(&self, n_bodies: usize, rng: &mut impl Rng) -> DynamicsParams {
        if !self.randomize {
            return DynamicsParams::nominal(n_bodies, self.nominal_friction);
        }
        let [lo, hi] = self.mass_scale;
        let mass_scale = if self.shared_mass_scale {
            vec![uniform(rng, lo, hi); n_bodies]
        } else {
            (0..n_bodies).map(|_| uniform(rng, lo, hi)).collect()
        };
        let [flo, fhi] = self.friction;
        DynamicsParams {
            mass_scale,
            friction_coef: uniform(rng, flo, fhi),
        }
    }
}

impl DynamicsParams {
    /// The robot as described: every mass scale 1.
    pub fn nominal(n_bodies: usize, friction_coef: f32) -> Self {
        DynamicsParams {
            mass_scale: vec![1.0; n_bodies],
            friction_coef,
        }
    }

    /// Checks the parameters against a robot with `n_bodies` bodies.
    pub fn validate(&self, n_bodies: usize) -> Result<()> {
        if self.mass_scale.len() != n_bodies {
            return Err(Error::argument(
                "dynamics.mass_scale",
                format!(
                    "has {} entries, the robot has {n_bodies} bodies",
                    self.mass_scale.len()
                ),
            ));
        }
        if let Some(s) = self
            .mass_scale
            .iter()
            .find(|s| !(s.is_finite() && **s > 0.0))
        {
            return Err(Error::argument(
                "dynamics.mass_scale",
                format!("every scale must be finite and > 0, got {s}"),
            ));
        }
        if !(self.friction_coef.is_finite() && self.friction_coef >= 0.0) {
            return Err(Error::argument(
                "dynamics.friction_coef",
                format!("must be finite and ≥ 0, got {}", self.friction_coef),
            ));
        }
        Ok(())
    }

    /// Mean of the mass scales (a one-number summary for reports).
    pub fn mean_mass_scale(&self) -> f32 {
        self.mass_scale.iter().sum::<f32>() / self.mass_scale.len().max(1) as f32
    }
}

fn uniform(rng: &mut impl Rng, lo: f32, hi: f32) -> f32 {
    if hi > lo {
        rng.random_range(lo..=hi)
    } else {
        lo
    }
}

/// Checks a `[min, max]` range: finite, `lo_bound ≤ min ≤ max ≤ hi_bound`, min > 0 for scales.
pub fn check_range(field: &str, r: [f32; 2], lo_bound: f32, hi_bound: f32) -> Result<()> {
    let [a, b] = r;
    if !(a.is_finite() && b.is_finite()) {
        return Err(Error::config(
            field,
            format!("must be finite, got [{a}, {b}]"),
        ));
    }
    if a > b {
        return Err(Error::config(
            field,
            format!("min ≤ max required, got [{a}, {b}]"),
        ));
    }
    if a < lo_bound || b > hi_bound {
        return Err(Error::config(
            field,
            format!("must lie in [{lo_bound}, {hi_bound}], got [{a}, {b}]"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ranges() -> DynamicsRanges {
        DynamicsRanges {
            randomize: true,
            mass_scale: [0.5, 2.0],
            friction: [0.3, 1.5],
            shared_mass_scale: false,
            nominal_friction: 1.0,
        }
    }

    #[test]
    fn samples_stay_in_range_and_are_seeded() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        let draws: Vec<_> = (0..200).map(|_| ranges().sample(9, &mut rng)).collect();
        for d in &draws {
            assert!(d.mass_scale.iter().all(|&s| (0.5..=2.0).contains(&s)));
            assert!((0.3..=1.5).contains(&d.friction_coef));
            d.validate(9).unwrap();
        }
        // Per-body draws differ between bodies.
        assert!(draws[0].mass_scale.windows(2).any(|w| w[0] != w[1]));
        let mut rng2 = rand_pcg::Pcg64::seed_from_u64(3);
        assert_eq!(ranges().sample(9, &mut rng2), draws[0]);
    }

    #[test]
    fn disabled_randomization_gives_nominal() {
        let r = DynamicsRanges {
            randomize: false,
            ..ranges()
        };
        let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
        assert_eq!(r.sample(3, &mut rng), DynamicsParams::nominal(3, 1.0));
    }

    #[test]
    fn bad_ranges_name_the_field() {
        let r = DynamicsRanges {
            mass_scale: [2.0, 0.5],
            ..ranges()
        };
        let e = r.validate("tasks.dynamics").unwrap_err().to_string();
        assert!(
            e.contains("tasks.dynamics.mass_scale") && e.contains("min ≤ max"),
            "{e}"
        );
        let r = DynamicsRanges {
            friction: [-1.0, 0.5],
            ..ranges()
        };
        assert!(r
            .validate("d")
            .unwrap_err()
            .to_string()
            .contains("d.friction"));
    }
}
