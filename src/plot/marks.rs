//! What a figure panel draws, in data coordinates: lines (cut at the frame, broken at
//! non-finite points), dots, crosses, shaded vertical bands, reference lines across the panel,
//! box plots and text. Each kind is a [`Mark`] variant with its own drawing function below, and
//! [`occupied`] says where the marks lie so a legend can avoid them.

use plotters::chart::ChartContext;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

use super::axis::Axis;
use super::geometry::{clip_polyline, sample_polyline};
use super::output::DrawResult;
use super::style::{Stroke, FONT};
use super::ticks::Ticked;

/// A panel's plotting context.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// Where text is anchored to its point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Anchor {
    /// The point is the text's left middle.
    Left,
    /// The point is the text's centre.
    Centre,
    /// The point is the text's right middle.
    Right,
    /// The point is the text's top centre.
    Top,
    /// The point is the text's bottom centre.
    Bottom,
}

impl Anchor {
    fn pos(self) -> Pos {
        match self {
            Anchor::Left => Pos::new(HPos::Left, VPos::Center),
            Anchor::Centre => Pos::new(HPos::Center, VPos::Center),
            Anchor::Right => Pos::new(HPos::Right, VPos::Center),
            Anchor::Top => Pos::new(HPos::Center, VPos::Top),
            Anchor::Bottom => Pos::new(HPos::Center, VPos::Bottom),
        }
    }
}

/// Something drawn in a panel, in data coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A polyline; non-finite points (and non-positive ones on a log axis) break it.
    Line {
        /// The points.
        points: Vec<(f64, f64)>,
        /// Its look.
        stroke: Stroke,
    },
    /// Dots.
    Dots {
        /// The points.
        points: Vec<(f64, f64)>,
        /// Colour.
        colour: RGBColor,
        /// Radius in pixels.
        radius: u32,
        /// Opacity.
        alpha: f64,
    },
    /// A marker drawn as an ×.
    Cross {
        /// Where.
        at: (f64, f64),
        /// Colour.
        colour: RGBColor,
        /// Half-size in pixels.
        size: u32,
    },
    /// A shaded vertical band from x0 to x1 across the whole panel height.
    Band {
        /// Left edge.
        x0: f64,
        /// Right edge.
        x1: f64,
        /// Colour (drawn translucent).
        colour: RGBColor,
    },
    /// A horizontal line across the panel.
    HLine {
        /// Where.
        y: f64,
        /// Its look.
        stroke: Stroke,
    },
    /// A vertical line across the panel.
    VLine {
        /// Where.
        x: f64,
        /// Its look.
        stroke: Stroke,
    },
    /// A box plot's box: quartiles, median and whiskers at x (width in x units).
    Box {
        /// Centre.
        x: f64,
        /// Width in x units.
        width: f64,
        /// Lower whisker end.
        low: f64,
        /// First quartile.
        q1: f64,
        /// Median.
        median: f64,
        /// Third quartile.
        q3: f64,
        /// Upper whisker end.
        high: f64,
        /// Colour.
        colour: RGBColor,
    },
    /// Text.
    Text {
        /// The text.
        text: String,
        /// Where (data coordinates).
        at: (f64, f64),
        /// Font size in pixels.
        size: u32,
        /// Colour.
        colour: RGBColor,
        /// How the point anchors the text.
        anchor: Anchor,
    },
}

/// The visible frame of a panel in plotting coordinates, and its axes.
struct Frame<'p> {
    x: &'p Axis,
    y: &'p Axis,
    xr: (f64, f64),
    yr: (f64, f64),
}

impl Frame<'_> {
    /// A data point in plotting coordinates.
    fn map(&self, p: &(f64, f64)) -> (f64, f64) {
        (self.x.map(p.0), self.y.map(p.1))
    }

    /// Whether a plotting-coordinate point is drawable and inside the frame.
    fn inside(&self, p: &(f64, f64)) -> bool {
        p.0.is_finite()
            && p.1.is_finite()
            && p.0 >= self.xr.0
            && p.0 <= self.xr.1
            && p.1 >= self.yr.0
            && p.1 <= self.yr.1
    }
}

/// Where `at` (in the units of axes `x` and `y`) is drawn, in pixels of the whole drawing; none
/// outside the frame (where no mark draws it).
pub fn pixel<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    at: &(f64, f64),
    x: &Axis,
    y: &Axis,
) -> Option<(i32, i32)> {
    let frame = Frame {
        x,
        y,
        xr: x.range(),
        yr: y.range(),
    };
    let p = frame.map(at);
    frame.inside(&p).then(|| chart.backend_coord(&p))
}

/// Draws `mark` on a panel with axes `x` and `y`; what lies outside the frame is not drawn.
pub fn draw<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    mark: &Mark,
    x: &Axis,
    y: &Axis,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let frame = Frame {
        x,
        y,
        xr: x.range(),
        yr: y.range(),
    };
    match mark {
        Mark::Line { points, stroke } => line(chart, &frame, points, *stroke),
        Mark::Dots {
            points,
            colour,
            radius,
            alpha,
        } => dots(chart, &frame, points, colour.mix(*alpha).filled(), *radius),
        Mark::Cross { at, colour, size } => cross(chart, &frame, at, *colour, *size),
        Mark::Band { x0, x1, colour } => band(chart, &frame, (*x0, *x1), *colour),
        Mark::HLine { y: v, stroke } => {
            let v = y.map(*v);
            if v.is_finite() && v >= frame.yr.0 && v <= frame.yr.1 {
                draw_line(chart, vec![(frame.xr.0, v), (frame.xr.1, v)], *stroke)?;
            }
            Ok(())
        }
        Mark::VLine { x: v, stroke } => {
            let v = x.map(*v);
            if v.is_finite() && v >= frame.xr.0 && v <= frame.xr.1 {
                draw_line(chart, vec![(v, frame.yr.0), (v, frame.yr.1)], *stroke)?;
            }
            Ok(())
        }
        Mark::Box {
            x: bx,
            width,
            low,
            q1,
            median,
            q3,
            high,
            colour,
        } => box_plot(
            chart,
            &frame,
            (*bx, *width),
            [*low, *q1, *median, *q3, *high],
            *colour,
        ),
        Mark::Text {
            text,
            at,
            size,
            colour,
            anchor,
        } => {
            let p = frame.map(at);
            if p.0.is_finite() && p.1.is_finite() {
                let style = (FONT, *size).into_font().color(colour).pos(anchor.pos());
                chart.draw_series(std::iter::once(Text::new(text.clone(), p, style)))?;
            }
            Ok(())
        }
    }
}

/// A polyline: broken at undrawable points, cut at the frame; a lone point is a dot.
fn line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    points: &[(f64, f64)],
    stroke: Stroke,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for seg in segments(points, frame.x, frame.y) {
        if seg.len() == 1 {
            if frame.inside(&seg[0]) {
                draw_line(chart, seg, stroke)?;
            }
            continue;
        }
        for piece in clip_polyline(&seg, frame.xr, frame.yr) {
            draw_line(chart, piece, stroke)?;
        }
    }
    Ok(())
}

fn dots<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    points: &[(f64, f64)],
    style: ShapeStyle,
    radius: u32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart.draw_series(
        points
            .iter()
            .map(|p| frame.map(p))
            .filter(|p| frame.inside(p))
            .map(|p| Circle::new(p, radius, style)),
    )?;
    Ok(())
}

fn cross<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    at: &(f64, f64),
    colour: RGBColor,
    size: u32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let p = frame.map(at);
    if frame.inside(&p) {
        chart.draw_series([Cross::new(p, size, colour.stroke_width(2))])?;
    }
    Ok(())
}

/// A translucent band over the whole height, cut to the frame's width.
fn band<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    (a, b): (f64, f64),
    colour: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (a, b) = (
        frame.x.map(a).max(frame.xr.0),
        frame.x.map(b).min(frame.xr.1),
    );
    if b > a {
        chart.draw_series([Rectangle::new(
            [(a, frame.yr.0), (b, frame.yr.1)],
            colour.mix(0.12).filled(),
        )])?;
    }
    Ok(())
}

/// A box from q1 to q3 with the median thick and whiskers to `low` and `high`.
fn box_plot<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    frame: &Frame,
    (centre, width): (f64, f64),
    values: [f64; 5],
    colour: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let c = frame.x.map(centre);
    let (l, r) = (c - width / 2.0, c + width / 2.0);
    let [low, q1, median, q3, high] = values.map(|v| frame.y.map(v));
    let line = colour.stroke_width(2);
    chart.draw_series([
        Rectangle::new([(l, q1), (r, q3)], colour.mix(0.18).filled()),
        Rectangle::new([(l, q1), (r, q3)], line),
    ])?;
    chart.draw_series([
        PathElement::new(vec![(l, median), (r, median)], colour.stroke_width(3)),
        PathElement::new(vec![(c, q3), (c, high)], line),
        PathElement::new(vec![(c, q1), (c, low)], line),
        PathElement::new(vec![(c - width / 4.0, high), (c + width / 4.0, high)], line),
        PathElement::new(vec![(c - width / 4.0, low), (c + width / 4.0, low)], line),
    ])?;
    Ok(())
}

/// Draws points (plotting coordinates) as a line in `stroke`'s look; one point is a dot.
fn draw_line<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: Vec<(f64, f64)>,
    stroke: Stroke,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if points.len() == 1 {
        chart.draw_series([Circle::new(
            points[0],
            stroke.width.max(2),
            stroke.colour.mix(stroke.alpha).filled(),
        )])?;
    } else if stroke.dashed {
        chart.draw_series(DashedLineSeries::new(
            points,
            7 + stroke.width,
            5,
            stroke.style(),
        ))?;
    } else {
        chart.draw_series(LineSeries::new(points, stroke.style()))?;
    }
    Ok(())
}

/// Splits the points of a line into runs of drawable points, in plotting coordinates.
fn segments(points: &[(f64, f64)], x: &Axis, y: &Axis) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    for &(a, b) in points {
        let p = (x.map(a), y.map(b));
        if p.0.is_finite() && p.1.is_finite() {
            run.push(p);
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Points where the marks lie (plotting coordinates), for placing a legend: the points of lines
/// and what lies between them, dots, crosses, text anchors, along box whiskers and horizontal
/// lines. Bands and vertical lines span the panel and are not counted.
pub fn occupied(marks: &[Mark], x: &Axis, y: &Axis) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let map = |p: &(f64, f64)| (x.map(p.0), y.map(p.1));
    for mark in marks {
        match mark {
            Mark::Line { points, .. } => {
                for seg in segments(points, x, y) {
                    sample_polyline(&seg, 6, &mut out);
                }
            }
            Mark::Dots { points, .. } => out.extend(points.iter().map(map)),
            Mark::Cross { at, .. } => out.push(map(at)),
            Mark::Box {
                x: bx, low, high, ..
            } => {
                for k in 0..=6 {
                    let v = low + (high - low) * k as f64 / 6.0;
                    out.push(map(&(*bx, v)));
                }
            }
            Mark::Text { at, .. } => out.push(map(at)),
            Mark::HLine { y: v, .. } => {
                let (a, b) = x.range();
                for k in 0..=10 {
                    out.push((a + (b - a) * k as f64 / 10.0, y.map(*v)));
                }
            }
            Mark::Band { .. } | Mark::VLine { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_break_at_points_a_log_axis_cannot_show() {
        let x = Axis::linear("", 0.0, 4.0);
        let y = Axis::log("", 0.1, 10.0);
        let runs = segments(
            &[
                (0.0, 1.0),
                (1.0, 10.0),
                (2.0, 0.0),
                (3.0, f64::NAN),
                (4.0, 1.0),
            ],
            &x,
            &y,
        );
        assert_eq!(runs, vec![vec![(0.0, 0.0), (1.0, 1.0)], vec![(4.0, 0.0)]]);
    }

    #[test]
    fn legends_avoid_lines_dots_and_boxes_but_not_bands() {
        let (x, y) = (Axis::linear("", 0.0, 1.0), Axis::linear("", 0.0, 1.0));
        let marks = [
            Mark::Line {
                points: vec![(0.0, 0.0), (1.0, 0.0)],
                stroke: Stroke::solid(RGBColor(0, 0, 0), 1),
            },
            Mark::Band {
                x0: 0.0,
                x1: 1.0,
                colour: RGBColor(0, 0, 0),
            },
            Mark::Box {
                x: 0.5,
                width: 0.2,
                low: 0.0,
                q1: 0.2,
                median: 0.3,
                q3: 0.4,
                high: 0.6,
                colour: RGBColor(0, 0, 0),
            },
        ];
        let points = occupied(&marks, &x, &y);
        // 2 line ends + 5 between them, 7 along the box.
        assert_eq!(points.len(), 14);
        assert!(points.contains(&(0.5, 0.0)) && points.contains(&(0.5, 0.6)));
    }
}
