//! A figure panel: a titled plot with two [`Axis`], its [`Mark`]s in order and a legend,
//! optionally with a grey-scale picture beside it. [`draw_panel`] draws one into its area of
//! the figure's grid; the marks draw themselves ([`super::marks`]).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;

use super::axis::{Axis, Ticks};
use super::hits::HitRecorder;
use super::legend::{self, LegendAt, Swatch, PANEL_LEGEND};
use super::marks::{self, Anchor, Mark};
use super::output::DrawResult;
use super::style::{Stroke, FONT, GRID};
use super::text::fitting_font;
use super::ticks::Ticked;

/// One panel: a titled plot with axes, marks and a legend. With `image`, a grey-scale picture
/// (row-major, values in [0, 1]) is drawn to the left of the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Title above the plot (empty: none).
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// What is drawn, in order.
    pub marks: Vec<Mark>,
    /// Legend entries (none: no legend).
    pub legend: Vec<(String, Swatch)>,
    /// Where the legend goes.
    pub legend_at: LegendAt,
    /// A picture beside the plot: (pixels, width, height).
    pub image: Option<(Vec<f32>, usize, usize)>,
    /// Points whose pixels are recorded as hits when a drawing asks for them (nothing is
    /// drawn for them: a mark draws the point itself).
    pub targets: Vec<Target>,
}

/// A point of a panel that a page can make interactive: member `member` (an index into what
/// the panel's maker drew) at `at`, in the axes' units. Recorded as a [`super::Hit`] whose
/// series is the panel's index in its figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// What the point is, for the maker of the panel.
    pub member: usize,
    /// Where it was drawn.
    pub at: (f64, f64),
}

impl Panel {
    /// A panel with no marks.
    pub fn new(title: &str, x: Axis, y: Axis) -> Panel {
        Panel {
            title: title.to_string(),
            x,
            y,
            marks: Vec::new(),
            legend: Vec::new(),
            legend_at: LegendAt::Auto,
            image: None,
            targets: Vec::new(),
        }
    }

    /// Adds a mark.
    pub fn mark(&mut self, mark: Mark) -> &mut Self {
        self.marks.push(mark);
        self
    }

    /// Adds a line.
    pub fn line(&mut self, points: Vec<(f64, f64)>, stroke: Stroke) -> &mut Self {
        self.mark(Mark::Line { points, stroke })
    }

    /// Adds a target: member `member` drawn at `at` (see [`Target`]).
    pub fn target(&mut self, member: usize, at: (f64, f64)) -> &mut Self {
        self.targets.push(Target { member, at });
        self
    }

    /// Adds a legend entry.
    pub fn entry(&mut self, label: impl Into<String>, swatch: Swatch) -> &mut Self {
        self.legend.push((label.into(), swatch));
        self
    }

    /// Adds text.
    pub fn text(
        &mut self,
        text: impl Into<String>,
        at: (f64, f64),
        size: u32,
        colour: RGBColor,
        anchor: Anchor,
    ) -> &mut Self {
        self.mark(Mark::Text {
            text: text.into(),
            at,
            size,
            colour,
            anchor,
        })
    }

    /// Where the legend goes: its fixed corner, or the one holding the fewest drawn points.
    fn legend_position(&self) -> SeriesLabelPosition {
        legend::fixed_corner(self.legend_at).unwrap_or_else(|| {
            legend::panel_corner(
                &marks::occupied(&self.marks, &self.x, &self.y),
                self.x.range(),
                self.y.range(),
                self.legend.len(),
            )
        })
    }
}

/// Draws the picture at the left of `area` (dark ink on white, framed) and returns the rest.
fn draw_image<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (pixels, w, h): (&[f32], usize, usize),
) -> Result<DrawingArea<DB, Shift>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (_, dh) = area.dim_in_pixel();
    let side = (dh as i32 - 60).clamp(28, 140);
    let left = side + 20;
    let (image_area, rest) = area.split_horizontally(left);
    let scale = side as f64 / (w.max(h)) as f64;
    let y_off = (dh as i32 - side) / 2;
    for r in 0..h {
        for c in 0..w {
            let v = pixels
                .get(r * w + c)
                .copied()
                .unwrap_or(0.0)
                .clamp(0.0, 1.0);
            // Dark ink on white, as the images are usually shown.
            let g = (255.0 * (1.0 - v as f64)).round() as u8;
            let x0 = 10 + (c as f64 * scale).round() as i32;
            let y0 = y_off + (r as f64 * scale).round() as i32;
            let x1 = 10 + ((c + 1) as f64 * scale).round() as i32;
            let y1 = y_off + ((r + 1) as f64 * scale).round() as i32;
            image_area.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                RGBColor(g, g, g).filled(),
            ))?;
        }
    }
    image_area.draw(&Rectangle::new(
        [(10, y_off), (10 + side, y_off + side)],
        RGBColor(160, 160, 160).stroke_width(1),
    ))?;
    Ok(rest)
}

/// Draws `panel` into `area`: the picture, the frame with its title, axes and grid, the marks in
/// order, the legend. Where each of its targets falls inside the frame goes to `hits` as a hit of
/// series `series`.
pub fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    series: usize,
    hits: &HitRecorder,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let area = match &panel.image {
        Some((pixels, w, h)) => draw_image(area, (pixels, *w, *h))?,
        None => area.clone(),
    };
    let (x0, x1) = panel.x.range();
    let (y0, y1) = panel.y.range();
    let (width, _) = area.dim_in_pixel();
    let mut builder = ChartBuilder::on(&area);
    if !panel.title.is_empty() {
        let font = fitting_font(&area, &panel.title, (17.0, 13.0), width, 30);
        builder.caption(&panel.title, font);
    }
    let x_area = if panel.x.label.is_empty() { 32 } else { 55 };
    let (x_ticks, x_decimals) = panel.x.ticks();
    let (y_ticks, y_decimals) = panel.y.ticks();
    let mut chart = builder
        .margin(10)
        .margin_right(22)
        .x_label_area_size(x_area)
        .y_label_area_size(if panel.y.label.is_empty() { 55 } else { 78 })
        .build_cartesian_2d(Ticked::new(x0, x1, x_ticks), Ticked::new(y0, y1, y_ticks))?;
    let fx = |v: &f64| panel.x.format(*v, x_decimals);
    let fy = |v: &f64| panel.y.format(*v, y_decimals);
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID)
        .light_line_style(WHITE)
        .x_label_style((FONT, 14))
        .y_label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .x_desc(panel.x.label.as_str())
        .y_desc(panel.y.label.as_str());
    if matches!(panel.x.ticks, Ticks::Categories(_)) {
        mesh.disable_x_mesh();
    }
    mesh.draw()?;

    for mark in &panel.marks {
        marks::draw(&mut chart, mark, &panel.x, &panel.y)?;
    }
    for target in &panel.targets {
        if let Some(at) = marks::pixel(&chart, &target.at, &panel.x, &panel.y) {
            hits.push(series, target.member, vec![vec![at]]);
        }
    }

    if panel.legend.is_empty() {
        return Ok(());
    }
    legend::swatch_entries(&mut chart, &panel.legend)?;
    legend::draw_box(&mut chart, panel.legend_position(), PANEL_LEGEND)
}
