//! Score bars: horizontal bars of scores with their 95 % CI whiskers.

use std::path::Path;

use plotters::prelude::*;

use super::style::{register_fonts, DrawResult, LINE_COLORS};
use crate::error::Result;

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
