//! Gait measures: whether a robot walks or lunges. Every step an env reports a
//! [`BodySample`] (the torso's displacement, height and tilt, and how many feet touch the
//! ground); an episode sums them into [`GaitStats`]; a set of episodes averages into
//! [`GaitSummary`]: net distance, path length, mean speed, torso height, tilt, the share of
//! upright steps (tilt < [`UPRIGHT_DEG`]), feet in contact per step and the duty factor.
//!
//! Feet are the bodies at the ends of the kinematic tree (no child joint: the ant's ankles,
//! the A1's calves with their welded feet, the cheetah's feet).

use serde::{Deserialize, Serialize};

/// A step counts as upright when the torso's up axis is within this of vertical (degrees).
pub const UPRIGHT_DEG: f32 = 30.0;

/// The torso and feet after one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BodySample {
    /// Torso x-y displacement over the step (m).
    pub displacement: [f32; 2],
    /// The control period (s).
    pub dt_s: f32,
    /// Torso height (m).
    pub height_m: f32,
    /// Angle between the torso's up axis and vertical (degrees).
    pub tilt_deg: f32,
    /// Feet touching anything.
    pub feet_down: u8,
    /// Feet the robot has (0: not a legged robot).
    pub feet: u8,
}

/// One episode's sums.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GaitStats {
    /// Steps summed.
    pub steps: u32,
    /// Net x-y displacement (m).
    pub net: [f32; 2],
    /// Path length of the torso in x-y (m).
    pub path_m: f32,
    /// Time covered (s).
    pub time_s: f32,
    /// Σ torso height (m).
    pub height_sum: f32,
    /// Σ tilt (degrees).
    pub tilt_sum: f32,
    /// Steps with tilt < [`UPRIGHT_DEG`].
    pub upright_steps: u32,
    /// Σ feet down.
    pub feet_down_sum: u32,
    /// Feet the robot has.
    pub feet: u8,
}

impl GaitStats {
    /// Adds one step.
    pub fn add(&mut self, s: &BodySample) {
        self.steps += 1;
        self.net[0] += s.displacement[0];
        self.net[1] += s.displacement[1];
        self.path_m += s.displacement[0].hypot(s.displacement[1]);
        self.time_s += s.dt_s;
        self.height_sum += s.height_m;
        self.tilt_sum += s.tilt_deg;
        self.upright_steps += u32::from(s.tilt_deg < UPRIGHT_DEG);
        self.feet_down_sum += u32::from(s.feet_down);
        self.feet = s.feet;
    }

    /// Net distance from the start (m).
    pub fn distance_m(&self) -> f32 {
        self.net[0].hypot(self.net[1])
    }
}

/// Means over episodes (each episode weighs the same; step means within an episode).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GaitSummary {
    /// Net distance from the start (m).
    pub distance_m: f32,
    /// Path length (m).
    pub path_m: f32,
    /// Mean horizontal speed, path / time (m/s).
    pub speed_m_s: f32,
    /// Mean torso height (m).
    pub height_m: f32,
    /// Mean tilt (degrees).
    pub tilt_deg: f32,
    /// Share of steps with tilt < [`UPRIGHT_DEG`].
    pub upright: f32,
    /// Mean feet in contact per step.
    pub feet_down: f32,
    /// Duty factor: the share of steps a foot is on the ground, over feet (0 without feet).
    pub duty_factor: f32,
    /// Feet the robot has.
    pub feet: u8,
}

impl GaitSummary {
    /// Averages episodes (episodes without steps are skipped).
    pub fn of<'a>(eps: impl IntoIterator<Item = &'a GaitStats>) -> Self {
        let eps: Vec<&GaitStats> = eps.into_iter().filter(|g| g.steps > 0).collect();
        let n = eps.len().max(1) as f32;
        let mean = |f: &dyn Fn(&GaitStats) -> f32| eps.iter().map(|g| f(g)).sum::<f32>() / n;
        GaitSummary {
            distance_m: mean(&|g| g.distance_m()),
            path_m: mean(&|g| g.path_m),
            speed_m_s: mean(&|g| g.path_m / g.time_s.max(f32::EPSILON)),
            height_m: mean(&|g| g.height_sum / g.steps as f32),
            tilt_deg: mean(&|g| g.tilt_sum / g.steps as f32),
            upright: mean(&|g| g.upright_steps as f32 / g.steps as f32),
            feet_down: mean(&|g| g.feet_down_sum as f32 / g.steps as f32),
            duty_factor: mean(&|g| {
                if g.feet == 0 {
                    0.0
                } else {
                    g.feet_down_sum as f32 / (g.steps as f32 * f32::from(g.feet))
                }
            }),
            feet: eps.iter().map(|g| g.feet).max().unwrap_or(0),
        }
    }

    /// One line for a person: `path 1.80 m (net 1.52 m) · 0.45 m/s · height 0.55 m · tilt
    /// 12° (upright 97 %) · feet down 2.1 of 4 (duty 0.52)`.
    pub fn line(&self) -> String {
        let mut s = format!(
            "path {:.2} m (net {:.2} m) · {:.2} m/s · height {:.2} m · tilt {:.0}° (upright {:.0} %)",
            self.path_m,
            self.distance_m,
            self.speed_m_s,
            self.height_m,
            self.tilt_deg,
            100.0 * self.upright
        );
        if self.feet > 0 {
            s += &format!(
                " · feet down {:.1} of {} (duty {:.2})",
                self.feet_down, self.feet, self.duty_factor
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(dx: f32, dy: f32, tilt: f32, down: u8) -> BodySample {
        BodySample {
            displacement: [dx, dy],
            dt_s: 0.05,
            height_m: 0.5,
            tilt_deg: tilt,
            feet_down: down,
            feet: 4,
        }
    }

    /// Out 3-4-5 and half-way back: path 7.5 m, net 2.5 m over 0.15 s; one step of three
    /// tilted past 30°; 2, 4 and 0 feet down of 4: duty factor 0.5.
    #[test]
    fn sums_and_means_by_hand() {
        let mut g = GaitStats::default();
        for s in [
            step(3.0, 4.0, 10.0, 2),
            step(-1.5, -2.0, 40.0, 4),
            step(0.0, 0.0, 10.0, 0),
        ] {
            g.add(&s);
        }
        let s = GaitSummary::of([&g]);
        assert!((s.path_m - 7.5).abs() < 1e-5 && (s.distance_m - 2.5).abs() < 1e-5);
        assert!((s.speed_m_s - 7.5 / 0.15).abs() < 1e-3);
        assert!((s.tilt_deg - 20.0).abs() < 1e-5 && (s.upright - 2.0 / 3.0).abs() < 1e-6);
        assert!((s.feet_down - 2.0).abs() < 1e-6 && (s.duty_factor - 0.5).abs() < 1e-6);
        assert!(
            s.line().contains("feet down 2.0 of 4 (duty 0.50)"),
            "{}",
            s.line()
        );
        // Episodes weigh the same; an empty one is skipped.
        let mut still = GaitStats::default();
        still.add(&step(0.0, 0.0, 0.0, 4));
        let two = GaitSummary::of([&g, &still, &GaitStats::default()]);
        assert!((two.path_m - 3.75).abs() < 1e-5 && (two.duty_factor - 0.75).abs() < 1e-6);
    }
}
