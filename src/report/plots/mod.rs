//! Figures, drawn with plotters (bitmap and SVG backends, bundled font: no system font
//! libraries needed): one file per kind of figure (learning curves from a run's
//! `metrics.csv`, method comparisons, estimate errors, score bars, ablation factors, paired
//! differences, trajectories); `style.rs` holds what they share (fonts, atomic writes, panels,
//! legends, colours, ticks, bounds, moving means).

/// Draws `$draw` (with `$area` bound to the drawing area) into `$png` and into the SVG beside
/// it, each through [`style::atomically`]. A macro because the backends are different types.
macro_rules! png_and_svg {
    ($png:expr, $size:expr, |$area:ident| $draw:expr) => {{
        let png: &::std::path::Path = $png;
        $crate::report::plots::style::atomically(png, |p| {
            let $area = BitMapBackend::new(p, $size).into_drawing_area();
            $draw
        })?;
        $crate::report::plots::style::atomically(&png.with_extension("svg"), |p| {
            let $area = SVGBackend::new(p, $size).into_drawing_area();
            $draw
        })
    }};
}

mod ablation;
mod bars;
mod comparison;
mod estimates;
mod learning;
mod paired;
mod paths;
pub mod style;

pub use ablation::{ablation_factor, AblationRow};
pub use bars::score_bars;
pub use comparison::comparison;
pub use estimates::{estimate_errors, ErrorSeries};
pub use learning::learning_curves;
pub use paired::{paired_differences, PairedPanel};
pub use paths::{trajectories, TrajectoryPanel};
pub use style::moving_mean;
