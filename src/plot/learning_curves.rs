//! The learning-curves chart (a study report's validation loss per epoch, and the chapter's
//! learning curves at several learning rates): each seed thin and translucent in its cell's
//! colour, the cell's mean thick on top, a legend of cells. The y range covers the bulk of the
//! values, so one diverging seed cannot flatten the rest.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::robust_range;
use super::geometry::{clip_curve, sample_polyline};
use super::hits::{Hit, HitRecorder};
use super::layout::{chart_frame, CHART_SIZE};
use super::legend::{self, CHART_LEGEND};
use super::output::{svg_string, write, Draw, DrawResult};
use super::style::{colour, diverged_count, DIVERGED, FONT, GRID};
use super::text::shorten;
use super::ticks::tick_decimals;
use crate::error::Result;

/// Per-epoch curves (x = 1-based epoch) of each cell `(label, one curve per seed)`, written to
/// `<stem>.png` and `<stem>.svg`. The mean at an epoch is over the seeds that reached it and
/// never turned non-finite: a diverged run is drawn (thin, ending in a cross) but left out of
/// the mean, as the report's statistics leave it out. The y range is the 2nd–98th percentile of
/// the finite values, stretched to the extremes when they are near; lines beyond it are clipped
/// at the edge and the x-axis title says how many points lie outside. A curve that turns
/// non-finite (a diverged run) gets a red cross on the top edge at that epoch.
pub fn learning_curves(
    stem: &Path,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<Vec<f64>>)],
) -> Result<()> {
    let chart = LearningCurves {
        title,
        y_label,
        cells,
        hits: HitRecorder::default(),
    };
    write(stem, CHART_SIZE, &chart)?;
    Ok(())
}

/// The same chart as [`learning_curves`] as SVG text (the bytes of its `.svg` file), with where
/// each seed's curve was drawn: a [`Hit`] per seed (`member` indexing the cell's curves) holding
/// its visible pieces, and its diverged cross when it has one.
pub fn learning_curves_svg(
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<Vec<f64>>)],
) -> Result<(String, Vec<Hit>)> {
    let chart = LearningCurves {
        title,
        y_label,
        cells,
        hits: HitRecorder::recording(),
    };
    let svg = svg_string(CHART_SIZE, &chart)?;
    Ok((svg, chart.hits.take()))
}

struct LearningCurves<'a> {
    title: &'a str,
    y_label: &'a str,
    cells: &'a [(String, Vec<Vec<f64>>)],
    hits: HitRecorder,
}

/// The mean per epoch over the seeds that never turned non-finite (NaN where none reached it).
fn finite_mean(seeds: &[Vec<f64>], epochs: usize) -> Vec<f64> {
    // Diverged seeds are left out of the mean, as they are out of the report's statistics.
    let finite: Vec<&Vec<f64>> = seeds
        .iter()
        .filter(|s| s.iter().all(|v| v.is_finite()))
        .collect();
    (0..epochs)
        .map(|e| {
            let v: Vec<f64> = finite.iter().filter_map(|s| s.get(e).copied()).collect();
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect()
}

impl Draw for LearningCurves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let cells = self.cells;
        self.hits.clear();
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
        let ((y0, y1), clamped) = robust_range(&all);
        let outside = all
            .iter()
            .filter(|v| v.is_finite() && (**v < y0 || **v > y1))
            .count();
        let x_desc = if clamped {
            format!("epoch   ({outside} value(s) beyond the y range are clipped at its edge)")
        } else {
            "epoch".to_string()
        };
        let (x0, x1) = (0.7, epochs as f64 + 0.3);
        let decimals = tick_decimals(y0, y1);
        let mut chart = chart_frame(root, self.title, 55, x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .x_desc(x_desc)
            .y_desc(self.y_label)
            .x_labels(epochs.min(20) + 1)
            .y_labels(8)
            .x_label_style((FONT, 15))
            .y_label_style((FONT, 15))
            .y_label_formatter(&|y| format!("{y:.decimals$}"))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 {
                    format!("{}", x.round())
                } else {
                    String::new()
                }
            })
            .draw()?;

        let mut drawn: Vec<Vec<(f64, f64)>> = Vec::new();
        // Epoch index → how many runs turned non-finite there.
        let mut diverged_at: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, (_, seeds)) in cells.iter().enumerate() {
            let c = colour(i);
            for (member, curve) in seeds.iter().enumerate() {
                let mut pixels: Vec<Vec<(i32, i32)>> = Vec::new();
                for line in clip_curve(curve, y0, y1) {
                    pixels.push(line.iter().map(|p| chart.backend_coord(p)).collect());
                    if line.len() == 1 {
                        chart.draw_series([Circle::new(line[0], 2, c.mix(0.5).filled())])?;
                    } else {
                        chart.draw_series(LineSeries::new(
                            line.clone(),
                            c.mix(0.45).stroke_width(1),
                        ))?;
                    }
                    drawn.push(line);
                }
                if let Some(e) = curve.iter().position(|v| !v.is_finite()) {
                    *diverged_at.entry(e).or_default() += 1;
                    let top = y1 - (y1 - y0) * 0.015;
                    pixels.push(vec![chart.backend_coord(&(e as f64 + 1.0, top))]);
                }
                self.hits.push(i, member, pixels);
            }
        }
        let any_diverged = !diverged_at.is_empty();
        let top = y1 - (y1 - y0) * 0.015;
        for (&e, &count) in &diverged_at {
            let at = (e as f64 + 1.0, top);
            chart.draw_series([Cross::new(at, 6, DIVERGED.stroke_width(2))])?;
            if count > 1 {
                // Crosses at one epoch coincide; say how many there are.
                root.draw(&diverged_count(count, chart.backend_coord(&at)))?;
            }
            drawn.push(vec![at, (at.0 + 0.3, at.1)]);
        }
        // The means go on top of every cell's seeds.
        for (i, (label, seeds)) in cells.iter().enumerate() {
            let c = colour(i);
            let lines = clip_curve(&finite_mean(seeds, epochs), y0, y1);
            for line in &lines {
                chart.draw_series(LineSeries::new(line.clone(), c.stroke_width(3)))?;
            }
            if epochs <= 3 {
                chart.draw_series(
                    lines
                        .iter()
                        .flatten()
                        .map(|&p| Circle::new(p, 4, c.filled())),
                )?;
            }
            drawn.extend(lines);
            legend::entry(&mut chart, shorten(label, 40), move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
            })?;
        }
        legend::entry(
            &mut chart,
            "thin: one seed; thick: mean of non-diverged seeds",
            |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(
                        vec![(0, -4), (20, -4)],
                        RGBColor(120, 120, 120).stroke_width(1),
                    )
                    + PathElement::new(vec![(0, 3), (20, 3)], RGBColor(90, 90, 90).stroke_width(3))
            },
        )?;
        let mut entries = cells.len() + 1;
        if any_diverged {
            entries += 1;
            legend::entry(
                &mut chart,
                "diverged (loss non-finite) at this epoch",
                |(x, y)| Cross::new((x + 10, y), 5, DIVERGED.stroke_width(2)),
            )?;
        }
        let mut sampled = Vec::new();
        for line in &drawn {
            sample_polyline(line, 8, &mut sampled);
        }
        let corner = legend::chart_corner(&sampled, (x0, x1), (y0, y1), entries);
        legend::draw_box(&mut chart, corner, CHART_LEGEND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve_cells(n_cells: usize) -> Vec<(String, Vec<Vec<f64>>)> {
        (0..n_cells)
            .map(|c| {
                (
                    format!("optimizer=opt{c}"),
                    (0..5)
                        .map(|s| {
                            (0..20)
                                .map(|e| {
                                    0.3 + 0.4 / (1.0 + e as f64 * (0.3 + 0.1 * c as f64))
                                        + 0.01 * s as f64
                                })
                                .collect()
                        })
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn seeds_means_and_diverged_runs_are_drawn_and_outliers_clipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut curves = curve_cells(3);
        curves[2].1[1].truncate(8);
        curves[2].1[1].push(f64::NAN);
        curves[1].1[0][4] = 1e6;
        learning_curves(
            &dir.path().join("curves"),
            "Validation loss",
            "loss",
            &curves,
        )
        .unwrap();
        let png = std::fs::read(dir.path().join("curves.png")).unwrap();
        assert!(png.len() > 5000, "{} bytes", png.len());
        let svg = std::fs::read_to_string(dir.path().join("curves.svg")).unwrap();
        assert!(svg.contains("optimizer=opt2") && svg.contains("diverged"));
        assert!(
            svg.contains("1 value(s) beyond the y range"),
            "the 1e6 point is clipped"
        );
    }

    #[test]
    fn the_inline_svg_is_the_file_and_every_seed_curve_is_a_hit() {
        let dir = tempfile::tempdir().unwrap();
        let mut curves = curve_cells(2);
        curves[1].1[3].truncate(5);
        curves[1].1[3].push(f64::NAN);
        learning_curves(&dir.path().join("c"), "t", "y", &curves).unwrap();
        let (svg, hits) = learning_curves_svg("t", "y", &curves).unwrap();
        assert_eq!(
            svg,
            std::fs::read_to_string(dir.path().join("c.svg")).unwrap()
        );
        assert_eq!(hits.len(), 10, "a hit per seed");
        let whole = hits
            .iter()
            .find(|h| h.series == 0 && h.member == 0)
            .unwrap();
        assert_eq!(whole.lines.len(), 1);
        assert_eq!(whole.lines[0].len(), 20, "one pixel per epoch");
        let diverged = hits
            .iter()
            .find(|h| h.series == 1 && h.member == 3)
            .unwrap();
        assert_eq!(diverged.lines.len(), 2, "its 5 epochs and its cross");
        assert_eq!(diverged.lines[1].len(), 1);
    }

    #[test]
    fn the_mean_leaves_out_diverged_seeds_and_ends_where_the_seeds_do() {
        let seeds = vec![vec![1.0, 2.0, 3.0], vec![3.0, f64::NAN], vec![3.0, 4.0]];
        let mean = finite_mean(&seeds, 4);
        assert_eq!(mean[..3], [2.0, 3.0, 3.0]);
        assert!(mean[3].is_nan());
    }

    #[test]
    fn degenerate_inputs_still_draw() {
        let dir = tempfile::tempdir().unwrap();
        learning_curves(&dir.path().join("d"), "t", "y", &[]).unwrap();
        let one_epoch = vec![("x".to_string(), vec![vec![0.5], vec![f64::NAN]])];
        learning_curves(&dir.path().join("e"), "t", "y", &one_epoch).unwrap();
    }
}
