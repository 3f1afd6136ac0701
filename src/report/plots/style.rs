//! What every figure shares: the bundled font, atomic PNG/SVG writes, panels, the legend,
//! line colours, tick labels, axis bounds and moving means.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};

/// Registers the bundled DejaVu Sans as `sans-serif` (once per process).
pub(super) fn register_fonts() {
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

pub(super) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Draws into a temporary file beside `path` (same extension, so the backend picks the same
/// format) and renames it over `path`: an interrupted plot never leaves half a file.
pub(super) fn atomically(path: &Path, draw: impl FnOnce(&Path) -> DrawResult) -> Result<()> {
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

pub(super) type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One captioned panel with its mesh and short tick labels.
pub(super) fn panel<'a, DB: DrawingBackend + 'a>(
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

/// The series legend every comparison panel uses, upper left.
pub(super) fn draw_legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>) -> DrawResult
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

/// Distinguishable line colours on white (matplotlib's tab10 order, without light ones).
/// Ten distinct colours (matplotlib's tab10 order, grey replaced by black), so a grid of up to
/// ten cells never repeats one.
pub(super) const LINE_COLORS: [RGBColor; 10] = [
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

/// Axis tick text: `20k`, `1.5M`, `120`, `0.25` (no `20000.0`).
pub(super) fn tick(v: &f64) -> String {
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

pub(super) fn bounds(v: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
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
