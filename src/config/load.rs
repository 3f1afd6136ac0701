//! The whole configuration of a run and how it is read: the embedded default of the robot,
//! then the user's file merged over it, then `--set key=value` overrides, then
//! [`Config::validate`].

use serde::{Deserialize, Serialize};

use super::env::{ControlMode, EnvConfig, RewardConfig, Robot, TasksConfig};
use super::learning::{AgentConfig, EvalConfig, TrainConfig};
use super::transfer::TransferConfig;
use crate::error::{Error, Result};
use crate::sim::{Control, SimSettings};

/// Default config of the quadruped task family.
pub const QUADRUPED_TOML: &str = include_str!("../../assets/configs/quadruped.toml");
/// Default config of the runner task family.
pub const RUNNER_TOML: &str = include_str!("../../assets/configs/runner.toml");
/// Default config of the Unitree A1 family.
pub const A1_TOML: &str = include_str!("../../assets/configs/a1.toml");
/// Default config of the Ant task family (Gymnasium's ant.xml); MJCF files by path start
/// from it.
pub const ANT_TOML: &str = include_str!("../../assets/configs/ant.toml");
/// Default config of the HalfCheetah task family (Gymnasium's half_cheetah.xml).
pub const HALF_CHEETAH_TOML: &str = include_str!("../../assets/configs/half_cheetah.toml");
/// Default config of the point-robot task family.
pub const POINT_TOML: &str = include_str!("../../assets/configs/point.toml");

/// Keys that moved from `[train]` to `[eval]`: (old, new). A config that still uses one gets
/// an error naming its new place rather than a bare "unknown field".
pub const MOVED_EVAL_KEYS: [(&str, &str); 6] = [
    ("train.eval_every", "eval.every"),
    ("train.eval_tasks", "eval.tasks"),
    ("train.eval_prior_episodes", "eval.exploration_episodes"),
    ("train.eval_posterior_episodes", "eval.scored_episodes"),
    ("train.eval_exploration", "eval.exploration"),
    ("train.eval_posterior_context", "eval.posterior_context"),
];

/// A whole run's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Robot and simulation.
    pub env: EnvConfig,
    /// Reward terms.
    pub reward: RewardConfig,
    /// Task family: goals, dynamics ranges, train/test split.
    pub tasks: TasksConfig,
    /// Networks and losses of the learner.
    pub agent: AgentConfig,
    /// The meta-training loop.
    pub train: TrainConfig,
    /// Meta-test: how held-out tasks are evaluated (never changes what is trained).
    pub eval: EvalConfig,
    /// Moving experience between tasks (off by default: plain PEARL).
    #[serde(default)]
    pub transfer: TransferConfig,
}

impl Config {
    /// The embedded default for a robot (`quadruped`, `runner`, `point`; a `.urdf` path gets
    /// the quadruped's defaults with `env.robot` set to the path).
    pub fn default_for(robot: &str) -> Result<Config> {
        let parsed = Robot::parse(robot)?;
        let mut table = default_table(&parsed)?;
        if matches!(parsed, Robot::Urdf(_) | Robot::Mjcf(_)) {
            set_value(&mut table, "env.robot", toml::Value::String(robot.into()))?;
        }
        Self::from_table(table, &format!("embedded default for `{robot}`"))
    }

    /// The config of task preset `name` (`config::presets`) with `sets` applied (a config
    /// file says the same with a top-level `task = "NAME"`).
    pub fn for_task(name: &str, sets: &[String]) -> Result<Config> {
        let text = format!("task = {name:?}\n");
        Self::from_toml_str_with_sets(&text, &format!("--task {name}"), sets)
    }

    /// Parses a config text merged over the default of its `env.robot` (default `quadruped`);
    /// a top-level `task = "NAME"` merges it over that task preset first.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Config> {
        Self::from_toml_str_with_sets(text, source_name, &[])
    }

    /// Like [`Config::from_toml_str`], then applies `key=value` overrides (`--set`).
    pub fn from_toml_str_with_sets(
        text: &str,
        source_name: &str,
        sets: &[String],
    ) -> Result<Config> {
        let values = sets
            .iter()
            .map(|s| parse_set(s))
            .collect::<Result<Vec<_>>>()?;
        Self::from_toml_str_with_values(text, source_name, &values)
    }

    /// Like [`Config::from_toml_str`], then sets each dotted key to its TOML value (what
    /// `--set` and grid axes do).
    pub fn from_toml_str_with_values(
        text: &str,
        source_name: &str,
        values: &[(String, toml::Value)],
    ) -> Result<Config> {
        let user: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::ConfigParse {
                source_name: source_name.into(),
                msg: e.to_string(),
            })?;
        let mut overrides = user;
        // A top-level `task = "NAME"` puts the file over that preset (`config::presets`).
        if let Some(task) = overrides.remove("task") {
            let name = task.as_str().ok_or_else(|| {
                Error::config(
                    "task",
                    "must be a string: a preset name (`drat tasks` lists them)",
                )
            })?;
            let preset = super::presets::task_preset(name)?;
            let mut base: toml::Table =
                preset
                    .toml
                    .parse()
                    .map_err(|e: toml::de::Error| Error::ConfigParse {
                        source_name: format!("task preset `{name}`"),
                        msg: e.to_string(),
                    })?;
            merge(&mut base, overrides);
            overrides = base;
        }
        for (k, v) in values {
            set_value(&mut overrides, k, v.clone())?;
        }
        reject_moved_keys(&overrides)?;
        let robot = match overrides.get("env").and_then(|e| e.get("robot")) {
            None => Robot::Quadruped,
            Some(toml::Value::String(r)) => Robot::parse(r)?,
            Some(other) => {
                return Err(Error::config(
                    "env.robot",
                    format!(
                        "must be a string ({}), got {other}",
                        crate::sim::ROBOT_CHOICES
                    ),
                ))
            }
        };
        let mut table = default_table(&robot)?;
        merge(&mut table, overrides);
        Self::from_table(table, source_name)
    }

    /// Reads a config file.
    pub fn load(path: &std::path::Path, sets: &[String]) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml_str_with_sets(&text, &path.display().to_string(), sets)
    }

    fn from_table(table: toml::Table, source_name: &str) -> Result<Config> {
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| Error::ConfigParse {
                source_name: source_name.into(),
                msg: e.to_string().trim().to_string(),
            })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Whether `changed` differs from this config only in meta-test settings (`[eval]` and
    /// the number of held-out tasks: train tasks are drawn first, so they stay the same),
    /// compared as typed configs. What `drat eval --set` may change.
    pub fn differs_only_in_meta_test(&self, changed: &Config) -> bool {
        let mut c = changed.clone();
        c.eval = self.eval.clone();
        c.tasks.n_test = self.tasks.n_test;
        c == *self
    }

    /// The resolved config as TOML (what a run directory stores).
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).expect("config structs serialize: plain data, string keys")
    }

    /// The simulation settings this config describes.
    pub fn sim_settings(&self) -> SimSettings {
        SimSettings {
            dt_s: self.env.dt_s,
            substeps: self.env.substeps,
            solver_iterations: self.env.solver_iterations,
            spawn_height_m: self.env.spawn_height_m,
            max_linvel_m_s: self.env.max_linvel_m_s,
            max_angvel_rad_s: self.env.max_angvel_rad_s,
            joint_damping_scale: self.env.joint_damping_scale,
            armature_scale: self.env.armature_scale,
            gear_scale: self.env.gear_scale,
            control: match self.env.control {
                ControlMode::Torque => Control::Torque,
                ControlMode::Position => Control::Position {
                    kp: self.env.pd.kp,
                    kd: self.env.pd.kd,
                    scale: self.env.pd.action_scale_rad,
                    pose: self.env.pd.default_pose_rad.clone(),
                },
            },
            stepping: self.env.stepping,
            ground_contact_links: self.env.ground_contact_links.clone(),
            prediction_speed_m_s: self.env.prediction_speed_m_s,
        }
    }
}

/// The embedded default config of a robot; an MJCF file by path starts from the Ant's and
/// takes what the file states ([`mjcf_defaults`]).
fn default_table(robot: &Robot) -> Result<toml::Table> {
    let text = match robot {
        Robot::Runner => RUNNER_TOML,
        Robot::Point => POINT_TOML,
        Robot::A1 => A1_TOML,
        Robot::Ant | Robot::Mjcf(_) => ANT_TOML,
        Robot::HalfCheetah => HALF_CHEETAH_TOML,
        Robot::Quadruped | Robot::Urdf(_) => QUADRUPED_TOML,
    };
    let mut table = text
        .parse()
        .expect("embedded default configs are valid TOML (checked by tests)");
    if let Robot::Mjcf(_) = robot {
        mjcf_defaults(&mut table, &crate::sim::load_robot(robot)?.hints)?;
    }
    // A URDF that does not load keeps the quadruped's defaults: its error comes when the env
    // is built, naming the file.
    if let Robot::Urdf(_) = robot {
        if let Ok(model) = crate::sim::load_robot(robot) {
            urdf_defaults(&mut table, &model)?;
        }
    }
    Ok(table)
}

/// Defaults for a URDF robot given by path, from the file (legged_gym-style position control,
/// since a real robot's `<limit effort>` torques are rarely safe to apply open-loop): PD
/// around a standing pose (`sim::stance` for a legged robot, else each actuated joint at the
/// angle nearest 0 inside its limits), kp
/// from the mean effort (effort / 1.5 rad, within [5, 200]: the A1's 33.5 N·m give 22, its
/// legged_gym gain is 20), kd = kp / 40, action scale 0.25 rad; the spawn height 2 cm above
/// the lowest collision point at q = 0; a fall below 30 % of it or past 60° of tilt.
fn urdf_defaults(table: &mut toml::Table, model: &crate::sim::RobotModel) -> Result<()> {
    use toml::Value::{Array, Float, String as Str};
    let act = model.actuated_joints();
    let efforts: Vec<f32> = act.iter().map(|&j| model.joints[j].effort).collect();
    let mean = efforts.iter().sum::<f32>() / efforts.len().max(1) as f32;
    let kp = (mean / 1.5).clamp(5.0, 200.0);
    // A legged robot stands in the pose its geometry gives (`sim::stance`); anything else
    // holds each joint at the angle nearest 0 inside its limits.
    let pose: Vec<toml::Value> = crate::sim::stance::standing_pose(model)
        .unwrap_or_else(|| {
            act.iter()
                .map(|&j| {
                    model.joints[j]
                        .limits
                        .map_or(0.0, |[lo, hi]| 0.0f32.clamp(lo, hi))
                })
                .collect()
        })
        .into_iter()
        .map(|q| Float(f64::from(q)))
        .collect();
    // legged_gym's stepping (5 ms physics, 20 ms control): PD held for longer is unstable on
    // light links.
    set_value(table, "env.dt_s", Float(0.005))?;
    set_value(table, "env.substeps", toml::Value::Integer(4))?;
    set_value(table, "env.horizon", toml::Value::Integer(250))?;
    set_value(table, "env.control", Str("position".into()))?;
    set_value(table, "env.pd.kp", Float(f64::from(kp)))?;
    set_value(table, "env.pd.kd", Float(f64::from(kp / 40.0)))?;
    set_value(table, "env.pd.action_scale_rad", Float(0.25))?;
    set_value(table, "env.pd.default_pose_rad", Array(pose))?;
    if let Some(low) = model
        .lowest_point_at_zero()
        .filter(|z| z.is_finite() && *z < 0.0 && *z > -50.0)
    {
        let spawn = -low + 0.02;
        set_value(table, "env.spawn_height_m", Float(f64::from(spawn)))?;
        set_value(
            table,
            "env.min_torso_height_m",
            Float(f64::from(0.3 * spawn)),
        )?;
        set_value(table, "env.max_tilt_deg", Float(60.0))?;
    }
    Ok(())
}

/// Defaults an MJCF file states: its timestep (with a 0.05 s control period, Gymnasium's
/// Ant and HalfCheetah frame skip × their 0.01 s), its root height, its floor friction and,
/// for `<position kp kv>` servos, position control with those gains.
fn mjcf_defaults(table: &mut toml::Table, hints: &crate::sim::robot::ModelHints) -> Result<()> {
    use toml::Value::{Float, Integer, String as Str};
    if let Some(dt) = hints.timestep_s.filter(|dt| *dt > 0.0 && *dt <= 0.1) {
        let substeps = (0.05 / dt).round().clamp(1.0, 100.0);
        set_value(table, "env.dt_s", Float(f64::from(dt)))?;
        set_value(table, "env.substeps", Integer(substeps as i64))?;
    }
    if let Some(h) = hints.root_height_m.filter(|h| (0.0..100.0).contains(h)) {
        set_value(table, "env.spawn_height_m", Float(f64::from(h)))?;
    }
    if let Some(f) = hints.nominal_friction {
        set_value(
            table,
            "tasks.dynamics.nominal_friction",
            Float(f64::from(f)),
        )?;
        let range = toml::Value::Array(vec![Float(f64::from(0.3 * f)), Float(f64::from(1.5 * f))]);
        set_value(table, "tasks.dynamics.friction", range)?;
    }
    if let Some([kp, kv]) = hints.position_servo {
        set_value(table, "env.control", Str("position".into()))?;
        set_value(table, "env.pd.kp", Float(f64::from(kp)))?;
        set_value(table, "env.pd.kd", Float(f64::from(kv)))?;
        set_value(table, "env.pd.action_scale_rad", Float(0.25))?;
    }
    Ok(())
}

/// An old `train.eval_*` key is an error that names its new place.
fn reject_moved_keys(t: &toml::Table) -> Result<()> {
    let Some(train) = t.get("train").and_then(|v| v.as_table()) else {
        return Ok(());
    };
    for (old, new) in MOVED_EVAL_KEYS {
        if train.contains_key(&old["train.".len()..]) {
            return Err(Error::config(
                old,
                format!("meta-test settings moved to [eval]: use `{new}`"),
            ));
        }
    }
    Ok(())
}

/// Deep merge: tables merge key by key, everything else is replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Splits `a.b.c=value`; the value is parsed as TOML (number, bool, array, quoted string) and
/// falls back to a bare string.
pub fn parse_set(s: &str) -> Result<(String, toml::Value)> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| Error::argument("--set", format!("`{s}` must look like key.path=value")))?;
    let k = k.trim();
    if k.is_empty() || k.split('.').any(str::is_empty) {
        return Err(Error::argument("--set", format!("`{s}`: empty key")));
    }
    let v = v.trim();
    let value = format!("x = {v}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("x"))
        .unwrap_or_else(|| toml::Value::String(v.to_string()));
    Ok((k.to_string(), value))
}

fn set_value(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<()> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().expect("split yields at least one part");
    let mut t = table;
    for p in parts {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| Error::argument("--set", format!("`{key}`: `{p}` is not a table")))?;
    }
    t.insert(last.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RewardKind;

    #[test]
    fn embedded_defaults_parse_and_validate() {
        for r in ["quadruped", "runner", "point"] {
            let c = Config::default_for(r).unwrap();
            assert_eq!(c.env.robot.to_string(), r);
            // Round trip through the resolved TOML.
            let back = Config::from_toml_str(&c.to_toml_string(), "roundtrip").unwrap();
            assert_eq!(back, c);
        }
    }

    #[test]
    fn user_file_overrides_only_what_it_states() {
        let c = Config::from_toml_str("[env]\nsubsteps = 3\n", "u.toml").unwrap();
        let d = Config::default_for("quadruped").unwrap();
        assert_eq!(c.env.substeps, 3);
        assert_eq!(c.reward, d.reward);
        let p = Config::from_toml_str("[env]\nrobot = \"point\"\n", "u.toml").unwrap();
        assert_eq!(p, Config::default_for("point").unwrap());
    }

    #[test]
    fn set_overrides_apply_and_parse_types() {
        let sets = vec![
            "tasks.n_train=7".to_string(),
            "reward.kind=dense".to_string(),
        ];
        let c = Config::from_toml_str_with_sets("", "x", &sets).unwrap();
        assert_eq!(c.tasks.n_train, 7);
        assert_eq!(c.reward.kind, RewardKind::Dense);
        assert!(parse_set("novalue").is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let e = Config::from_toml_str("[env]\nsubstepz = 3\n", "u.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("u.toml") && e.contains("substepz"), "{e}");
        let e = Config::from_toml_str("[env]\nsubsteps = -1\n", "u.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("substeps"), "{e}");
        let e = Config::from_toml_str("[tasks.dynamics]\nfriction = [1.5, 0.3]\n", "u")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("tasks.dynamics.friction") && e.contains("min ≤ max"),
            "{e}"
        );
        let e = Config::from_toml_str("[env]\nrobot = \"spider\"\n", "u")
            .unwrap_err()
            .to_string();
        assert!(e.contains("env.robot"), "{e}");
        let e = Config::from_toml_str("[reward]\nkind = \"shaped\"\n", "u")
            .unwrap_err()
            .to_string();
        assert!(e.contains("kind") && e.contains("sparse"), "{e}");
        let e = Config::from_toml_str("[env]\ndt_s = 0.5\n", "u")
            .unwrap_err()
            .to_string();
        assert!(e.contains("env.dt_s"), "{e}");
    }
}
