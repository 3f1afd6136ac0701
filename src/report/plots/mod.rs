//! Learning curves from a run's `metrics.csv`, drawn with plotters (bitmap and SVG backends,
//! bundled font: no system font libraries needed).

use std::path::Path;

use plotters::prelude::*;

use super::metrics::read_csv;
use crate::error::{Error, Result};

/// Draws `$draw` (with `$area` bound to the drawing area) into `$png` and into the SVG beside
/// it, each through [`atomically`]. A macro because the backends are different types.
macro_rules! png_and_svg {
    ($png:expr, $size:expr, |$area:ident| $draw:expr) => {{
        let png: &Path = $png;
        atomically(png, |p| {
            let $area = BitMapBackend::new(p, $size).into_drawing_area();
            $draw
        })?;
        atomically(&png.with_extension("svg"), |p| {
            let $area = SVGBackend::new(p, $size).into_drawing_area();
            $draw
        })
    }};
}

/// One panel: a metric against env steps.
struct Series {
    title: &'static str,
    column: &'static str,
}

const PANELS: [Series; 4] = [
    Series {
        title: "meta-test success rate",
        column: "test/success",
    },
    Series {
        title: "meta-test return",
        column: "test/return",
    },
    Series {
        title: "train return",
        column: "train/return",
    },
    Series {
        title: "Q1 loss",
        column: "loss/q1",
    },
];

/// Registers the bundled DejaVu Sans as `sans-serif` (once per process).
fn register_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF shipped by the `dejavu` crate.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

/// Draws `learning_curves.png` and `.svg` into `out_dir` from `metrics_csv`.
pub fn learning_curves(metrics_csv: &Path, out_dir: &Path, title: &str) -> Result<()> {
    register_fonts();
    let Some((header, rows)) = read_csv(metrics_csv)? else {
        return Err(Error::Checkpoint(format!(
            "{}: no metrics to plot",
            metrics_csv.display()
        )));
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let x_col =
        col("env_steps").ok_or_else(|| Error::Checkpoint("metrics.csv has no env_steps".into()))?;
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let png = out_dir.join("learning_curves.png");
    let series: Vec<(&Series, Vec<(f64, f64)>)> = PANELS
        .iter()
        .map(|s| {
            let pts = match col(s.column) {
                Some(c) => rows
                    .iter()
                    .filter_map(|r| {
                        Some((
                            r.get(x_col).copied().flatten()?,
                            r.get(c).copied().flatten()?,
                        ))
                    })
                    .collect(),
                None => Vec::new(),
            };
            (s, pts)
        })
        .collect();
    png_and_svg!(&png, (1200, 800), |area| draw(area, &series, title))
}

type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Draws into a temporary file beside `path` (same extension, so the backend picks the same
/// format) and renames it over `path`: an interrupted plot never leaves half a file.
fn atomically(path: &Path, draw: impl FnOnce(&Path) -> DrawResult) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp.{ext}"));
    draw(&tmp).map_err(|e| Error::Checkpoint(format!("{}: {e}", path.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One captioned panel with its mesh and short tick labels.
fn panel<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    x_desc: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> std::result::Result<Chart<'a, DB>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(("sans-serif", 14))
        .draw()?;
    Ok(chart)
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    series: &[(&Series, Vec<(f64, f64)>)],
    title: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 26))?;
    let panels = root.split_evenly((2, 2));
    for (area, (s, pts)) in panels.iter().zip(series) {
        let (x0, x1) = bounds(pts.iter().map(|p| p.0), 0.0);
        let (y0, y1) = bounds(pts.iter().map(|p| p.1), 0.05);
        let mut chart = panel(area, s.title, "env steps", (x0, x1), (y0, y1))?;
        if pts.is_empty() {
            continue;
        }
        // 1 px: plotters' bitmap backend draws wider steep segments past the plot area
        // (plotters issue #549), which the noisy per-iteration train return triggers.
        if pts.len() <= FEW_POINTS {
            chart.draw_series(LineSeries::new(pts.iter().copied(), BLUE.stroke_width(1)))?;
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))?;
            continue;
        }
        // Many points: each one faint, the centred moving mean on top shows the trend.
        let half = pts.len() / SMOOTH_WINDOWS / 2;
        chart.draw_series(LineSeries::new(pts.iter().copied(), RAW.stroke_width(1)))?;
        chart
            .draw_series(LineSeries::new(
                moving_mean(pts, half),
                BLUE.stroke_width(1),
            ))?
            .label(format!("moving mean, {} points", 2 * half + 1))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Up to this many points a curve is drawn with a marker on each.
const FEW_POINTS: usize = 60;
/// Longer curves: the moving mean spans about 1/this of the points.
const SMOOTH_WINDOWS: usize = 40;
/// The faint per-point line under a moving mean.
const RAW: RGBColor = RGBColor(170, 190, 235);

/// Centred moving mean over `2·half + 1` points (fewer at the ends); x is kept.
pub fn moving_mean(pts: &[(f64, f64)], half: usize) -> Vec<(f64, f64)> {
    (0..pts.len())
        .map(|i| {
            let w = &pts[i.saturating_sub(half)..(i + half + 1).min(pts.len())];
            (
                pts[i].0,
                w.iter().map(|p| p.1).sum::<f64>() / w.len() as f64,
            )
        })
        .collect()
}

/// Distinguishable line colours on white (matplotlib's tab10 order, without light ones).
/// Ten distinct colours (matplotlib's tab10 order, grey replaced by black), so a grid of up to
/// ten cells never repeats one.
const LINE_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
];

/// Draws the per-method meta-test curves of a comparison (mean over seeds, shaded 95 % CI)
/// into `png` and the `.svg` beside it.
pub fn comparison(curves: &[super::summary::MethodCurve], png: &Path, title: &str) -> Result<()> {
    register_fonts();
    if let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    png_and_svg!(png, (1200, 500), |area| draw_comparison(
        area, curves, title
    ))
}

fn draw_comparison<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    curves: &[super::summary::MethodCurve],
    title: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 24))?;
    let panels = root.split_evenly((1, 2));
    // (panel title, mean, CI half-width) accessors of a point.
    type Pick = fn(&(f64, f64, f64, f64, f64)) -> (f64, f64);
    // (panel, accessor, the metric's possible range: bands are drawn within it)
    let metrics: [(&str, Pick, (f64, f64)); 2] = [
        ("meta-test success rate", |p| (p.1, p.2), (0.0, 1.0)),
        (
            "meta-test return",
            |p| (p.3, p.4),
            (f64::NEG_INFINITY, f64::INFINITY),
        ),
    ];
    for (area, (name, pick, (lo, hi))) in panels.iter().zip(metrics) {
        let band = |p: &(f64, f64, f64, f64, f64)| {
            let (m, h) = pick(p);
            let h = if h.is_finite() { h } else { 0.0 };
            ((m - h).max(lo), (m + h).min(hi))
        };
        let all = curves.iter().flat_map(|c| c.points.iter());
        let (x0, x1) = bounds(all.clone().map(|p| p.0), 0.0);
        let (y0, y1) = bounds(
            all.flat_map(|p| {
                let (lo, hi) = band(p);
                [lo, hi]
            }),
            0.05,
        );
        let mut chart = panel(area, name, "iteration", (x0, x1), (y0, y1))?;
        for (k, c) in curves.iter().enumerate() {
            let color = LINE_COLORS[k % LINE_COLORS.len()].to_rgba();
            let mut poly: Vec<(f64, f64)> = c.points.iter().map(|p| (p.0, band(p).1)).collect();
            poly.extend(c.points.iter().rev().map(|p| (p.0, band(p).0)));
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                color.mix(0.15).filled(),
            )))?;
            chart
                .draw_series(LineSeries::new(
                    c.points.iter().map(|p| (p.0, pick(p).0)),
                    color.stroke_width(2),
                ))?
                .label(format!("{} (n = {})", c.method, c.n))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        draw_legend(&mut chart)?;
    }
    root.present()?;
    Ok(())
}

/// One strategy's estimate errors by bucket: (bucket index, bias, RMSE).
pub type ErrorSeries = (String, Vec<(f64, f64, f64)>);

/// Bias and RMSE of value estimates per strategy against a bucket axis (`drat diagnose
/// transfer`), into `png` and the `.svg` beside it.
pub fn estimate_errors(
    series: &[ErrorSeries],
    x_desc: &str,
    png: &Path,
    title: &str,
) -> Result<()> {
    register_fonts();
    if let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let draw = |root: DrawingArea<BitMapBackend, plotters::coord::Shift>| -> DrawResult {
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 24))?;
        let panels = root.split_evenly((1, 2));
        type Pick = fn(&(f64, f64, f64)) -> f64;
        let metrics: [(&str, Pick); 2] = [("bias", |p| p.1), ("RMSE", |p| p.2)];
        for (area, (name, pick)) in panels.iter().zip(metrics) {
            let all = series.iter().flat_map(|s| s.1.iter());
            let (x0, x1) = bounds(all.clone().map(|p| p.0), 0.1);
            let (y0, y1) = bounds(all.map(pick).chain([0.0]), 0.08);
            let mut chart = panel(area, name, x_desc, (x0, x1), (y0, y1))?;
            for (k, (label, pts)) in series.iter().enumerate() {
                let color = LINE_COLORS[k % LINE_COLORS.len()].to_rgba();
                let line = pts.iter().map(|p| (p.0, pick(p)));
                chart
                    .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
                    .label(label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
                chart.draw_series(line.map(|p| Circle::new(p, 4, color.filled())))?;
            }
            draw_legend(&mut chart)?;
        }
        root.present()?;
        Ok(())
    };
    atomically(png, |p| {
        draw(BitMapBackend::new(p, (1200, 500)).into_drawing_area())
    })
}

/// The series legend every comparison panel uses, upper left.
fn draw_legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}

/// Axis tick text: `20k`, `1.5M`, `120`, `0.25` (no `20000.0`).
fn tick(v: &f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e3 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a < 5e-4 {
        "0".to_string()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        trim(format!("{v:.3}"))
    }
}

fn bounds(v: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in v.filter(|x| x.is_finite()) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let p = (hi - lo) * pad;
    (lo - p, hi + p)
}

/// Horizontal bars of scores with their 95 % CI whiskers (one per label, top to bottom), into
/// `png` and the `.svg` beside it.
pub fn score_bars(
    bars: &[(String, (f64, f64))],
    png: &Path,
    title: &str,
    x_desc: &str,
) -> Result<()> {
    register_fonts();
    let height = 120 + 40 * bars.len() as u32;
    png_and_svg!(png, (900, height), |area| draw_bars(
        area, bars, title, x_desc
    ))
}

fn draw_bars<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    bars: &[(String, (f64, f64))],
    title: &str,
    x_desc: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let finite = |h: f64| if h.is_finite() { h } else { 0.0 };
    let hi = bars
        .iter()
        .map(|(_, (m, h))| m + finite(*h))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let lo = bars
        .iter()
        .map(|(_, (m, h))| m - finite(*h))
        .fold(0.0f64, f64::min);
    let n = bars.len();
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(320)
        .build_cartesian_2d(lo..hi * 1.05, (0..n.max(2) - 1).into_segmented())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .disable_y_mesh()
        .draw()?;
    for (i, (_, (m, h))) in bars.iter().enumerate() {
        let color = LINE_COLORS[i % LINE_COLORS.len()];
        chart.draw_series(std::iter::once(Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*m, SegmentValue::Exact(i + 1)),
            ],
            color.mix(0.6).filled(),
        )))?;
        if h.is_finite() {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (m - h, SegmentValue::CenterOf(i)),
                    (m + h, SegmentValue::CenterOf(i)),
                ],
                BLACK.stroke_width(2),
            )))?;
        }
    }
    root.present()?;
    Ok(())
}

/// One ablation factor: the gait divergence (cm) per level on the left axis and env steps/s on
/// the right, into `png` and the `.svg` beside it.
pub fn ablation_factor(
    rows: &[&crate::grid::ablate::Figures],
    png: &Path,
    factor: &str,
) -> Result<()> {
    register_fonts();
    png_and_svg!(png, (900, 450), |area| draw_ablation(area, rows, factor))
}

fn draw_ablation<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    rows: &[&crate::grid::ablate::Figures],
    factor: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = rows.len();
    let labels: Vec<String> = rows.iter().map(|r| r.level.clone()).collect();
    let div: Vec<f64> = rows.iter().map(|r| 100.0 * r.gait_divergence_m).collect();
    let sps: Vec<f64> = rows.iter().map(|r| r.steps_per_s).collect();
    let top = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(0.0f64, f64::max)
            .max(1e-9)
            * 1.15
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(factor, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(70)
        .build_cartesian_2d((0..n.max(2) - 1).into_segmented(), 0.0..top(&div))?
        .set_secondary_coord((0..n.max(2) - 1).into_segmented(), 0.0..top(&sps));
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_desc("gait divergence from 4x finer dt (cm)")
        .disable_x_mesh()
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("env steps/s")
        .draw()?;
    let blue = LINE_COLORS[0];
    let red = LINE_COLORS[1];
    chart
        .draw_series(LineSeries::new(
            div.iter()
                .enumerate()
                .map(|(i, &d)| (SegmentValue::CenterOf(i), d)),
            blue.stroke_width(2),
        ))?
        .label("gait divergence (cm)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], blue.stroke_width(2)));
    chart.draw_series(
        div.iter()
            .enumerate()
            .map(|(i, &d)| Circle::new((SegmentValue::CenterOf(i), d), 4, blue.filled())),
    )?;
    chart
        .draw_secondary_series(LineSeries::new(
            sps.iter()
                .enumerate()
                .map(|(i, &s)| (SegmentValue::CenterOf(i), s)),
            red.stroke_width(2),
        ))?
        .label("env steps/s (right)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], red.stroke_width(2)));
    chart.draw_secondary_series(
        sps.iter()
            .enumerate()
            .map(|(i, &s)| Circle::new((SegmentValue::CenterOf(i), s), 4, red.filled())),
    )?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    root.present()?;
    Ok(())
}

/// One panel of [`paired_differences`]: each cell's per-seed differences to `baseline`.
pub struct PairedPanel {
    /// The baseline cell.
    pub baseline: String,
    /// `(cell, per-seed differences, (mean, 95 % CI half-width))`.
    pub rows: Vec<(String, Vec<f64>, (f64, f64))>,
}

/// Per-seed paired differences (dots) with their mean and 95 % CI (bar), one row per cell and
/// one panel per baseline, into `png` and the `.svg` beside it.
pub fn paired_differences(
    panels: &[PairedPanel],
    png: &Path,
    title: &str,
    x_desc: &str,
) -> Result<()> {
    register_fonts();
    let rows = panels.iter().map(|p| p.rows.len()).max().unwrap_or(1) as u32;
    let size = (700 * panels.len().max(1) as u32, 140 + 40 * rows);
    png_and_svg!(png, size, |area| draw_paired(area, panels, title, x_desc))
}

fn draw_paired<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    panels: &[PairedPanel],
    title: &str,
    x_desc: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 22))?;
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (area, panel) in areas.iter().zip(panels) {
        let n = panel.rows.len();
        let names: Vec<String> = panel.rows.iter().map(|r| r.0.clone()).collect();
        let finite = |h: f64| if h.is_finite() { h } else { 0.0 };
        let extent = panel
            .rows
            .iter()
            .flat_map(|(_, d, (m, h))| d.iter().copied().chain([m - finite(*h), m + finite(*h)]))
            .filter(|x| x.is_finite())
            .fold(1e-9f64, |a, x| a.max(x.abs()))
            * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(format!("vs {}", panel.baseline), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(200)
            .build_cartesian_2d(-extent..extent, (0..n.max(2) - 1).into_segmented())?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .disable_y_mesh()
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(n))],
            BLACK.mix(0.5).stroke_width(1),
        )))?;
        for (i, (_, diffs, (m, h))) in panel.rows.iter().enumerate() {
            let color = LINE_COLORS[i % LINE_COLORS.len()];
            chart.draw_series(diffs.iter().map(|&d| {
                Circle::new((d, SegmentValue::CenterOf(i)), 4, color.mix(0.6).filled())
            }))?;
            if m.is_finite() {
                let h = finite(*h);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![
                        (m - h, SegmentValue::CenterOf(i)),
                        (m + h, SegmentValue::CenterOf(i)),
                    ],
                    BLACK.stroke_width(2),
                )))?;
                chart.draw_series(std::iter::once(Cross::new(
                    (*m, SegmentValue::CenterOf(i)),
                    6,
                    BLACK.stroke_width(2),
                )))?;
            }
        }
    }
    root.present()?;
    Ok(())
}

/// One held-out task's panel of [`trajectories`].
#[derive(Clone, Debug, Default)]
pub struct TrajectoryPanel {
    /// Caption (task id, dynamics, outcome).
    pub title: String,
    /// Goal position (m).
    pub goal: [f32; 2],
    /// Goal radius (m).
    pub radius: f32,
    /// Paths (x-y per step) with (scored, first step inside the goal).
    pub paths: Vec<(Vec<[f32; 2]>, bool, Option<usize>)>,
}

/// Top-down paths per task (`png`, and the SVG beside it): goal disc at its radius,
/// exploration episodes faint, scored episodes bold, where each path first reached the goal
/// marked, the start as a black square. Panels are square and equal in scale within a panel.
pub fn trajectories(panels: &[TrajectoryPanel], png: &Path, title: &str) -> Result<()> {
    register_fonts();
    let n = panels.len().max(1);
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let size = (360 * cols as u32, 60 + 360 * rows as u32);
    let grid = (rows, cols);
    png_and_svg!(png, size, |area| draw_trajectories(
        area, panels, grid, title
    ))
}

fn draw_trajectories<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    panels: &[TrajectoryPanel],
    grid: (usize, usize),
    title: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    let scored_color = RGBColor(36, 113, 163);
    let goal_color = RGBColor(39, 174, 96);
    for (area, p) in root.split_evenly(grid).iter().zip(panels) {
        let r = f64::from(p.radius);
        let (gx, gy) = (f64::from(p.goal[0]), f64::from(p.goal[1]));
        let pts = p.paths.iter().flat_map(|(path, _, _)| path.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (gx - r, gx + r, gy - r, gy + r);
        for q in pts.chain(std::iter::once(&[0.0f32, 0.0])) {
            let (x, y) = (f64::from(q[0]), f64::from(q[1]));
            if x.is_finite() && y.is_finite() {
                (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
            }
        }
        let half = 0.6 * (x1 - x0).max(y1 - y0).max(0.2);
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(26)
            .y_label_area_size(36)
            .build_cartesian_2d(cx - half..cx + half, cy - half..cy + half)?;
        chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        let disc: Vec<(f64, f64)> = (0..=64)
            .map(|k| {
                let a = std::f64::consts::TAU * f64::from(k) / 64.0;
                (gx + r * a.cos(), gy + r * a.sin())
            })
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(
            disc.clone(),
            goal_color.mix(0.2).filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            disc,
            goal_color.stroke_width(2),
        )))?;
        // Exploration first (faint), then the scored episodes on top.
        for scored in [false, true] {
            for (path, _, hit) in p.paths.iter().filter(|(_, s, _)| *s == scored) {
                let line: Vec<(f64, f64)> = path
                    .iter()
                    .map(|q| (f64::from(q[0]), f64::from(q[1])))
                    .collect();
                let style = match scored {
                    true => scored_color.stroke_width(3),
                    false => RGBColor(90, 103, 120).mix(0.3).stroke_width(1),
                };
                chart.draw_series(std::iter::once(PathElement::new(line.clone(), style)))?;
                if let Some(&(x, y)) = hit.and_then(|t| line.get(t)) {
                    let mark = match scored {
                        true => goal_color.mix(1.0).filled(),
                        false => goal_color.mix(0.5).filled(),
                    };
                    let size = if scored { 7 } else { 3 };
                    chart.draw_series(std::iter::once(TriangleMarker::new((x, y), size, mark)))?;
                }
            }
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(-half * 0.02, -half * 0.02), (half * 0.02, half * 0.02)],
            BLACK.filled(),
        )))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{moving_mean, tick};

    #[test]
    fn moving_mean_is_centred_and_shrinks_at_the_ends() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (10.0 * i as f64, i as f64)).collect();
        assert_eq!(moving_mean(&pts, 0), pts);
        let m = moving_mean(&pts, 1);
        assert_eq!(m[0], (0.0, 0.5));
        assert_eq!(m[2], (20.0, 2.0));
        assert_eq!(m[4], (40.0, 3.5));
        let flat: Vec<(f64, f64)> = (0..9).map(|i| (i as f64, 0.25)).collect();
        assert!(moving_mean(&flat, 3)
            .iter()
            .all(|p| (p.1 - 0.25).abs() < 1e-12));
    }

    #[test]
    fn ticks_are_short_and_exact() {
        assert_eq!(tick(&20000.0), "20k");
        assert_eq!(tick(&12500.0), "12.5k");
        assert_eq!(tick(&5000.0), "5k");
        assert_eq!(tick(&1_500_000.0), "1.5M");
        assert_eq!(tick(&120.0), "120");
        assert_eq!(tick(&0.0), "0");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&-1e-17), "0");
        assert_eq!(tick(&0.25), "0.25");
        assert_eq!(tick(&-3.5), "-3.5");
        assert_eq!(tick(&2.0), "2");
    }
}
