//! Trajectories: top-down torso paths per held-out task, with the goal disc and where each
//! path first reached it.

use std::path::Path;

use plotters::prelude::*;

use super::style::{register_fonts, tick, Chart, DrawResult};
use crate::error::Result;

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
    for (area, p) in root.split_evenly(grid).iter().zip(panels) {
        let r = f64::from(p.radius);
        let (gx, gy) = (f64::from(p.goal[0]), f64::from(p.goal[1]));
        let (cx, cy, half) = extent(p);
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
            GOAL_COLOR.mix(0.2).filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            disc,
            GOAL_COLOR.stroke_width(2),
        )))?;
        draw_paths(&mut chart, p)?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(-half * 0.02, -half * 0.02), (half * 0.02, half * 0.02)],
            BLACK.filled(),
        )))?;
    }
    root.present()?;
    Ok(())
}

/// Colour of the scored episodes' paths.
const SCORED_COLOR: RGBColor = RGBColor(36, 113, 163);
/// Colour of the goal disc and of the marks where paths reach it.
const GOAL_COLOR: RGBColor = RGBColor(39, 174, 96);

/// A panel's square view: centre and half-width covering the goal disc, every finite path
/// point and the start (the origin), with a margin.
fn extent(p: &TrajectoryPanel) -> (f64, f64, f64) {
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
    (cx, cy, half)
}

/// A panel's paths, exploration first (faint), then the scored episodes on top, each with a
/// mark where it first reached the goal.
fn draw_paths<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    p: &TrajectoryPanel,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for scored in [false, true] {
        for (path, _, hit) in p.paths.iter().filter(|(_, s, _)| *s == scored) {
            let line: Vec<(f64, f64)> = path
                .iter()
                .map(|q| (f64::from(q[0]), f64::from(q[1])))
                .collect();
            let style = match scored {
                true => SCORED_COLOR.stroke_width(3),
                false => RGBColor(90, 103, 120).mix(0.3).stroke_width(1),
            };
            chart.draw_series(std::iter::once(PathElement::new(line.clone(), style)))?;
            if let Some(&(x, y)) = hit.and_then(|t| line.get(t)) {
                let mark = match scored {
                    true => GOAL_COLOR.mix(1.0).filled(),
                    false => GOAL_COLOR.mix(0.5).filled(),
                };
                let size = if scored { 7 } else { 3 };
                chart.draw_series(std::iter::once(TriangleMarker::new((x, y), size, mark)))?;
            }
        }
    }
    Ok(())
}
