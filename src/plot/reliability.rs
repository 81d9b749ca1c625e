//! The reliability diagram of a calibration comparison (reg-2, MC dropout): for each prediction
//! (the plain model, MC dropout), the accuracy of the test images in each confidence bin against
//! their mean confidence, every run a thin line and the mean over runs a thick one, beside the
//! diagonal of perfect calibration (below it: over-confident). The bins come from the runs'
//! `reliability.*` metrics (`zoo::calibration::reliability`); this only draws them.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{chart_frame, CHART_SIZE};
use super::legend::{self, LegendLook};
use super::output::{write, Draw, DrawResult};
use super::style::{colour, FONT, GREY, GRID};
use crate::error::Result;

const LEGEND: LegendLook = LegendLook {
    font_px: 15,
    background: 0.9,
    border: RGBColor(180, 180, 180),
};

/// One prediction's bins over the runs: per run, (mean confidence, accuracy) of each non-empty
/// bin, in bin order.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityCurve {
    /// The prediction ("plain model", "MC dropout (100 passes)").
    pub label: String,
    /// Per run, its non-empty bins' (confidence, accuracy).
    pub runs: Vec<Vec<(f64, f64)>>,
}

/// Writes the diagram of `curves` to `<stem>.png` and `<stem>.svg`.
pub fn reliability(stem: &Path, title: &str, curves: &[ReliabilityCurve]) -> Result<()> {
    write(stem, CHART_SIZE, &Diagram { title, curves })?;
    Ok(())
}

struct Diagram<'a> {
    title: &'a str,
    curves: &'a [ReliabilityCurve],
}

/// The mean over runs of each bin's (confidence, accuracy), bins matched by position along
/// the confidence axis (the bins are fixed: 15 equal-width ones), ignoring runs without the bin.
fn mean_curve(runs: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let mut sums = [(0.0f64, 0.0f64, 0usize); 15];
    for run in runs {
        for &(conf, acc) in run {
            if conf.is_finite() && acc.is_finite() {
                let bin = ((conf * 15.0) as usize).min(14);
                sums[bin].0 += conf;
                sums[bin].1 += acc;
                sums[bin].2 += 1;
            }
        }
    }
    sums.iter()
        .filter(|s| s.2 > 0)
        .map(|&(c, a, n)| (c / n as f64, a / n as f64))
        .collect()
}

impl Draw for Diagram<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let mut chart = chart_frame(root, self.title, 55, 0.0..1.0, 0.0..1.0)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .x_desc("mean confidence of the bin (top-class probability)")
            .y_desc("accuracy of the bin")
            .x_label_style((FONT, 15))
            .y_label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()?;
        let diagonal = GREY.stroke_width(1);
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], diagonal))?
            .label("perfect calibration")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], diagonal));
        for (i, curve) in self.curves.iter().enumerate() {
            let thin = colour(i).mix(0.25).stroke_width(1);
            for run in &curve.runs {
                let pts: Vec<(f64, f64)> = run
                    .iter()
                    .copied()
                    .filter(|(c, a)| c.is_finite() && a.is_finite())
                    .collect();
                chart.draw_series(LineSeries::new(pts, thin))?;
            }
            let thick = colour(i).stroke_width(3);
            let mean = mean_curve(&curve.runs);
            chart.draw_series(
                mean.iter()
                    .map(|&(c, a)| Circle::new((c, a), 4, colour(i).filled())),
            )?;
            chart
                .draw_series(LineSeries::new(mean, thick))?
                .label(curve.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], thick));
        }
        legend::draw_box(&mut chart, SeriesLabelPosition::UpperLeft, LEGEND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_curve_averages_each_bin_over_runs() {
        let runs = vec![vec![(0.5, 0.4), (0.95, 0.9)], vec![(0.52, 0.6)]];
        let mean = mean_curve(&runs);
        assert_eq!(mean.len(), 2);
        assert!((mean[0].0 - 0.51).abs() < 1e-12 && (mean[0].1 - 0.5).abs() < 1e-12);
        assert_eq!(mean[1], (0.95, 0.9));
    }

    #[test]
    fn both_predictions_are_drawn_with_their_labels() {
        let dir = tempfile::tempdir().unwrap();
        let curves = vec![
            ReliabilityCurve {
                label: "plain model".into(),
                runs: vec![vec![(0.5, 0.4), (0.95, 0.9)]],
            },
            ReliabilityCurve {
                label: "MC dropout".into(),
                runs: vec![vec![(0.5, 0.5), (0.9, 0.92)], vec![]],
            },
        ];
        reliability(&dir.path().join("rel"), "reliability", &curves).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("rel.svg")).unwrap();
        assert!(svg.contains("plain model") && svg.contains("MC dropout"));
        assert!(dir.path().join("rel.png").is_file());
        reliability(&dir.path().join("empty"), "none", &[]).unwrap();
    }
}
