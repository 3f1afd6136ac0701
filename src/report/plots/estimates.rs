//! Estimate errors: bias and RMSE of value estimates per strategy against a bucket axis
//! (`drat diagnose transfer`).

use std::path::Path;

use plotters::prelude::*;

use super::style::{
    atomically, bounds, draw_legend, panel, register_fonts, DrawResult, LINE_COLORS,
};
use crate::error::{Error, Result};

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
