//! A grid file and the runs it names: a base config, overrides for every run, and axes whose
//! cross product gives the runs. Everything is resolved and checked before any run starts.
//!
//! ```toml
//! base = "../../configs/point-shift.toml"   # relative to this file; or `robot = "point"`
//! seed = "train.seed"                       # the axis runs are paired over (this default)
//! last = 3                                  # a run's score: mean of its last 3 evaluations
//! baseline = { "transfer.strategy" = "none" }   # the cell paired differences are taken against
//!                                           # (or a list of such tables: one column each)
//!
//! [set]                                     # every run
//! "train.iterations" = 120
//!
//! [axes]                                    # cross product: seeds outermost, then key order
//! "transfer.strategy" = ["none", "htr", "hfr", "drae"]
//! "train.seed" = [1, 2, 3]
//! ```
//!
//! An axis whose values are tables varies several keys together (an "arm"); its key is only a
//! name, and each table's optional `name` labels it:
//! `arm = [{ name = "pearl", "transfer.strategy" = "none" }, { name = "drat-rho1",
//! "transfer.strategy" = "drae", "transfer.eps" = 1e6 }]`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::Config;
use crate::error::{Error, Result};

/// The grid file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GridFile {
    base: Option<String>,
    robot: Option<String>,
    seed: Option<String>,
    last: Option<usize>,
    baseline: Option<toml::Value>,
    #[serde(default)]
    set: toml::Table,
    axes: toml::Table,
}

/// One axis: a dotted config key and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Dotted config key.
    pub key: String,
    /// Its values, in file order.
    pub values: Vec<toml::Value>,
}

/// One run of the grid.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Position in the cross product (what `--only` takes).
    pub index: usize,
    /// Directory-safe name from the axis values, e.g. `seed-1__strategy-htr`.
    pub id: String,
    /// The axis values of this run, in axis order.
    pub values: Vec<(String, toml::Value)>,
    /// Its resolved config.
    pub config: Config,
}

impl RunSpec {
    /// The cell: every axis value except the seed's, as `key=value` joined by `, `.
    pub fn cell(&self, seed_key: &str) -> String {
        cell_label(&self.values, seed_key)
    }
}

/// The label of a cell from axis values (the seed axis left out).
pub fn cell_label(values: &[(String, toml::Value)], seed_key: &str) -> String {
    let parts: Vec<String> = values
        .iter()
        .filter(|(k, _)| k != seed_key)
        .map(|(k, v)| format!("{k}={}", plain(v)))
        .collect();
    if parts.is_empty() {
        "all".into()
    } else {
        parts.join(", ")
    }
}

/// A checked grid.
#[derive(Clone, Debug)]
pub struct Grid {
    /// The grid file.
    pub path: PathBuf,
    /// Its text (copied beside the results).
    pub text: String,
    /// The seed axis key (runs of one cell are paired over it).
    pub seed_key: String,
    /// Evaluations averaged into a run's score.
    pub last: usize,
    /// The cells paired differences are taken against (labels), in file order.
    pub baselines: Vec<String>,
    /// Axes: the seed axis first, then the others in key order.
    pub axes: Vec<Axis>,
    /// Runs in cross-product order (the last axis varies fastest).
    pub runs: Vec<RunSpec>,
}

/// A value as a user writes it on the command line (strings bare).
pub fn plain(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn bad(path: &Path, key: &str, msg: impl std::fmt::Display) -> Error {
    Error::config(format!("{}: {key}", path.display()), msg.to_string())
}

/// The base config text of a grid or ablation file at `path` and a name for errors: the file
/// `base` (relative to `path`), or the embedded default of `robot` (quadruped if neither).
pub(crate) fn base_config(
    path: &Path,
    base: Option<&str>,
    robot: Option<&str>,
) -> Result<(String, String)> {
    match (base, robot) {
        (Some(_), Some(_)) => Err(bad(path, "base", "give `base` or `robot`, not both")),
        (Some(b), None) => {
            let p = path.parent().unwrap_or(Path::new(".")).join(b);
            let t = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
            Ok((t, p.display().to_string()))
        }
        (None, r) => {
            let robot = r.unwrap_or("quadruped");
            Ok((
                format!("[env]\nrobot = \"{robot}\"\n"),
                format!("default `{robot}`"),
            ))
        }
    }
}

/// Dotted keys and values of a (possibly nested) table of overrides.
pub(crate) fn flatten(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(inner) => flatten(&key, inner, out),
            _ => out.push((key, v.clone())),
        }
    }
}

impl Grid {
    /// Reads and checks a grid file: every run's config is resolved, so an unknown key, an
    /// empty axis or a value of the wrong type is an error naming it before anything runs.
    pub fn load(path: &Path) -> Result<Grid> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(path, &text)
    }

    /// [`Grid::load`] from text (`path` names it in errors and anchors `base`).
    pub fn parse(path: &Path, text: &str) -> Result<Grid> {
        let file: GridFile = toml::from_str(text).map_err(|e| Error::ConfigParse {
            source_name: path.display().to_string(),
            msg: e.to_string().trim().to_string(),
        })?;
        let (base_text, base_name) =
            base_config(path, file.base.as_deref(), file.robot.as_deref())?;
        let mut fixed = Vec::new();
        flatten("", &file.set, &mut fixed);
        let mut axes = parse_axes(path, &file.axes, &fixed)?;
        let seed_key = file.seed.unwrap_or_else(|| "train.seed".into());
        // Seeds outermost: every cell's first seed finishes before any cell's second, so a
        // grid cut short still holds complete, paired seeds.
        if let Some(pos) = axes.iter().position(|a| a.key == seed_key) {
            let seed_axis = axes.remove(pos);
            axes.insert(0, seed_axis);
        }
        let last = file.last.unwrap_or(3);
        if last == 0 {
            return Err(bad(path, "last", "must be ≥ 1"));
        }
        let runs = resolve_runs(path, &axes, &fixed, &base_text, &base_name)?;
        let baselines = parse_baselines(path, file.baseline, &runs, &seed_key)?;
        Ok(Grid {
            path: path.to_path_buf(),
            text: text.to_string(),
            seed_key,
            last,
            baselines,
            axes,
            runs,
        })
    }
}

/// The `[axes]` table as axes in key order: each a non-empty list, none also in `[set]`
/// (`fixed`).
fn parse_axes(
    path: &Path,
    table: &toml::Table,
    fixed: &[(String, toml::Value)],
) -> Result<Vec<Axis>> {
    let mut axis_values = Vec::new();
    flatten("", table, &mut axis_values);
    if axis_values.is_empty() {
        return Err(bad(
            path,
            "axes",
            "no axes: name at least one key with a list of values",
        ));
    }
    let mut axes = Vec::new();
    for (key, v) in axis_values {
        let toml::Value::Array(values) = v else {
            return Err(bad(
                path,
                &format!("axes.{key}"),
                "must be a list of values",
            ));
        };
        if values.is_empty() {
            return Err(bad(path, &format!("axes.{key}"), "is empty"));
        }
        if fixed.iter().any(|(k, _)| *k == key) {
            return Err(bad(path, &format!("axes.{key}"), "is also in [set]"));
        }
        axes.push(Axis { key, values });
    }
    Ok(axes)
}

/// Every run of the cross product of `axes` with its config resolved from the base text, the
/// `[set]` overrides (`fixed`) and its axis values; no two runs may share a name.
fn resolve_runs(
    path: &Path,
    axes: &[Axis],
    fixed: &[(String, toml::Value)],
    base_text: &str,
    base_name: &str,
) -> Result<Vec<RunSpec>> {
    let runs = cross(axes)
        .into_iter()
        .enumerate()
        .map(|(index, combo)| {
            let mut all = fixed.to_vec();
            let values = expand(&combo, &mut all);
            let id = run_id(&values);
            let source = format!("{} (run {index}: {id}, from {base_name})", path.display());
            let config = Config::from_toml_str_with_values(base_text, &source, &all)?;
            Ok(RunSpec {
                index,
                id,
                values,
                config,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(
            path,
            "axes",
            format!("two runs would share the name `{}`", w[0]),
        ));
    }
    Ok(runs)
}

/// The `baseline` entry (a table of axis values, or a list of them) as cell labels, each a cell
/// of `runs`.
fn parse_baselines(
    path: &Path,
    baseline: Option<toml::Value>,
    runs: &[RunSpec],
    seed_key: &str,
) -> Result<Vec<String>> {
    let tables = match baseline {
        None => Vec::new(),
        Some(toml::Value::Table(t)) => vec![t],
        Some(toml::Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                toml::Value::Table(t) => Ok(t),
                _ => Err(bad(path, "baseline", "a list of tables of axis values")),
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(bad(
                path,
                "baseline",
                "a table of axis values, or a list of them",
            ))
        }
    };
    let mut baselines = Vec::new();
    for t in tables {
        let mut want = Vec::new();
        flatten("", &t, &mut want);
        let label = cell_label(&want, seed_key);
        if !runs.iter().any(|r| r.cell(seed_key) == label) {
            return Err(bad(
                path,
                "baseline",
                format!("no cell `{label}` in the grid"),
            ));
        }
        baselines.push(label);
    }
    Ok(baselines)
}

/// The config overrides of one combination of axis values (appended to `sets`) and the values
/// as shown in names and tables: a table value is a bundle of settings (an "arm"), shown by its
/// `name` entry (or its settings joined).
fn expand(
    combo: &[(String, toml::Value)],
    sets: &mut Vec<(String, toml::Value)>,
) -> Vec<(String, toml::Value)> {
    combo
        .iter()
        .map(|(k, v)| match v {
            toml::Value::Table(t) => {
                let mut bundle = t.clone();
                let name = bundle.remove("name");
                let mut inner = Vec::new();
                flatten("", &bundle, &mut inner);
                let label = match name {
                    Some(n) => plain(&n),
                    None => inner
                        .iter()
                        .map(|(k, v)| format!("{k}={}", plain(v)))
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                sets.extend(inner);
                (k.clone(), toml::Value::String(label))
            }
            other => {
                sets.push((k.clone(), other.clone()));
                (k.clone(), other.clone())
            }
        })
        .collect()
}

/// Every combination of axis values, the last axis fastest.
fn cross(axes: &[Axis]) -> Vec<Vec<(String, toml::Value)>> {
    let mut out = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                a.values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push((a.key.clone(), v.clone()));
                    p
                })
            })
            .collect();
    }
    out
}

/// `lastsegment-value` per axis joined by `__`, with anything but letters, digits, `.` and `-`
/// turned into `_` (the full key when two axes share a last segment).
fn run_id(values: &[(String, toml::Value)]) -> String {
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    let shared = |k: &str| values.iter().filter(|(o, _)| last(o) == last(k)).count() > 1;
    values
        .iter()
        .map(|(k, v)| {
            let name = if shared(k) {
                k.replace('.', "-")
            } else {
                last(k)
            };
            let raw = format!("{name}-{}", plain(v));
            raw.chars()
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' => c,
                    _ => '_',
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(text: &str) -> Result<Grid> {
        Grid::parse(Path::new("test-grid.toml"), text)
    }

    #[test]
    fn runs_are_the_cross_product_in_key_order() {
        let g = grid(
            "robot = \"point\"\n[set]\n\"train.iterations\" = 2\n[axes]\n\"transfer.strategy\" = [\"none\", \"htr\"]\n\"train.seed\" = [1, 2, 3]\n",
        )
        .unwrap();
        assert_eq!(g.runs.len(), 6);
        // `train.seed` sorts before `transfer.strategy`: seeds outermost.
        let ids: Vec<&str> = g.runs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids[0], "seed-1__strategy-none");
        assert_eq!(ids[1], "seed-1__strategy-htr");
        assert_eq!(ids[5], "seed-3__strategy-htr");
        assert_eq!(g.runs[5].config.train.seed, 3);
        assert_eq!(g.runs[5].config.train.iterations, 2);
        assert_eq!(g.runs[1].cell("train.seed"), "transfer.strategy=htr");
    }

    #[test]
    fn table_values_are_arms_of_several_settings() {
        let g = grid(
            "robot = \"point\"\n[axes]\narm = [{ name = \"pearl\", \"transfer.strategy\" = \"none\" }, { name = \"drat-rho1\", \"transfer.strategy\" = \"drae\", \"transfer.eps\" = 1e6 }]\n\"train.seed\" = [4]\n",
        )
        .unwrap();
        assert_eq!(g.runs.len(), 2);
        assert_eq!(g.runs[0].id, "seed-4__arm-pearl");
        assert_eq!(g.runs[1].cell("train.seed"), "arm=drat-rho1");
        assert_eq!(g.runs[1].config.transfer.eps, 1e6);
        assert_eq!(g.runs[1].config.train.seed, 4);
        let err = grid("robot = \"point\"\n[axes]\narm = [{ \"transfer.nope\" = 1 }]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn bad_grids_are_refused_with_the_key_named() {
        let cases = [
            ("robot = \"point\"\n[axes]\n\"train.seed\" = []\n", "axes.train.seed"),
            ("robot = \"point\"\n[axes]\n\"train.nope\" = [1]\n", "nope"),
            ("robot = \"point\"\n[axes]\n\"train.seed\" = [\"x\"]\n", "seed"),
            ("robot = \"point\"\nfoo = 1\n[axes]\n\"train.seed\" = [1]\n", "foo"),
            ("robot = \"point\"\n[axes]\n\"train.seed\" = 1\n", "axes.train.seed"),
            (
                "robot = \"point\"\nbaseline = { \"transfer.strategy\" = \"hfr\" }\n[axes]\n\"train.seed\" = [1]\n",
                "baseline",
            ),
        ];
        for (text, key) in cases {
            let err = grid(text).unwrap_err().to_string();
            assert!(err.contains(key), "`{text}` → {err}");
        }
    }
}
