//! Everything that draws: the study reports' charts and the chapter's figures, as PNG and SVG.
//! Charts are drawn from plain data (values, curves, intervals already computed); nothing here
//! reads results, computes statistics or trains, and `plot` imports neither `report` nor
//! `figures`. Text uses the bundled DejaVu Sans, nothing reads the clock, and every number is
//! formatted explicitly, so the same data gives byte-identical files.
//!
//! The common parts:
//! - [`style`]: palette, the diverged colour, strokes, the font and its registration;
//! - [`output`]: the one PNG+SVG writer (temporary file, then rename) and its [`Draw`] trait;
//! - [`geometry`]: clipping lines to a rectangle, jitter, where a legend fits;
//! - [`ticks`] and [`axis`]: nice ticks, number formatting, axes and data ranges;
//! - [`text`]: titles shrunk to fit, labels shortened or factored;
//! - [`legend`]: legend entries, swatches, corners and box;
//! - [`layout`]: a figure's grid of panels, a study chart's frame;
//! - [`hits`]: where a chart drew each seed, for interactive pages.
//!
//! The kinds of chart, one file each:
//! - [`seed_points`]: every seed's value per cell with the mean and its interval (reports);
//! - [`learning_curves`]: per-epoch curves, every seed thin, the mean thick (reports, figures);
//! - [`lr_range`]: the learning-rate range test;
//! - [`performance_profile`](mod@performance_profile): the fraction of workloads on which each
//!   cell is within τ of the best, against τ (multi-workload studies);
//! - [`sensitivity`]: a tuning's metric against each tuned value, every tuning run a point;
//! - [`panel`] with [`marks`]: a figure panel of lines, dots, crosses, bands, reference lines,
//!   box plots and text, composed into a [`Figure`].

pub mod axis;
pub mod geometry;
pub mod hits;
pub mod layout;
pub mod learning_curves;
pub mod legend;
pub mod lr_range;
pub mod marks;
pub mod output;
pub mod panel;
pub mod performance_profile;
pub mod reliability;
pub mod seed_points;
pub mod sensitivity;
pub mod style;
pub mod text;
pub mod ticks;

pub use axis::{Axis, Scale, Ticks};
pub use geometry::{clip_polyline, jitter};
pub use hits::{Hit, HitRecorder};
pub use layout::Figure;
pub use learning_curves::{learning_curves, learning_curves_svg};
pub use legend::{LegendAt, Swatch};
pub use lr_range::lr_range;
pub use marks::{Anchor, Mark};
pub use output::{svg_string, write, Draw, DrawResult};
pub use panel::Panel;
pub use performance_profile::performance_profile;
pub use reliability::{reliability, ReliabilityCurve};
pub use seed_points::{seed_points, seed_points_svg, MeanInterval, SeedColumn};
pub use sensitivity::{sensitivity, sensitivity_svg, TunedKey, TuningPoint};
pub use style::{colour, Stroke, DIVERGED, GREY};
pub use ticks::{compact, plain, significant};

/// Renders examples to /tmp/plot_preview for a person to look at (run with --ignored).
#[cfg(test)]
mod preview {
    use super::*;
    use std::path::Path;

    fn columns(n: usize, label: impl Fn(usize) -> String) -> Vec<SeedColumn> {
        (0..n)
            .map(|c| {
                let seeds: Vec<(u64, f64)> = (0..10)
                    .map(|s| {
                        (
                            s,
                            0.84 + 0.004 * c as f64
                                + ((s as usize * 7 + c * 3) % 10) as f64 * 0.002,
                        )
                    })
                    .collect();
                let mean = seeds.iter().map(|p| p.1).sum::<f64>() / 10.0;
                SeedColumn {
                    label: label(c),
                    seeds,
                    mean: Some(MeanInterval {
                        mean,
                        low: mean - 0.003,
                        high: mean + 0.003,
                    }),
                }
            })
            .collect()
    }

    #[test]
    #[ignore]
    fn preview() {
        let dir = Path::new("/tmp/plot_preview");
        std::fs::create_dir_all(dir).unwrap();
        let mut cells = columns(5, |c| {
            ["sgd", "momentum", "nesterov", "adam", "rmsprop"][c].to_string()
        });
        cells[3].seeds[4].1 = f64::NAN;
        cells[3].seeds[7].1 = f64::INFINITY;
        seed_points(
            &dir.join("points"),
            "fashion-mnist: test accuracy, every seed",
            "test accuracy",
            &cells,
        )
        .unwrap();
        let many = columns(12, |c| {
            let opt = ["sgd", "momentum(beta=0.9)", "adamw(weight_decay=0.01)"][c % 3];
            format!(
                "optimizer={opt}, learning_rate=0.00{}, batch_size=32",
                c / 3 + 1
            )
        });
        seed_points(
            &dir.join("points_many"),
            "12 cells with long labels",
            "test accuracy",
            &many,
        )
        .unwrap();
        let curves: Vec<(String, Vec<Vec<f64>>)> = (0..4)
            .map(|c| {
                let seeds = (0..5)
                    .map(|s| {
                        (0..20)
                            .map(|e| {
                                0.3 + 0.4 / (1.0 + e as f64 * (0.3 + 0.1 * c as f64))
                                    + 0.01 * s as f64
                            })
                            .collect()
                    })
                    .collect();
                (format!("optimizer=opt{c}"), seeds)
            })
            .collect();
        learning_curves(
            &dir.join("curves"),
            "fashion-mnist: validation loss per epoch",
            "validation loss",
            &curves,
        )
        .unwrap();
        let mut panel = Panel::new(
            "a panel",
            Axis::linear("x", 0.0, 1.0),
            Axis::log("y", 0.1, 10.0),
        );
        panel.line(
            vec![(0.0, 0.2), (0.5, 3.0), (1.0, 20.0)],
            Stroke::solid(colour(0), 3),
        );
        panel.mark(Mark::Band {
            x0: 0.6,
            x1: 0.8,
            colour: colour(3),
        });
        panel.entry("a line", Swatch::Line(Stroke::solid(colour(0), 3)));
        Figure::single("A figure", panel, "a note")
            .write(dir, "figure")
            .unwrap();
    }
}
