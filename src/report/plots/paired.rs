//! Paired differences: per-seed differences to a baseline cell (dots) with their mean and
//! 95 % CI (bar), one panel per baseline.

use std::path::Path;

use plotters::prelude::*;

use super::style::{register_fonts, DrawResult, LINE_COLORS};
use crate::error::Result;

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
