//! The seed-points chart of a study report: x = cell, every seed's value as a point (jittered
//! by a hash of the seed), the cell's mean as a black bar with its 95% interval beside it.
//! Diverged runs (non-finite values) are red crosses along the bottom edge. The statistics come
//! in with the data; nothing is computed here but where things go.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{padded, sorted_finite};
use super::geometry::jitter;
use super::hits::{Hit, HitRecorder};
use super::layout::{chart_frame, CHART_SIZE};
use super::legend::{self, CHART_LEGEND};
use super::output::{svg_string, write, Draw, DrawResult};
use super::style::{colour, diverged_count, DIVERGED, FONT, GRID};
use super::text::{factor_labels, shorten};
use super::ticks::tick_decimals;
use crate::error::Result;

/// The most pixels rotated category labels may take below the plot.
const MAX_LABEL_PX: u32 = 210;

/// A mean with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanInterval {
    /// The mean.
    pub mean: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// One column of the chart: a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedColumn {
    /// The cell's label (grid labels `k=v, …` are factored: see [`factor_labels`]).
    pub label: String,
    /// (seed, value); a non-finite value is a diverged run.
    pub seeds: Vec<(u64, f64)>,
    /// The mean of the finite values and its interval; none when there are none.
    pub mean: Option<MeanInterval>,
}

/// Writes the seed-points chart of `columns` to `<stem>.png` and `<stem>.svg`.
pub fn seed_points(stem: &Path, title: &str, y_label: &str, columns: &[SeedColumn]) -> Result<()> {
    let chart = SeedPoints {
        title,
        y_label,
        columns,
        hits: HitRecorder::default(),
    };
    write(stem, CHART_SIZE, &chart)?;
    Ok(())
}

/// The same chart as [`seed_points`] as SVG text (the bytes of its `.svg` file), with where
/// each seed was drawn: a [`Hit`] per seed, `member` indexing the column's `seeds`.
pub fn seed_points_svg(
    title: &str,
    y_label: &str,
    columns: &[SeedColumn],
) -> Result<(String, Vec<Hit>)> {
    let chart = SeedPoints {
        title,
        y_label,
        columns,
        hits: HitRecorder::recording(),
    };
    let svg = svg_string(CHART_SIZE, &chart)?;
    Ok((svg, chart.hits.take()))
}

struct SeedPoints<'a> {
    title: &'a str,
    y_label: &'a str,
    columns: &'a [SeedColumn],
    hits: HitRecorder,
}

/// The category labels and how they are set: horizontal when they fit their column, else
/// rotated (reading upwards) and, when still too long, shortened in the middle.
struct CategoryLabels {
    labels: Vec<String>,
    /// The axis title naming what the labels vary (may be empty).
    title: String,
    rotate: bool,
    font: FontDesc<'static>,
    /// Pixels below the plot for the labels and the axis title.
    area_px: u32,
}

impl CategoryLabels {
    fn new<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, columns: &[SeedColumn]) -> Self {
        let column_px = (CHART_SIZE.0 as f64 - 120.0) / columns.len().max(1) as f64;
        let widest = |labels: &[String], font: &FontDesc| {
            labels
                .iter()
                .map(|l| {
                    root.estimate_text_size(l, &font.clone().into())
                        .map_or(0, |s| s.0)
                })
                .max()
                .unwrap_or(0)
        };
        let full: Vec<String> = columns.iter().map(|c| c.label.clone()).collect();
        let (mut labels, title) = factor_labels(&full);
        let horizontal_font = (FONT, 15).into_font();
        let rotate = f64::from(widest(&labels, &horizontal_font)) > column_px - 8.0;
        // Rotated labels are a little smaller, so more of a long label fits.
        let font = if rotate {
            (FONT, 14).into_font()
        } else {
            horizontal_font
        };
        let widest = |labels: &[String]| widest(labels, &font);
        if rotate {
            // At most a third of the height goes to labels; longer ones lose their middle.
            let unshortened = labels.clone();
            let mut max = 40;
            while max > 8 && widest(&labels) > MAX_LABEL_PX {
                max -= 2;
                labels = unshortened.iter().map(|l| shorten(l, max)).collect();
            }
        }
        let desc_px = if title.is_empty() { 0 } else { 30 };
        let area_px = if rotate { widest(&labels) + 16 } else { 40 } + desc_px;
        CategoryLabels {
            labels,
            title,
            rotate,
            font,
            area_px,
        }
    }

    fn style(&self) -> TextStyle<'static> {
        if self.rotate {
            self.font
                .clone()
                .transform(FontTransform::Rotate270)
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            self.font
                .clone()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top))
        }
    }
}

impl Draw for SeedPoints<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let columns = self.columns;
        self.hits.clear();
        root.fill(&WHITE)?;
        let n = columns.len().max(1);
        let finite = sorted_finite(columns.iter().flat_map(|c| c.seeds.iter().map(|p| p.1)));
        let any_diverged = columns
            .iter()
            .any(|c| c.seeds.iter().any(|p| !p.1.is_finite()));
        let (mut y0, y1) = match (finite.first(), finite.last()) {
            (Some(&lo), Some(&hi)) => padded(lo, hi),
            _ => (0.0, 1.0),
        };
        // A strip below every finite value for the diverged markers.
        let diverged_y = y0;
        if any_diverged {
            y0 -= (y1 - y0) * 0.06;
        }

        let categories = CategoryLabels::new(root, columns);
        let decimals = tick_decimals(y0, y1);
        let mut chart = chart_frame(
            root,
            self.title,
            categories.area_px,
            -0.5f64..n as f64 - 0.5,
            y0..y1,
        )?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .x_labels(0)
            .x_desc(categories.title.as_str())
            .y_labels(8)
            .y_desc(self.y_label)
            .y_label_style((FONT, 15))
            .y_label_formatter(&|y| format!("{y:.decimals$}"))
            .axis_desc_style((FONT, 17))
            .draw()?;
        // Category labels are drawn by hand under each column: the x axis is numeric so points
        // can be jittered within a column.
        let label_style = categories.style();
        for (i, label) in categories.labels.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64, y0));
            root.draw(&Text::new(label.clone(), (px, py + 8), label_style.clone()))?;
        }

        let mut drawn: Vec<(f64, f64)> = Vec::new();
        for (i, column) in columns.iter().enumerate() {
            let x = i as f64;
            let c = colour(i);
            let values = &column.seeds;
            let points: Vec<(f64, f64)> = values
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|&(s, v)| (x - 0.08 + jitter(s, 0.3), v))
                .collect();
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 4, c.mix(0.8).filled())),
            )?;
            drawn.extend(&points);
            // Where each seed went, finite or diverged, in the order of `values`.
            for (member, &(s, v)) in values.iter().enumerate() {
                let y = if v.is_finite() { v } else { diverged_y };
                let at = chart.backend_coord(&(x - 0.08 + jitter(s, 0.3), y));
                self.hits.push(i, member, vec![vec![at]]);
            }
            let crosses: Vec<(f64, f64)> = values
                .iter()
                .filter(|(_, v)| !v.is_finite())
                .map(|&(s, _)| (x - 0.08 + jitter(s, 0.3), diverged_y))
                .collect();
            chart.draw_series(
                crosses
                    .iter()
                    .map(|&p| Cross::new(p, 6, DIVERGED.stroke_width(2))),
            )?;
            if crosses.len() > 1 {
                // Crosses of nearby seeds overlap; say how many there are.
                let right = crosses
                    .iter()
                    .map(|p| p.0)
                    .fold(f64::NEG_INFINITY, f64::max);
                let at = chart.backend_coord(&(right, diverged_y));
                root.draw(&diverged_count(crosses.len(), at))?;
            }
            drawn.extend(&crosses);
            if values.is_empty() {
                let (px, py) = chart.backend_coord(&(x, (y0 + y1) / 2.0));
                root.draw(&Text::new(
                    "no runs yet",
                    (px, py),
                    (FONT, 14)
                        .into_font()
                        .color(&RGBColor(120, 120, 120))
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))?;
            } else if let Some(s) = column.mean {
                // The interval stands to the right of the points so it hides none of them.
                let bar = x + 0.3;
                let cap = 0.05;
                let whisker = BLACK.stroke_width(2);
                chart.draw_series([
                    PathElement::new(
                        vec![(x - 0.25, s.mean), (bar, s.mean)],
                        BLACK.stroke_width(3),
                    ),
                    PathElement::new(vec![(bar, s.low), (bar, s.high)], whisker),
                    PathElement::new(vec![(bar - cap, s.low), (bar + cap, s.low)], whisker),
                    PathElement::new(vec![(bar - cap, s.high), (bar + cap, s.high)], whisker),
                ])?;
                drawn.extend([
                    (x - 0.25, s.mean),
                    (bar, s.mean),
                    (bar, s.low),
                    (bar, s.high),
                ]);
            }
        }

        legend::entry(&mut chart, "one seed", |(x, y)| {
            Circle::new((x + 10, y), 4, RGBColor(90, 90, 90).filled())
        })?;
        legend::entry(&mut chart, "mean, and its 95% bootstrap CI", |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (14, 0)], BLACK.stroke_width(3))
                + PathElement::new(vec![(18, -6), (18, 6)], BLACK.stroke_width(2))
        })?;
        let mut entries = 2;
        if any_diverged {
            entries += 1;
            legend::entry(
                &mut chart,
                "diverged (no value; along the bottom)",
                |(x, y)| Cross::new((x + 10, y), 5, DIVERGED.stroke_width(2)),
            )?;
        }
        let corner = legend::chart_corner(&drawn, (-0.5, n as f64 - 0.5), (y0, y1), entries);
        legend::draw_box(&mut chart, corner, CHART_LEGEND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(n: usize, label: impl Fn(usize) -> String) -> Vec<SeedColumn> {
        (0..n)
            .map(|c| {
                let seeds: Vec<(u64, f64)> = (0..10)
                    .map(|s| {
                        let wiggle = ((s * 7 + c * 3) % 10) as f64 * 0.002;
                        (s as u64, 0.84 + 0.004 * c as f64 + wiggle)
                    })
                    .collect();
                let mean = seeds.iter().map(|p| p.1).sum::<f64>() / seeds.len() as f64;
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
    fn every_seed_diverged_ones_and_empty_cells_are_shown() {
        let dir = tempfile::tempdir().unwrap();
        let mut cells = columns(4, |c| format!("cell{c}"));
        cells[1].seeds[2].1 = f64::NAN;
        cells[2].seeds[3].1 = f64::INFINITY;
        cells[2].seeds[5].1 = f64::NAN;
        cells.push(SeedColumn {
            label: "empty".into(),
            seeds: Vec::new(),
            mean: None,
        });
        seed_points(
            &dir.path().join("points"),
            "Test accuracy",
            "accuracy",
            &cells,
        )
        .unwrap();
        let png = std::fs::read(dir.path().join("points.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert!(png.len() > 5000, "{} bytes", png.len());
        let svg = std::fs::read_to_string(dir.path().join("points.svg")).unwrap();
        assert!(svg.contains("diverged"), "the legend names diverged runs");
        assert!(svg.contains("cell3") && svg.contains("no runs yet"));
        assert!(
            svg.contains("×2"),
            "two diverged seeds of one cell are counted"
        );
    }

    #[test]
    fn the_inline_svg_is_the_file_and_every_seed_has_a_hit_where_it_was_drawn() {
        let dir = tempfile::tempdir().unwrap();
        let mut cells = columns(3, |c| format!("cell{c}"));
        cells[1].seeds[2].1 = f64::NAN;
        seed_points(&dir.path().join("p"), "t", "y", &cells).unwrap();
        let (svg, hits) = seed_points_svg("t", "y", &cells).unwrap();
        assert_eq!(
            svg,
            std::fs::read_to_string(dir.path().join("p.svg")).unwrap()
        );
        assert_eq!(hits.len(), 30, "a hit per seed, diverged ones too");
        // Each finite seed's hit is the centre of a circle the SVG draws.
        for h in hits.iter().filter(|h| !(h.series == 1 && h.member == 2)) {
            let (x, y) = h.lines[0][0];
            assert!(
                svg.contains(&format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"4\"")),
                "{h:?}"
            );
        }
        let diverged = hits
            .iter()
            .find(|h| h.series == 1 && h.member == 2)
            .unwrap();
        let lowest = hits.iter().map(|h| h.lines[0][0].1).max().unwrap();
        assert_eq!(
            diverged.lines[0][0].1, lowest,
            "the diverged cross lies along the bottom"
        );
    }

    #[test]
    fn long_grid_labels_are_factored_and_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let cells = columns(12, |c| {
            let opt = ["sgd", "momentum(beta=0.9)", "adamw(weight_decay=0.01)"][c % 3];
            format!(
                "optimizer={opt}, learning_rate=0.00{}, batch_size=32",
                c / 3 + 1
            )
        });
        seed_points(
            &dir.path().join("many"),
            "12 cells",
            "test accuracy",
            &cells,
        )
        .unwrap();
        let svg = std::fs::read_to_string(dir.path().join("many.svg")).unwrap();
        assert!(svg.contains("optimizer, learning_rate   (every cell: batch_size=32)"));
        assert!(svg.contains("rotate(270"), "long labels read upwards");
    }

    #[test]
    fn degenerate_inputs_still_draw() {
        let dir = tempfile::tempdir().unwrap();
        seed_points(&dir.path().join("a"), "t", "y", &[]).unwrap();
        let nan_only = SeedColumn {
            label: "x".into(),
            seeds: vec![(0, f64::NAN), (1, f64::INFINITY)],
            mean: None,
        };
        seed_points(&dir.path().join("b"), "t", "y", &[nan_only]).unwrap();
        let one = SeedColumn {
            label: "x".into(),
            seeds: vec![(0, 0.5)],
            mean: Some(MeanInterval {
                mean: 0.5,
                low: 0.5,
                high: 0.5,
            }),
        };
        seed_points(&dir.path().join("c"), "t", "y", &[one]).unwrap();
    }
}
