//! Ablation factors: the gait divergence per level of one factor, with env steps/s on a
//! second axis.

use std::path::Path;

use plotters::prelude::*;

use super::style::{register_fonts, DrawResult, LINE_COLORS};
use crate::error::Result;

/// One level of an ablation factor, as [`ablation_factor`] draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct AblationRow {
    /// Level label (the x axis).
    pub label: String,
    /// RMS torso distance of the open-loop trot from its 4× finer-dt reference (m).
    pub gait_divergence_m: f64,
    /// Env steps per second (random actions).
    pub steps_per_s: f64,
}

/// One ablation factor: the gait divergence (cm) per level on the left axis and env steps/s on
/// the right, into `png` and the `.svg` beside it.
pub fn ablation_factor(rows: &[AblationRow], png: &Path, factor: &str) -> Result<()> {
    register_fonts();
    png_and_svg!(png, (900, 450), |area| draw_ablation(area, rows, factor))
}

fn draw_ablation<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    rows: &[AblationRow],
    factor: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = rows.len();
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let div: Vec<f64> = rows.iter().map(|r| 100.0 * r.gait_divergence_m).collect();
    let sps: Vec<f64> = rows.iter().map(|r| r.steps_per_s).collect();
    // Long level labels (several keys) get a smaller font, so neighbours do not overlap:
    // about 0.55 em per character across the plot's ~760 px shared by the levels.
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64;
    let label_px = (760.0 / n.max(1) as f64 / (0.55 * widest)).clamp(8.0, 14.0);
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
        .x_label_style(("sans-serif", label_px))
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

/// The top of an axis holding `v`: 15 % above its largest finite value (at least 0).
fn top(v: &[f64]) -> f64 {
    v.iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.15
}
