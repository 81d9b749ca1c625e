//! The learning-rate range test chart: minibatch loss (thin) and its smoothed curve (thick)
//! against η on a log axis, with the suggested η marked. The test itself runs in
//! `study::lr_find`; this only draws its numbers.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::padded;
use super::geometry::clip_curve;
use super::layout::{chart_frame, CHART_SIZE};
use super::legend::{self, LegendLook};
use super::output::{write, Draw, DrawResult};
use super::style::{colour, FONT, GRID};
use crate::error::Result;

/// This chart's legend: a little larger than the others, with a lighter border.
const LEGEND: LegendLook = LegendLook {
    font_px: 15,
    background: 0.9,
    border: RGBColor(180, 180, 180),
};

/// Writes the range test of `learning_rates` (growing geometrically, one per minibatch) with
/// each step's `losses` and their `smoothed` curve to `<stem>.png` and `<stem>.svg`, marking
/// `suggestion`.
pub fn lr_range(
    stem: &Path,
    title: &str,
    learning_rates: &[f64],
    losses: &[f64],
    smoothed: &[f64],
    suggestion: Option<f64>,
) -> Result<()> {
    let chart = LrRange {
        title,
        learning_rates,
        losses,
        smoothed,
        suggestion,
    };
    write(stem, CHART_SIZE, &chart)?;
    Ok(())
}

struct LrRange<'a> {
    title: &'a str,
    learning_rates: &'a [f64],
    losses: &'a [f64],
    smoothed: &'a [f64],
    suggestion: Option<f64>,
}

impl Draw for LrRange<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (losses, smoothed) = (self.losses, self.smoothed);
        root.fill(&WHITE)?;
        let log: Vec<f64> = self.learning_rates.iter().map(|l| l.log10()).collect();
        let (x0, x1) = match (log.first(), log.last()) {
            (Some(&a), Some(&b)) if b > a => (a, b),
            _ => (-5.0, 1.0),
        };
        // The y range follows the smoothed curve (the raw losses are noisy and end exploding).
        let lo = smoothed
            .iter()
            .chain(losses)
            .cloned()
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min);
        let first = smoothed
            .first()
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(lo + 1.0);
        // With no finite loss at all the range would be NaN..∞, on which plotters' tick search
        // never ends: draw an empty chart on 0..1 instead.
        let (y0, y1) = if lo.is_finite() {
            padded(lo.min(first), first.max(lo) * 1.6)
        } else {
            (0.0, 1.0)
        };
        let mut chart = chart_frame(root, self.title, 55, x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .x_desc("learning rate (log scale)")
            .y_desc("training loss")
            .x_label_style((FONT, 15))
            .y_label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .x_label_formatter(&|x| format!("{:.0e}", 10f64.powf(*x)))
            .draw()?;
        // η grows geometrically, so log η is linear in the step: clipped (fractional) steps map
        // exactly.
        let step = if log.len() > 1 { log[1] - log[0] } else { 0.0 };
        let at = |i: f64| x0 + (i - 1.0) * step;
        for line in clip_curve(losses, y0, y1) {
            let pts: Vec<(f64, f64)> = line.iter().map(|&(i, v)| (at(i), v)).collect();
            chart.draw_series(LineSeries::new(pts, colour(0).mix(0.35).stroke_width(1)))?;
        }
        for line in clip_curve(smoothed, y0, y1) {
            let pts: Vec<(f64, f64)> = line.iter().map(|&(i, v)| (at(i), v)).collect();
            chart
                .draw_series(LineSeries::new(pts, colour(0).stroke_width(3)))?
                .label("smoothed loss")
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour(0).stroke_width(3))
                });
        }
        if let Some(s) = self.suggestion {
            let x = s.log10();
            chart
                .draw_series(LineSeries::new(
                    [(x, y0), (x, y1)],
                    colour(3).stroke_width(2),
                ))?
                .label(format!("suggested η = {s:.2e}"))
                .legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour(3).stroke_width(2))
                });
        }
        legend::draw_box(&mut chart, SeriesLabelPosition::UpperLeft, LEGEND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_test_is_drawn_with_its_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        let rates: Vec<f64> = (0..50).map(|i| 1e-5 * 1.3f64.powi(i)).collect();
        let losses: Vec<f64> = (0..50)
            .map(|i| if i < 45 { 2.3 - 0.03 * i as f64 } else { 1e3 })
            .collect();
        let smoothed: Vec<f64> = losses.iter().map(|l| l.min(5.0)).collect();
        lr_range(
            &dir.path().join("lr"),
            "range test",
            &rates,
            &losses,
            &smoothed,
            Some(0.01),
        )
        .unwrap();
        let svg = std::fs::read_to_string(dir.path().join("lr.svg")).unwrap();
        assert!(svg.contains("smoothed loss") && svg.contains("suggested η = 1.00e-2"));
    }

    #[test]
    fn no_finite_loss_still_gives_a_chart() {
        // Before the fallback range this never returned.
        let dir = tempfile::tempdir().unwrap();
        lr_range(&dir.path().join("none"), "t", &[], &[], &[], None).unwrap();
        let rates = [1e-5, 1e-4, 1e-3];
        let nan = [f64::NAN; 3];
        lr_range(&dir.path().join("nan"), "t", &rates, &nan, &nan, None).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("nan.svg")).unwrap();
        assert!(svg.contains("training loss") && !svg.contains("suggested"));
    }
}
