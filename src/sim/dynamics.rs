//! Per-task physical parameters, drawn from configured ranges: a mass scale per body and a
//! sliding-friction coefficient (drat's `mass-friction` family), or PEARL's `rand-params`
//! family (dennisl88/rand_param_envs `rand_param_envs/base.py`, `RandomEnv.sample_tasks`, the
//! Walker/Hopper-Rand-Params of PEARL's paper): every body's mass and every element of its
//! principal inertia independently × 1.5^U(−3, 3), every hinge's damping × 1.3^U(−3, 3), and
//! every geom's sliding friction, the floor's included, × 1.5^U(−3, 3), contacts taking the
//! larger of the two frictions as MuJoCo does. Values are always relative to the robot's *nominal*
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
    /// `rand-params`: multiplier on each element of each body's principal inertia, which then
    /// no longer follows `mass_scale`; empty = the inertia scales with the mass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inertia_scale: Vec<[f32; 3]>,
    /// `rand-params`: multiplier on each hinge's damping, in joint order; empty = 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub damping_scale: Vec<f32>,
    /// `rand-params`: multiplier on each collision geom's friction (links in order, each
    /// link's geoms in order); empty = 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geom_friction_scale: Vec<f32>,
    /// `rand-params`: the floor's own friction; a contact then takes the larger of the
    /// floor's and the geom's (MuJoCo's rule). `None` = the floor's coefficient is 1 and
    /// multiplies the geom's (drat's rule: `friction_coef` is the effective coefficient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground_friction: Option<f32>,
}

/// How many of each thing a robot has that a task's dynamics can scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DynamicsShape {
    /// Bodies that carry mass (links without a fixed `world`).
    pub bodies: usize,
    /// Hinge joints (revolute or continuous), in joint order.
    pub hinges: usize,
    /// Collision geoms over all links.
    pub geoms: usize,
}

impl DynamicsShape {
    /// A robot of `bodies` bodies and nothing else to scale (the point robot: 1).
    pub fn bodies(bodies: usize) -> Self {
        DynamicsShape {
            bodies,
            ..Self::default()
        }
    }
}

/// Which dynamics family tasks draw from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DynamicsFamily {
    /// drat's: per-body (or shared) mass scale and one friction coefficient, uniform in
    /// `mass_scale` and `friction`.
    #[default]
    MassFriction,
    /// PEARL's rand-params (see the module doc), with `log_scale_limit` as its 3.
    RandParams,
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
    /// Friction used when `randomize` is false, and the nominal coefficient `rand-params`
    /// scales (the robot's and the floor's).
    pub nominal_friction: f32,
    /// `mass-friction` (default) or `rand-params`.
    #[serde(default)]
    pub family: DynamicsFamily,
    /// rand-params' log-scale limit L: multipliers are b^U(−L, L) (b = 1.5, damping 1.3).
    #[serde(default = "default_log_scale_limit")]
    pub log_scale_limit: f32,
}

fn default_log_scale_limit() -> f32 {
    3.0
}

/// rand-params' bases (rand_param_envs `RandomEnv.sample_tasks`): mass, inertia and friction
/// multipliers are `1.5^u`, damping multipliers `1.3^u`, `u ~ U(−L, L)`.
pub const RAND_PARAMS_BASE: f32 = 1.5;
/// See [`RAND_PARAMS_BASE`].
pub const RAND_PARAMS_DAMPING_BASE: f32 = 1.3;

impl DynamicsRanges {
    /// Checks that ranges are positive and ordered; `field` is the config path for messages.
    pub fn validate(&self, field: &str) -> Result<()> {
        check_range(&format!("{field}.mass_scale"), self.mass_scale, 1e-3, 1e3)?;
        check_range(&format!("{field}.friction"), self.friction, 0.0, 10.0)?;
        if !(self.log_scale_limit.is_finite() && (0.0..=10.0).contains(&self.log_scale_limit)) {
            return Err(Error::config(
                format!("{field}.log_scale_limit"),
                format!("must be in [0, 10], got {}", self.log_scale_limit),
            ));
        }
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

    /// Draws the dynamics of one task for a robot of `shape`.
    pub fn sample(&self, shape: &DynamicsShape, rng: &mut impl Rng) -> DynamicsParams {
        let n_bodies = shape.bodies;
        if !self.randomize {
            return DynamicsParams::nominal(n_bodies, self.nominal_friction);
        }
        if self.family == DynamicsFamily::RandParams {
            return self.sample_rand_params(shape, rng);
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
            ..DynamicsParams::nominal(0, 0.0)
        }
    }

    /// rand-params, drawn in the reference's order: masses, inertias, damping, frictions
    /// (the floor's last).
    fn sample_rand_params(&self, shape: &DynamicsShape, rng: &mut impl Rng) -> DynamicsParams {
        let l = self.log_scale_limit;
        let mut mult = |base: f32| base.powf(uniform(rng, -l, l));
        let mass_scale = (0..shape.bodies).map(|_| mult(RAND_PARAMS_BASE)).collect();
        let inertia_scale = (0..shape.bodies)
            .map(|_| std::array::from_fn(|_| mult(RAND_PARAMS_BASE)))
            .collect();
        let damping_scale = (0..shape.hinges)
            .map(|_| mult(RAND_PARAMS_DAMPING_BASE))
            .collect();
        let geom_friction_scale = (0..shape.geoms).map(|_| mult(RAND_PARAMS_BASE)).collect();
        let ground = self.nominal_friction * mult(RAND_PARAMS_BASE);
        DynamicsParams {
            mass_scale,
            friction_coef: self.nominal_friction,
            inertia_scale,
            damping_scale,
            geom_friction_scale,
            ground_friction: Some(ground),
        }
    }
}

impl DynamicsParams {
    /// The robot as described: every mass scale 1.
    pub fn nominal(n_bodies: usize, friction_coef: f32) -> Self {
        DynamicsParams {
            mass_scale: vec![1.0; n_bodies],
            friction_coef,
            inertia_scale: Vec::new(),
            damping_scale: Vec::new(),
            geom_friction_scale: Vec::new(),
            ground_friction: None,
        }
    }

    /// The damping multiplier of hinge `k` (1 when not drawn).
    pub fn damping_of(&self, k: usize) -> f32 {
        self.damping_scale.get(k).copied().unwrap_or(1.0)
    }

    /// The friction multiplier of geom `k` (1 when not drawn).
    pub fn geom_friction_of(&self, k: usize) -> f32 {
        self.geom_friction_scale.get(k).copied().unwrap_or(1.0)
    }

    /// Checks the parameters against a robot of `shape`.
    pub fn validate_shape(&self, shape: &DynamicsShape) -> Result<()> {
        self.validate(shape.bodies)?;
        let lens = [
            ("inertia_scale", self.inertia_scale.len(), shape.bodies),
            ("damping_scale", self.damping_scale.len(), shape.hinges),
            (
                "geom_friction_scale",
                self.geom_friction_scale.len(),
                shape.geoms,
            ),
        ];
        for (name, len, want) in lens {
            if len != 0 && len != want {
                return Err(Error::argument(
                    format!("dynamics.{name}"),
                    format!("has {len} entries, the robot has {want} (or leave it empty)"),
                ));
            }
        }
        let flat = self.inertia_scale.iter().flatten();
        let all = flat
            .chain(&self.damping_scale)
            .chain(&self.geom_friction_scale)
            .chain(&self.ground_friction);
        if let Some(s) = all.into_iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(Error::argument(
                "dynamics",
                format!("every rand-params multiplier and the floor friction must be finite and > 0, got {s}"),
            ));
        }
        Ok(())
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
            family: DynamicsFamily::MassFriction,
            log_scale_limit: 3.0,
        }
    }

    #[test]
    fn samples_stay_in_range_and_are_seeded() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        let draws: Vec<_> = (0..200)
            .map(|_| ranges().sample(&DynamicsShape::bodies(9), &mut rng))
            .collect();
        for d in &draws {
            assert!(d.mass_scale.iter().all(|&s| (0.5..=2.0).contains(&s)));
            assert!((0.3..=1.5).contains(&d.friction_coef));
            d.validate(9).unwrap();
        }
        // Per-body draws differ between bodies.
        assert!(draws[0].mass_scale.windows(2).any(|w| w[0] != w[1]));
        let mut rng2 = rand_pcg::Pcg64::seed_from_u64(3);
        assert_eq!(
            ranges().sample(&DynamicsShape::bodies(9), &mut rng2),
            draws[0]
        );
    }

    #[test]
    fn disabled_randomization_gives_nominal() {
        let r = DynamicsRanges {
            randomize: false,
            ..ranges()
        };
        let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
        assert_eq!(
            r.sample(&DynamicsShape::bodies(3), &mut rng),
            DynamicsParams::nominal(3, 1.0)
        );
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
