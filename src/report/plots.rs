//! Learning curves from a run's `metrics.csv`, drawn with plotters (bitmap and SVG backends,
//! bundled font: no system font libraries needed).

use std::path::Path;

use plotters::prelude::*;

use super::metrics::read_csv;
use crate::error::{Error, Result};

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
    let svg = out_dir.join("learning_curves.svg");
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
    draw(
        BitMapBackend::new(&png, (1200, 800)).into_drawing_area(),
        &series,
        title,
    )
    .map_err(|e| Error::Checkpoint(format!("{}: {e}", png.display())))?;
    draw(
        SVGBackend::new(&svg, (1200, 800)).into_drawing_area(),
        &series,
        title,
    )
    .map_err(|e| Error::Checkpoint(format!("{}: {e}", svg.display())))?;
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    series: &[(&Series, Vec<(f64, f64)>)],
    title: &str,
) -> std::result::Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 26))?;
    let panels = root.split_evenly((2, 2));
    for (area, (s, pts)) in panels.iter().zip(series) {
        let (x0, x1) = bounds(pts.iter().map(|p| p.0), 0.0);
        let (y0, y1) = bounds(pts.iter().map(|p| p.1), 0.05);
        let mut chart = ChartBuilder::on(area)
            .caption(s.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc("env steps")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(("sans-serif", 14))
            .draw()?;
        if pts.is_empty() {
            continue;
        }
        chart.draw_series(LineSeries::new(pts.iter().copied(), BLUE.stroke_width(2)))?;
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))?;
    }
    root.present()?;
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
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
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

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn ticks_are_short_and_exact() {
        assert_eq!(tick(&20000.0), "20k");
        assert_eq!(tick(&12500.0), "12.5k");
        assert_eq!(tick(&1_500_000.0), "1.5M");
        assert_eq!(tick(&120.0), "120");
        assert_eq!(tick(&0.0), "0");
        assert_eq!(tick(&0.25), "0.25");
        assert_eq!(tick(&-3.5), "-3.5");
        assert_eq!(tick(&2.0), "2");
    }
}
