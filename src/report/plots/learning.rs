//! Learning curves: a run's `metrics.csv` against env steps, four panels (meta-test success
//! and return, train return, Q1 loss), long curves smoothed by a moving mean.

use std::path::Path;

use plotters::prelude::*;

use super::style::{bounds, moving_mean, panel, register_fonts, DrawResult};
use crate::error::{Error, Result};
use crate::report::metrics::read_csv;

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
