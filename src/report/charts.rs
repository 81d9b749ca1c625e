//! Charts, one function per kind, from plain data; each writes `<stem>.png` and `<stem>.svg`. Text
//! uses the bundled DejaVu Sans, so no system font library is needed.

use std::error::Error as StdError;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::stats::summarize;
use crate::error::{Error, Result};

/// Pixel size of every chart.
const SIZE: (u32, u32) = (1000, 600);

/// Tableau's ten colours plus two, distinct for up to 12 cells.
const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 128),
    RGBColor(128, 128, 0),
];

/// The colour of cell `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled font is valid; a failure would only mean text is missing, so it is ignored.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

type DrawResult = std::result::Result<(), Box<dyn StdError>>;

/// Renders with `draw` to PNG and SVG beside `stem`.
macro_rules! render {
    ($stem:expr, $root:ident => $draw:expr) => {{
        register_font();
        let stem: &Path = $stem;
        let png = stem.with_extension("png");
        let svg = stem.with_extension("svg");
        let fail = |path: &Path, e: Box<dyn StdError>| Error::Chart {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        {
            let $root = BitMapBackend::new(&png, SIZE).into_drawing_area();
            let drawn: DrawResult = $draw;
            drawn
                .and_then(|_| $root.present().map_err(|e| e.into()))
                .map_err(|e| fail(&png, e))?;
        }
        {
            let $root = SVGBackend::new(&svg, SIZE).into_drawing_area();
            let drawn: DrawResult = $draw;
            drawn
                .and_then(|_| $root.present().map_err(|e| e.into()))
                .map_err(|e| fail(&svg, e))?;
        }
        Ok(())
    }};
}

/// A deterministic horizontal offset in [-0.18, 0.18] for a seed's point.
fn jitter(seed: u64) -> f64 {
    // A fixed odd multiplier scatters consecutive seeds (Fibonacci hashing).
    let h = seed.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    (h as f64 / (1u64 << 53) as f64 - 0.5) * 0.36
}

/// The y range covering `values`, padded; robust to outliers when `robust` (2nd–98th percentile).
fn y_range(values: &[f64], robust: bool) -> (f64, f64) {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    v.sort_by(f64::total_cmp);
    let (lo, hi) = if robust && v.len() >= 20 {
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        (
            at(0.02).min(v[0].max(at(0.02) - (at(0.98) - at(0.02)))),
            at(0.98),
        )
    } else {
        (v[0], v[v.len() - 1])
    };
    let pad = ((hi - lo) * 0.08).max(1e-3);
    (lo - pad, hi + pad)
}

/// Every seed's value per cell as a point (diverged runs as red crosses at the bottom), with the
/// cell's mean and its 95% bootstrap interval.
pub fn seed_points(
    stem: &Path,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<(u64, f64)>)],
) -> Result<()> {
    render!(stem, root => draw_seed_points(&root, title, y_label, cells))
}

fn draw_seed_points<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<(u64, f64)>)],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = cells.len().max(1);
    let all: Vec<f64> = cells
        .iter()
        .flat_map(|(_, v)| v.iter().map(|p| p.1))
        .collect();
    let (y0, y1) = y_range(&all, false);
    let longest = cells
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    // Horizontal labels when they fit (~8 px a character), else vertical.
    let rotate = longest * 8 > (SIZE.0 as usize - 120) / n;
    let label_area = if rotate {
        (longest * 8 + 20).min(260) as u32
    } else {
        50
    };
    let labels: Vec<String> = cells.iter().map(|(l, _)| l.clone()).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(label_area)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, y0..y1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(0)
        .y_desc(y_label)
        .y_label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .draw()?;
    // Category labels under each cell's column, drawn by hand: a category axis with jittered points.
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64, y0));
        let style = if rotate {
            ("sans-serif", 15)
                .into_font()
                .transform(FontTransform::Rotate90)
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center))
        } else {
            ("sans-serif", 15)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top))
        };
        root.draw(&Text::new(label.clone(), (px, py + 8), style))?;
    }

    let mut diverged_any = false;
    for (i, (_, values)) in cells.iter().enumerate() {
        let x = i as f64;
        let c = colour(i);
        chart.draw_series(
            values
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|&(s, v)| Circle::new((x - 0.05 + jitter(s), v), 4, c.mix(0.75).filled())),
        )?;
        let diverged: Vec<u64> = values
            .iter()
            .filter(|(_, v)| !v.is_finite())
            .map(|p| p.0)
            .collect();
        if !diverged.is_empty() {
            diverged_any = true;
            let y = y0 + (y1 - y0) * 0.02;
            chart.draw_series(
                diverged
                    .iter()
                    .map(|&s| Cross::new((x + jitter(s), y), 6, RED.stroke_width(2))),
            )?;
        }
        let finite: Vec<f64> = values.iter().map(|p| p.1).collect();
        let s = summarize(&finite, 0);
        if s.n > 0 {
            // The interval stands beside the points so it hides none of them.
            let bar = x + 0.3;
            chart.draw_series([
                PathElement::new(
                    vec![(x - 0.22, s.mean), (x + 0.38, s.mean)],
                    BLACK.stroke_width(3),
                ),
                PathElement::new(
                    vec![(bar, s.ci_low), (bar, s.ci_high)],
                    BLACK.stroke_width(2),
                ),
                PathElement::new(
                    vec![(bar - 0.06, s.ci_low), (bar + 0.06, s.ci_low)],
                    BLACK.stroke_width(2),
                ),
                PathElement::new(
                    vec![(bar - 0.06, s.ci_high), (bar + 0.06, s.ci_high)],
                    BLACK.stroke_width(2),
                ),
            ])?;
        }
    }
    // Legend entries, drawn off-chart so they only label.
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("one seed")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, colour(0).mix(0.75).filled()));
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label("mean, 95% bootstrap CI")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
    if diverged_any {
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label("diverged (no value)")
            .legend(|(x, y)| Cross::new((x + 10, y), 5, RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Per-epoch curves: each seed thin and faint in its cell's colour, the cell's mean thick on top.
pub fn learning_curves(
    stem: &Path,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<Vec<f64>>)],
) -> Result<()> {
    render!(stem, root => draw_learning_curves(&root, title, y_label, cells))
}

fn draw_learning_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<Vec<f64>>)],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let epochs = cells
        .iter()
        .flat_map(|(_, s)| s.iter().map(Vec::len))
        .max()
        .unwrap_or(1)
        .max(1);
    let all: Vec<f64> = cells
        .iter()
        .flat_map(|(_, s)| s.iter().flatten().copied())
        .collect();
    let (y0, y1) = y_range(&all, true);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0.5f64..epochs as f64 + 0.5, y0..y1)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc("epoch")
        .y_desc(y_label)
        .x_label_style(("sans-serif", 15))
        .y_label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 {
                format!("{}", x.round())
            } else {
                String::new()
            }
        })
        .draw()?;
    let inside = |v: f64| v.is_finite() && v >= y0 && v <= y1;
    for (i, (label, seeds)) in cells.iter().enumerate() {
        let c = colour(i);
        for curve in seeds {
            chart.draw_series(LineSeries::new(
                curve
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| inside(**v))
                    .map(|(e, &v)| (e as f64 + 1.0, v)),
                c.mix(0.35).stroke_width(1),
            ))?;
        }
        let mean: Vec<(f64, f64)> = (0..epochs)
            .filter_map(|e| {
                let v: Vec<f64> = seeds
                    .iter()
                    .filter_map(|s| s.get(e).copied())
                    .filter(|v| v.is_finite())
                    .collect();
                (!v.is_empty()).then(|| (e as f64 + 1.0, v.iter().sum::<f64>() / v.len() as f64))
            })
            .filter(|(_, v)| inside(*v))
            .collect();
        chart
            .draw_series(LineSeries::new(mean.clone(), c.stroke_width(3)))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3)));
        if epochs <= 3 {
            chart.draw_series(mean.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_written_as_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let cells: Vec<(String, Vec<(u64, f64)>)> = (0..4)
            .map(|c| {
                (
                    format!("cell{c}"),
                    (0..5).map(|s| (s, 0.8 + 0.01 * (c + s) as f64)).collect(),
                )
            })
            .collect();
        let mut with_nan = cells.clone();
        with_nan[1].1[2].1 = f64::NAN;
        seed_points(
            &dir.path().join("points"),
            "Test accuracy",
            "accuracy",
            &with_nan,
        )
        .unwrap();
        let curves: Vec<(String, Vec<Vec<f64>>)> = (0..3)
            .map(|c| {
                (
                    format!("cell{c}"),
                    (0..4)
                        .map(|s| (0..10).map(|e| 1.0 / (e + c + s + 1) as f64).collect())
                        .collect(),
                )
            })
            .collect();
        learning_curves(
            &dir.path().join("curves"),
            "Validation loss",
            "loss",
            &curves,
        )
        .unwrap();
        for f in ["points.png", "points.svg", "curves.png", "curves.svg"] {
            assert!(
                std::fs::metadata(dir.path().join(f)).unwrap().len() > 2000,
                "{f}"
            );
        }
        let svg = std::fs::read_to_string(dir.path().join("points.svg")).unwrap();
        assert!(svg.contains("diverged"), "the legend names diverged runs");
    }

    #[test]
    fn jitter_is_small_and_deterministic() {
        for s in 0..100 {
            assert!(jitter(s).abs() <= 0.18);
            assert_eq!(jitter(s), jitter(s));
        }
        assert_ne!(jitter(0), jitter(1));
    }
}
