//! Method comparison: per-method meta-test curves (mean over seeds, shaded 95 % CI).

use std::path::Path;

use plotters::prelude::*;

use super::style::{bounds, draw_legend, panel, register_fonts, DrawResult, LINE_COLORS};
use crate::error::{Error, Result};
use crate::report::stats::MethodCurve;

/// Draws the per-method meta-test curves of a comparison (mean over seeds, shaded 95 % CI)
/// into `png` and the `.svg` beside it.
pub fn comparison(curves: &[MethodCurve], png: &Path, title: &str, x_label: &str) -> Result<()> {
    register_fonts();
    if let Some(dir) = png.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    png_and_svg!(png, (1200, 500), |area| draw_comparison(
        area, curves, title, x_label
    ))
}

fn draw_comparison<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    curves: &[MethodCurve],
    title: &str,
    x_label: &str,
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
        let mut chart = panel(area, name, x_label, (x0, x1), (y0, y1))?;
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
