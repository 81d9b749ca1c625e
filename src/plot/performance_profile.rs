//! The performance-profile chart of a multi-workload study: for each cell, the fraction of
//! workloads on which it is within a factor τ of the best cell (y, 0..1) against τ (x, from 1), a
//! step line per cell. The numbers come from `report::workloads::performance_profile`; this only
//! draws them.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{chart_frame, CHART_SIZE};
use super::legend::{self, LegendLook};
use super::output::{write, Draw, DrawResult};
use super::style::{colour, FONT, GRID};
use crate::error::Result;

const LEGEND: LegendLook = LegendLook {
    font_px: 15,
    background: 0.9,
    border: RGBColor(180, 180, 180),
};

/// Writes the profiles to `<stem>.png` and `<stem>.svg`: `taus` ascending from 1, and for each
/// `(label, fractions)` of `cells` the fraction of workloads within each τ (as many as `taus`).
pub fn performance_profile(
    stem: &Path,
    title: &str,
    taus: &[f64],
    cells: &[(String, Vec<f64>)],
) -> Result<()> {
    write(stem, CHART_SIZE, &Profile { title, taus, cells })?;
    Ok(())
}

struct Profile<'a> {
    title: &'a str,
    taus: &'a [f64],
    cells: &'a [(String, Vec<f64>)],
}

impl Draw for Profile<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let x0 = 1.0;
        let x1 = self
            .taus
            .iter()
            .copied()
            .filter(|t| t.is_finite())
            .fold(1.0, f64::max)
            .max(1.01);
        let mut chart = chart_frame(root, self.title, 55, x0..x1, 0.0..1.05)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .x_desc("τ (cost within τ × the best cell's, per workload)")
            .y_desc("fraction of workloads")
            .x_label_style((FONT, 15))
            .y_label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()?;
        for (i, (label, fractions)) in self.cells.iter().enumerate() {
            // A step function: the fraction holds from one τ to the next.
            let mut pts = Vec::with_capacity(2 * fractions.len());
            for (k, (&tau, &f)) in self.taus.iter().zip(fractions).enumerate() {
                if k > 0 {
                    pts.push((tau, fractions[k - 1]));
                }
                pts.push((tau, f));
            }
            let style = colour(i).stroke_width(2);
            chart
                .draw_series(LineSeries::new(pts, style))?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
        }
        legend::draw_box(&mut chart, SeriesLabelPosition::LowerRight, LEGEND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_drawn_with_its_label() {
        let dir = tempfile::tempdir().unwrap();
        let taus = [1.0, 1.1, 1.5, 2.0];
        let cells = vec![
            ("relu".to_string(), vec![0.25, 0.5, 1.0, 1.0]),
            ("gelu".to_string(), vec![0.75, 0.75, 1.0, 1.0]),
        ];
        performance_profile(&dir.path().join("profile"), "profiles", &taus, &cells).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("profile.svg")).unwrap();
        assert!(svg.contains("relu") && svg.contains("gelu") && svg.contains("fraction of"));
        assert!(dir.path().join("profile.png").is_file());
        // Nothing to draw still gives a chart.
        performance_profile(&dir.path().join("empty"), "none", &[], &[]).unwrap();
    }
}
