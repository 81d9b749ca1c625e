//! Where things go on the canvas: a [`Figure`] (a title, a grid of panels filled row by row, a
//! note at the bottom) and the frame of a study chart (its size, title, margins and label
//! areas). What a panel draws inside its area is [`super::panel`]'s business.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::hits::{Hit, HitRecorder};
use super::output::{svg_string, write, Draw, DrawResult};
use super::panel::{draw_panel, Panel};
use super::style::{FONT, GREY};
use super::text::fitting_font;
use crate::error::Result;

/// Pixel size of every study chart.
pub const CHART_SIZE: (u32, u32) = (1000, 600);

/// The plot area of a study chart: its title (22 px bold, down to 14 px to fit), margins, a
/// y label area of 80 px and an x label area of `x_label_px`, on f64 axes whose ticks plotters
/// chooses.
pub fn chart_frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_label_px: u32,
    x: Range<f64>,
    y: Range<f64>,
) -> std::result::Result<
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    Box<dyn std::error::Error>,
>
where
    DB::ErrorType: 'static,
{
    let font = fitting_font(root, title, (22.0, 14.0), CHART_SIZE.0, 40);
    Ok(ChartBuilder::on(root)
        .caption(title, font)
        .margin(15)
        .margin_right(25)
        .x_label_area_size(x_label_px)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)?)
}

/// A whole figure: title, a grid of panels (filled row by row), a footnote.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title at the top.
    pub title: String,
    /// Pixel size.
    pub size: (u32, u32),
    /// Rows and columns of panels.
    pub grid: (usize, usize),
    /// The panels.
    pub panels: Vec<Panel>,
    /// A line of small text at the bottom (where the data comes from).
    pub note: String,
}

impl Figure {
    /// A figure of one panel, 1000×600.
    pub fn single(title: &str, panel: Panel, note: &str) -> Figure {
        Figure {
            title: title.to_string(),
            size: (1000, 600),
            grid: (1, 1),
            panels: vec![panel],
            note: note.to_string(),
        }
    }

    /// Writes `<dir>/<name>.png` and `<dir>/<name>.svg`; returns their paths.
    pub fn write(&self, dir: &Path, name: &str) -> Result<[PathBuf; 2]> {
        write(&dir.join(name), self.size, self)
    }

    /// The figure as SVG text (the bytes of its `.svg` file) with where each panel's targets
    /// were drawn: a [`Hit`] per target inside its frame, `series` the panel's index.
    pub fn svg_with_hits(&self) -> Result<(String, Vec<Hit>)> {
        let recording = Recording {
            figure: self,
            hits: HitRecorder::recording(),
        };
        let svg = svg_string(self.size, &recording)?;
        Ok((svg, recording.hits.take()))
    }

    /// Draws the figure, its panels' targets going to `hits`.
    fn draw_recording<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        hits: &HitRecorder,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (w, h) = self.size;
        let top = if self.title.is_empty() { 5 } else { 42 };
        let bottom = if self.note.is_empty() { 5 } else { 26 };
        if !self.title.is_empty() {
            let font = fitting_font(root, &self.title, (22.0, 13.0), w, 30);
            root.draw(&Text::new(
                self.title.clone(),
                (w as i32 / 2, 12),
                font.color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        if !self.note.is_empty() {
            root.draw(&Text::new(
                self.note.clone(),
                (12, h as i32 - 8),
                (FONT, 13)
                    .into_font()
                    .color(&GREY)
                    .pos(Pos::new(HPos::Left, VPos::Bottom)),
            ))?;
        }
        let body = root.margin(top, bottom, 0, 0);
        let (rows, cols) = self.grid;
        let cells = body.split_evenly((rows.max(1), cols.max(1)));
        for (series, (panel, area)) in self.panels.iter().zip(&cells).enumerate() {
            draw_panel(area, panel, series, hits)?;
        }
        Ok(())
    }
}

impl Draw for Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        self.draw_recording(root, &HitRecorder::default())
    }
}

/// A figure drawn once with its hits recorded.
struct Recording<'a> {
    figure: &'a Figure,
    hits: HitRecorder,
}

impl Draw for Recording<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        self.hits.clear();
        self.figure.draw_recording(root, &self.hits)
    }
}
