//! `drat diagnose ratio`: how well does the learned dynamics ratio ([`RatioModel`]) know the
//! dynamics? On the noisy point robot the true `log ρd = log p_j(s′|s,a) − log p_i(s′|s,a)` is
//! exact, so for sampled transitions of train task i — `(s, a)` from i's replay, `s′` drawn
//! afresh from i's dynamics (so no sample was seen in training) — and a target task j ≠ i, the
//! learned log ratio is set beside the exact one. Reported by |Δ mass| and |Δ friction| bucket
//! (the buckets of `drat diagnose transfer`): Pearson correlation and RMSE of log ρd, and the
//! RMSE of ρd itself after the clip DR applies (`transfer.rho_d_max`).
//!
//! It uses the run's own classifiers when the run trains them (`transfer.ratio = "learned"`);
//! otherwise it trains a fresh pair on the run's replay (the run is not changed). Every random
//! number comes from the caller's RNG.

use rand::Rng;
use rand_pcg::Pcg64;
use std::fmt::Write as _;
use std::path::Path;

use super::diagnose::{bucket, FRICTION_EDGES, MASS_EDGES};
use crate::config::Robot;
use crate::data::buffer::Batch;
use crate::env::point::{transition_log_density, PointEnv};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::transfer::ratio::{correlation_and_rmse, ClassifierStats, RatioModel};
use crate::transfer::strategy::TrainView;

/// One sampled transition of task i evaluated for task j.
#[derive(Clone, Debug, PartialEq)]
pub struct RatioSample {
    /// Source task i and target task j.
    pub tasks: (usize, usize),
    /// `|mass scale_j − mass scale_i|` (mean over bodies).
    pub mass_shift: f32,
    /// `|friction_j − friction_i|`.
    pub friction_shift: f32,
    /// The exact log ρd.
    pub exact: f32,
    /// The learned log ρd.
    pub learned: f32,
}

/// One row of the calibration table.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationRow {
    /// `all`, or the shift and its bucket.
    pub group: String,
    /// Samples in it.
    pub n: usize,
    /// Pearson correlation of learned and exact log ρd.
    pub corr: f64,
    /// RMSE of the learned log ρd.
    pub rmse_log: f64,
    /// RMS of the exact log ρd (the scale the RMSE compares with).
    pub rms_exact_log: f64,
    /// RMSE of ρd after clipping both to `[0, rho_d_max]`.
    pub rmse_clipped: f64,
    /// The same for ρd ≡ 1 (naive relabeling), the reference a ratio has to beat.
    pub rmse_clipped_one: f64,
}

/// Checks that the run is the noisy point robot.
pub fn check_run(view: &TrainView<'_>) -> Result<()> {
    if view.cfg.env.robot != Robot::Point || view.cfg.env.point.noise_std <= 0.0 {
        return Err(Error::argument(
            "RUN_DIR",
            "the ratio calibration needs the noisy point robot (env.robot = \"point\", \
             env.point.noise_std > 0): its transition densities are exact",
        ));
    }
    if view.tasks.len() < 2 || view.rl.iter().any(|b| b.is_empty()) {
        return Err(Error::argument(
            "RUN_DIR",
            "the run needs ≥ 2 train tasks, each with data in its replay (train it first)",
        ));
    }
    Ok(())
}

/// A fresh pair of classifiers trained for `updates` steps on the run's replay (settings from
/// `[transfer.learned_ratio]`), with the last batch's statistics.
pub fn fresh_model(
    view: &TrainView<'_>,
    updates: usize,
    rng: &mut Pcg64,
) -> Result<(RatioModel, ClassifierStats)> {
    check_run(view)?;
    let (od, ad) = (view.agent.obs_dim(), view.agent.act_dim());
    let cfg = &view.cfg.transfer.learned_ratio;
    let mut m = RatioModel::new(cfg, od, ad, view.tasks.len(), rng)?;
    let last = m.train(view.rl, updates, rng)?;
    Ok((m, last))
}

/// `rows` transitions: task i uniform, `(s, a)` from i's replay, `s′` drawn from i's dynamics,
/// target j uniform among the other tasks; exact and learned log ρd of each.
pub fn sample(
    view: &TrainView<'_>,
    model: &RatioModel,
    rows: usize,
    rng: &mut Pcg64,
) -> Result<Vec<RatioSample>> {
    check_run(view)?;
    let (n, od, ad) = (view.tasks.len(), view.agent.obs_dim(), view.agent.act_dim());
    let pc = &view.cfg.env.point;
    let mut batch = Batch::default();
    let mut pairs = Vec::with_capacity(rows);
    let mut out = Vec::with_capacity(rows);
    for _ in 0..rows {
        let i = rng.random_range(0..n);
        let j = (i + rng.random_range(1..n)) % n;
        let mut row = Batch::default();
        view.rl[i].gather_into(&view.rl[i].sample_slots(1, rng), &mut row);
        let (s, a) = (row.obs[..od].to_vec(), row.action[..ad].to_vec());
        let mut env = PointEnv::new(view.cfg, view.tasks[i].clone())?;
        env.reset(rng.random())?;
        env.set_state(&s)?;
        let s2 = env.step(&a)?.obs;
        row.next_obs[..od].copy_from_slice(&s2);
        batch.extend(&row);
        let (ti, tj) = (&view.tasks[i].dynamics, &view.tasks[j].dynamics);
        let exact = transition_log_density(pc, tj, &s, &a, &s2)
            - transition_log_density(pc, ti, &s, &a, &s2);
        pairs.push((i, j));
        out.push(RatioSample {
            tasks: (i, j),
            mass_shift: (tj.mean_mass_scale() - ti.mean_mass_scale()).abs(),
            friction_shift: (tj.friction_coef - ti.friction_coef).abs(),
            exact: exact as f32,
            learned: 0.0,
        });
    }
    for (o, l) in out.iter_mut().zip(model.log_ratio_pairs(&batch, &pairs)?) {
        o.learned = l;
    }
    Ok(out)
}

/// What per-decision DR multiplies along an episode: `Σ_t log ρd(t)` of whole stored episodes.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeSums {
    /// Episodes (each of a random train task i, for a random other task j).
    pub n: usize,
    /// Standard deviation of the exact sum.
    pub sd_exact: f64,
    /// Standard deviation of the learned sum.
    pub sd_learned: f64,
    /// Correlation of the two sums.
    pub corr: f64,
    /// Mean correlation of the learned log ratio's errors at steps t and t + 1 (within episodes).
    pub lag1_error_corr: f64,
    /// Share of episodes whose product of clipped ρd exceeds 10: exact, learned.
    pub product_over_10: (f64, f64),
}

/// [`EpisodeSums`] over `episodes` stored episodes (their own `s′`, exact densities).
pub fn episode_sums(
    view: &TrainView<'_>,
    model: &RatioModel,
    episodes: usize,
    rng: &mut Pcg64,
) -> Result<EpisodeSums> {
    check_run(view)?;
    let (n, od, ad) = (view.tasks.len(), view.agent.obs_dim(), view.agent.act_dim());
    let rho_max = view.cfg.transfer.rho_d_max as f64;
    let (mut se, mut sl, mut over, mut errs) = (Vec::new(), Vec::new(), (0, 0), (0.0, 0));
    for _ in 0..episodes {
        let i = rng.random_range(0..n);
        let j = (i + rng.random_range(1..n)) % n;
        let b = &view.rl[i];
        if b.n_episodes() == 0 {
            continue;
        }
        let mut rows = Batch::default();
        b.gather_into(
            &b.episode_slots(rng.random_range(0..b.n_episodes())),
            &mut rows,
        );
        let learned = model.log_ratio(&rows, i, j)?;
        let (ti, tj) = (&view.tasks[i].dynamics, &view.tasks[j].dynamics);
        let exact: Vec<f64> = (0..rows.len())
            .map(|t| {
                let (s, a) = (
                    &rows.obs[t * od..(t + 1) * od],
                    &rows.action[t * ad..(t + 1) * ad],
                );
                let s2 = &rows.next_obs[t * od..(t + 1) * od];
                let pc = &view.cfg.env.point;
                transition_log_density(pc, tj, s, a, s2) - transition_log_density(pc, ti, s, a, s2)
            })
            .collect();
        let e: Vec<f32> = learned
            .iter()
            .zip(&exact)
            .map(|(l, x)| l - *x as f32)
            .collect();
        if e.len() > 2 {
            let (r, _) = correlation_and_rmse(&e[..e.len() - 1], &e[1..]);
            if r.is_finite() {
                errs = (errs.0 + r, errs.1 + 1);
            }
        }
        let prod = |v: &mut dyn Iterator<Item = f64>| v.map(|l| l.min(rho_max.ln())).sum::<f64>();
        over.0 += usize::from(prod(&mut exact.iter().copied()) > 10f64.ln());
        over.1 += usize::from(prod(&mut learned.iter().map(|&l| l as f64)) > 10f64.ln());
        se.push(exact.iter().sum::<f64>() as f32);
        sl.push(learned.iter().map(|&l| l as f64).sum::<f64>() as f32);
    }
    let sd = |v: &[f32]| {
        let m = v.iter().map(|&x| x as f64).sum::<f64>() / v.len().max(1) as f64;
        (v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt()
    };
    let k = se.len().max(1) as f64;
    Ok(EpisodeSums {
        n: se.len(),
        sd_exact: sd(&se),
        sd_learned: sd(&sl),
        corr: correlation_and_rmse(&se, &sl).0,
        lag1_error_corr: errs.0 / errs.1.max(1) as f64,
        product_over_10: (over.0 as f64 / k, over.1 as f64 / k),
    })
}

/// The calibration table: all samples, then each |Δ mass| and |Δ friction| bucket.
pub fn table(samples: &[RatioSample], rho_max: f32) -> Vec<CalibrationRow> {
    let row = |group: String, s: Vec<&RatioSample>| {
        let exact: Vec<f32> = s.iter().map(|x| x.exact).collect();
        let learned: Vec<f32> = s.iter().map(|x| x.learned).collect();
        let (corr, rmse_log) = correlation_and_rmse(&exact, &learned);
        let rms_exact_log = correlation_and_rmse(&exact, &vec![0.0; exact.len()]).1;
        let clip = |v: &[f32]| -> Vec<f32> {
            v.iter()
                .map(|l| l.clamp(-30.0, 30.0).exp().min(rho_max))
                .collect()
        };
        let rmse_clipped = correlation_and_rmse(&clip(&exact), &clip(&learned)).1;
        let rmse_clipped_one = correlation_and_rmse(&clip(&exact), &vec![1.0; exact.len()]).1;
        CalibrationRow {
            group,
            n: s.len(),
            corr,
            rmse_log,
            rms_exact_log,
            rmse_clipped,
            rmse_clipped_one,
        }
    };
    let mut rows = vec![row("all".into(), samples.iter().collect())];
    type Shift = fn(&RatioSample) -> f32;
    let shifts: [(&str, Shift, [f32; 2]); 2] = [
        ("mass shift", |s| s.mass_shift, MASS_EDGES),
        ("friction shift", |s| s.friction_shift, FRICTION_EDGES),
    ];
    for (name, shift, edges) in shifts {
        let labels = [
            format!("< {}", edges[0]),
            format!("{}–{}", edges[0], edges[1]),
            format!("≥ {}", edges[1]),
        ];
        for (b, label) in labels.into_iter().enumerate() {
            let s: Vec<&RatioSample> = samples
                .iter()
                .filter(|x| bucket(shift(x), edges) == b)
                .collect();
            if !s.is_empty() {
                rows.push(row(format!("{name} {label}"), s));
            }
        }
    }
    rows
}

/// Writes `samples.csv` and `calibration.csv`/`calibration.md` into `out`; returns the
/// Markdown table.
pub fn write_report(
    samples: &[RatioSample],
    rows: &[CalibrationRow],
    out: &Path,
    title: &str,
) -> Result<String> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut csv =
        String::from("source,target,mass_shift,friction_shift,exact_log_rho,learned_log_rho\n");
    for s in samples {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            s.tasks.0, s.tasks.1, s.mass_shift, s.friction_shift, s.exact, s.learned
        ));
    }
    crate::report::write_atomic(&out.join("samples.csv"), csv.as_bytes())?;
    let mut table = String::from("group,n,corr_log_rho,rmse_log_rho,rms_exact_log_rho,rmse_rho_clipped,rmse_rho_one_clipped\n");
    let mut md = format!(
        "Learned vs exact log ρd, {title}\n\n| transitions | n | corr(log ρd) | RMSE log ρd | RMS exact log ρd | RMSE ρd (clipped) | RMSE ρd ≡ 1 (clipped) |\n|---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        table.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            r.group, r.n, r.corr, r.rmse_log, r.rms_exact_log, r.rmse_clipped, r.rmse_clipped_one
        ));
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            r.group, r.n, r.corr, r.rmse_log, r.rms_exact_log, r.rmse_clipped, r.rmse_clipped_one
        );
    }
    crate::report::write_atomic(&out.join("calibration.csv"), table.as_bytes())?;
    crate::report::write_atomic(&out.join("calibration.md"), md.as_bytes())?;
    Ok(md)
}
