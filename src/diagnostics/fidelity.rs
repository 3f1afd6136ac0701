//! drat against MuJoCo on the same MJCF file: the experiments of
//! `scripts/anchors/mjcf_fidelity.py` (zero action for 2 s; a fixed open-loop sinusoid for
//! 5 s, at nominal dynamics, mass ×1.5 and friction ×0.3) replayed in drat from the same start
//! (each hinge at the angle nearest 0 inside its range, at rest, no reset noise), and the
//! table that sets them beside MuJoCo's numbers (`tests/data/mujoco_fidelity.json`).
//! `tests/mujoco_fidelity.rs` asserts the quantities that agree; `cargo run --release
//! --example fidelity` prints the table docs/robots.md shows.

use serde_json::Value;

use crate::config::Config;
use crate::env::EnvMaker;
use crate::error::{Error, Result};

/// Where the torso ended up and how it moved (metres, radians).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    /// Torso x displacement from the start.
    pub dx: f32,
    /// Torso y displacement from the start.
    pub dy: f32,
    /// Mean torso height over the control steps.
    pub mean_z: f32,
    /// Torso height after the last step.
    pub final_z: f32,
    /// Heading (yaw) after the last step (0 for a planar robot).
    pub final_yaw: f32,
}

/// A dynamics variant of the gait experiment, as the reference names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The file's dynamics.
    Nominal,
    /// Every body's mass and inertia ×1.5.
    MassX1_5,
    /// Every geom's sliding friction ×0.3.
    FrictionX0_3,
}

impl Variant {
    /// The reference JSON's key for this variant's gait.
    pub fn key(self) -> &'static str {
        match self {
            Variant::Nominal => "gait",
            Variant::MassX1_5 => "gait_mass_x1.5",
            Variant::FrictionX0_3 => "gait_friction_x0.3",
        }
    }
}

/// The gait of the reference: `a_k(n) = A·sin(2π·f·0.05·n + φ_k)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Gait {
    /// A.
    pub amplitude: f32,
    /// f (Hz).
    pub frequency_hz: f32,
    /// φ_k per actuator (file order).
    pub phases_rad: Vec<f32>,
    /// Duration (s).
    pub duration_s: f32,
}

impl Gait {
    /// The gait parameters of one robot's reference.
    pub fn of(reference: &Value) -> Result<Gait> {
        let g = &reference["gait_params"];
        let num = |v: &Value| v.as_f64().map(|x| x as f32);
        let bad = || {
            Error::asset(
                "tests/data/mujoco_fidelity.json",
                "gait_params is malformed",
            )
        };
        Ok(Gait {
            amplitude: num(&g["amplitude"]).ok_or_else(bad)?,
            frequency_hz: num(&g["frequency_hz"]).ok_or_else(bad)?,
            phases_rad: g["phases_rad"]
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|p| num(p).ok_or_else(bad))
                .collect::<Result<_>>()?,
            duration_s: num(&g["duration_s"]).ok_or_else(bad)?,
        })
    }
}

/// Multipliers on the file's dynamics for one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scales {
    /// Every body's mass and inertia.
    pub mass: f32,
    /// Every geom's sliding friction (the file's nominal friction × this).
    pub friction: f32,
}

impl From<Variant> for Scales {
    fn from(v: Variant) -> Scales {
        let (mass, friction) = match v {
            Variant::Nominal => (1.0, 1.0),
            Variant::MassX1_5 => (1.5, 1.0),
            Variant::FrictionX0_3 => (1.0, 0.3),
        };
        Scales { mass, friction }
    }
}

/// What [`rollout`] returns: the torso's [x, y, z, yaw] before the first step and after each
/// one, and the last observation.
struct Rollout {
    trace: Vec<[f32; 4]>,
    last_obs: Vec<f32>,
    /// The robot's root is the world (planar): its observation starts x, z, pitch.
    planar: bool,
    /// One action per actuated joint.
    action_dim: usize,
}

/// Runs `robot` from the reference start under `action(step, out)` for `steps` control
/// steps with the dynamics `scales` gives; returns the torso's [x, y, z, yaw] before the first
/// step and after each one.
pub fn open_loop(
    robot: &str,
    scales: impl Into<Scales>,
    steps: usize,
    action: impl Fn(usize, &mut [f32]),
) -> Result<Vec<[f32; 4]>> {
    Ok(rollout(robot, scales.into(), steps, action)?.trace)
}

fn rollout(
    robot: &str,
    scales: Scales,
    steps: usize,
    action: impl Fn(usize, &mut [f32]),
) -> Result<Rollout> {
    let probe = Config::default_for(robot)?;
    let friction = scales.friction * probe.tasks.dynamics.nominal_friction;
    let mass = scales.mass;
    let sets = [
        "env.reset_qpos_noise=0".to_string(),
        "env.reset_qvel_noise_std=0".into(),
        "env.reset_joint_vel_noise=0".into(),
        format!("env.horizon={}", steps + 1),
        "env.terminate_when_flipped=false".into(),
        "env.min_torso_height_m=0".into(),
        "env.max_tilt_deg=0".into(),
        "tasks.dynamics.randomize=true".into(),
        "tasks.dynamics.shared_mass_scale=true".into(),
        format!("tasks.dynamics.mass_scale=[{mass}, {mass}]"),
        format!("tasks.dynamics.friction=[{friction}, {friction}]"),
    ];
    let cfg = Config::from_toml_str_with_sets(
        &format!("[env]\nrobot = \"{robot}\"\n"),
        "fidelity",
        &sets,
    )?;
    let maker = EnvMaker::new(&cfg)?;
    let mut env = maker.make(maker.task_set()?.train[0].clone())?;
    let planar = maker.robot().is_some_and(|m| m.root_is_world());
    let pose = |o: &[f32]| {
        if planar {
            [o[0], 0.0, o[1], 0.0]
        } else {
            let (w, x, y, z) = (o[3], o[4], o[5], o[6]);
            let yaw = (2.0 * (w * z + x * y)).atan2(1.0 - 2.0 * (y * y + z * z));
            [o[0], o[1], o[2], yaw]
        }
    };
    let mut last_obs = env.reset(0)?.obs;
    let mut trace = vec![pose(&last_obs)];
    let mut a = vec![0.0; env.action_space().dim()];
    for t in 0..steps {
        action(t, &mut a);
        let s = env.step(&a)?;
        if s.info.blowup {
            return Err(Error::Check(format!(
                "{robot}: physics blow-up at step {t}"
            )));
        }
        trace.push(pose(&s.obs));
        last_obs = s.obs;
    }
    Ok(Rollout {
        trace,
        last_obs,
        planar,
        action_dim: a.len(),
    })
}

/// Zero action for `duration_s` with every geom's sliding friction `friction` (absolute):
/// the torso's summary and each actuated joint's final angle, in actuator order (read from
/// the observation: after x, z, pitch for a planar robot, after the free root's 7 otherwise).
pub fn frictionless_rest(
    robot: &str,
    duration_s: f32,
    friction: f32,
) -> Result<(Summary, Vec<f32>)> {
    let nominal = Config::default_for(robot)?.tasks.dynamics.nominal_friction;
    let scales = Scales {
        mass: 1.0,
        friction: friction / nominal,
    };
    let steps = (duration_s / 0.05).round() as usize;
    let r = rollout(robot, scales, steps, |_, a| a.fill(0.0))?;
    let start = if r.planar { 3 } else { 7 };
    let n = r.action_dim;
    let q = r
        .last_obs
        .get(start..start + n)
        .map(<[f32]>::to_vec)
        .ok_or_else(|| {
            Error::Check(format!(
                "{robot}: observation shorter than its joint angles"
            ))
        })?;
    Ok((summarize(&r.trace), q))
}

/// Summary of a trace from [`open_loop`].
pub fn summarize(trace: &[[f32; 4]]) -> Summary {
    let (first, last) = (trace[0], trace[trace.len() - 1]);
    let after = &trace[1..];
    Summary {
        dx: last[0] - first[0],
        dy: last[1] - first[1],
        mean_z: after.iter().map(|p| p[2]).sum::<f32>() / after.len().max(1) as f32,
        final_z: last[2],
        final_yaw: last[3],
    }
}

/// Zero action for `duration_s` (the control period is the robot's 0.05 s).
pub fn zero_action(robot: &str, duration_s: f32) -> Result<Summary> {
    let steps = (duration_s / 0.05).round() as usize;
    Ok(summarize(&open_loop(
        robot,
        Variant::Nominal,
        steps,
        |_, a| a.fill(0.0),
    )?))
}

/// The reference gait under `variant`.
pub fn gait(robot: &str, g: &Gait, variant: Variant) -> Result<Summary> {
    gait_with(robot, g, variant.into())
}

/// The reference gait with the dynamics `scales` gives.
pub fn gait_with(robot: &str, g: &Gait, scales: Scales) -> Result<Summary> {
    let steps = (g.duration_s / 0.05).round() as usize;
    let w = std::f32::consts::TAU * g.frequency_hz;
    Ok(summarize(&open_loop(robot, scales, steps, |n, a| {
        for (k, v) in a.iter_mut().enumerate() {
            let phase = g.phases_rad.get(k).copied().unwrap_or(0.0);
            *v = (g.amplitude * (w * 0.05 * n as f32 + phase).sin()).clamp(-1.0, 1.0);
        }
    })?))
}

/// The reference summary `key` of one robot as a [`Summary`].
pub fn reference_summary(reference: &Value, key: &str) -> Summary {
    let f = |k: &str| reference[key][k].as_f64().unwrap_or(f64::NAN) as f32;
    Summary {
        dx: f("dx"),
        dy: f("dy"),
        mean_z: f("mean_z"),
        final_z: f("final_z"),
        final_yaw: f("final_yaw"),
    }
}

/// The markdown tables of drat against MuJoCo for `robot` (`ant` or `half_cheetah`): the
/// experiments, the frictionless rest pose joint by joint, and the gait across frictions.
pub fn table(robot: &str, reference: &Value) -> Result<String> {
    let r = &reference[robot];
    let g = Gait::of(r)?;
    let mut s = format!(
        "| {robot} (MuJoCo {} {}, drat) | dx (m) | dy (m) | mean z (m) | final z (m) | final yaw (rad) |\n|---|---|---|---|---|---|\n",
        reference[robot]["mujoco_version"].as_str().unwrap_or("?"),
        r["integrator"].as_str().unwrap_or("?"),
    );
    let zero = zero_action(robot, 2.0)?;
    let rest = &r["zero_action_frictionless"];
    let (duration, friction) = (num(&rest["duration_s"]), num(&rest["friction"]));
    let (still, q) = frictionless_rest(robot, duration, friction)?;
    let mut rows = vec![
        (
            "zero action 2 s".to_string(),
            reference_summary(r, "zero_action"),
            zero,
        ),
        (
            "zero action 2 s (MuJoCo: noslip 50)".into(),
            reference_summary(r, "zero_action_noslip"),
            zero,
        ),
        (
            format!("zero action {duration} s, friction {friction}"),
            reference_summary(r, "zero_action_frictionless"),
            still,
        ),
    ];
    let mut ours = vec![("zero_action", zero)];
    for v in [Variant::Nominal, Variant::MassX1_5, Variant::FrictionX0_3] {
        let d = gait(robot, &g, v)?;
        ours.push((v.key(), d));
        rows.push((v.key().into(), reference_summary(r, v.key()), d));
    }
    for (name, m, d) in rows {
        s += &format!(
            "| {name} | {} | {} | {} | {} | {} |\n",
            cell(m.dx, d.dx),
            cell(m.dy, d.dy),
            cell(m.mean_z, d.mean_z),
            cell(m.final_z, d.final_z),
            cell(m.final_yaw, d.final_yaw)
        );
    }
    s += &format!("\n{}\n", rest_joints_line(rest, &q));
    s += &contact_model_table(robot, r, &ours);
    // The scan's ×1 and ×0.3 are the nominal and friction ×0.3 runs above.
    let run = |v: Variant| ours.iter().find(|(k, _)| *k == v.key()).map(|x| x.1);
    let done: Vec<(f32, Summary)> = [(1.0, Variant::Nominal), (0.3, Variant::FrictionX0_3)]
        .into_iter()
        .filter_map(|(k, v)| run(v).map(|d| (k, d)))
        .collect();
    s += &friction_scan_table(robot, r, &g, &done)?;
    Ok(s)
}

/// Each run's final torso height and x-y displacement in MuJoCo under its default contact
/// model, under the reference's `contact_models` (towards drat's: elliptic cone, no slip), and
/// in drat (`ours`: the reference key and drat's summary of each run).
fn contact_model_table(robot: &str, r: &Value, ours: &[(&str, Summary)]) -> String {
    let models: Vec<(&String, &Value)> = r["contact_models"]
        .as_object()
        .map_or(vec![], |m| m.iter().collect());
    let mut s = format!("\n| {robot}: final z, (dx, dy) (m) | MuJoCo default (pyramidal cone)");
    for (name, _) in &models {
        s += &format!(" | MuJoCo {name}");
    }
    s += " | drat |\n|---|---|";
    s += &"---|".repeat(models.len() + 1);
    s += "\n";
    let fmt = |x: &Summary| format!("{:.3}, ({:+.3}, {:+.3})", x.final_z, x.dx, x.dy);
    for (key, d) in ours {
        s += &format!("| {key} | {}", fmt(&reference_summary(r, key)));
        for (_, m) in &models {
            s += &format!(" | {}", fmt(&reference_summary(m, key)));
        }
        s += &format!(" | {} |\n", fmt(d));
    }
    s
}

/// "MuJoCo / drat" with 3 decimals, "–" for a number the reference does not hold.
fn cell(m: f32, d: f32) -> String {
    if m.is_nan() {
        format!("– / {d:+.3}")
    } else {
        format!("{m:+.3} / {d:+.3}")
    }
}

fn num(v: &Value) -> f32 {
    v.as_f64().map_or(f32::NAN, |x| x as f32)
}

/// The frictionless rest pose's joint angles, MuJoCo / drat, and their largest difference.
fn rest_joints_line(rest: &Value, ours: &[f32]) -> String {
    let theirs: Vec<f32> = rest["final_actuated_q"]
        .as_array()
        .map_or(vec![], |a| a.iter().map(num).collect());
    let cells: Vec<String> = theirs
        .iter()
        .zip(ours)
        .map(|(m, d)| format!("{m:+.3} / {d:+.3}"))
        .collect();
    let worst = theirs
        .iter()
        .zip(ours)
        .map(|(m, d)| (m - d).abs())
        .fold(0.0f32, f32::max);
    format!(
        "Frictionless rest, joint angles in actuator order (rad, MuJoCo / drat): {}; largest difference {worst:.4} rad.",
        cells.join(", ")
    )
}

/// The gait's displacement with every geom's friction × each scale of the reference's
/// `friction_scan`, MuJoCo / drat; scales in `done` reuse their drat summary.
fn friction_scan_table(
    robot: &str,
    r: &Value,
    g: &Gait,
    done: &[(f32, Summary)],
) -> Result<String> {
    let mut s = format!(
        "\n| {robot} gait, friction × | dx (m) | dy (m) | final yaw (rad) |\n|---|---|---|---|\n"
    );
    for row in r["friction_scan"].as_array().map_or(&[][..], Vec::as_slice) {
        let k = num(&row["friction_scale"]);
        let d = match done.iter().find(|(scale, _)| *scale == k) {
            Some(&(_, d)) => d,
            None => gait_with(
                robot,
                g,
                Scales {
                    mass: 1.0,
                    friction: k,
                },
            )?,
        };
        s += &format!(
            "| {k} | {} | {} | {} |\n",
            cell(num(&row["dx"]), d.dx),
            cell(num(&row["dy"]), d.dy),
            cell(num(&row["final_yaw"]), d.final_yaw)
        );
    }
    Ok(s)
}
