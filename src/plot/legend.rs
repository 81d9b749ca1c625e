//! Legends: entries that label without drawing (an empty series with a swatch), the swatches a
//! figure panel's entries show, where a legend goes (the emptiest corner, by the policy of a
//! study chart or of a figure panel) and the box it is drawn in.

use plotters::chart::ChartContext;
use plotters::coord::CoordTranslate;
use plotters::element::IntoDynElement;
use plotters::prelude::*;
use plotters::style::RGBColor;

use super::geometry::emptiest_corner;
use super::output::DrawResult;
use super::style::{Stroke, FONT};

/// What a figure panel's legend entry shows beside its label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    /// A line.
    Line(Stroke),
    /// A dot.
    Dot(RGBColor),
    /// A thin line above a thick one: "thin: one seed; thick: mean".
    SeedsAndMean(RGBColor),
    /// A box.
    Box(RGBColor),
    /// An ×.
    Cross(RGBColor),
}

/// Where a figure panel's legend goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LegendAt {
    /// The corner holding the fewest drawn points.
    Auto,
    /// Upper left.
    UpperLeft,
    /// Upper right.
    UpperRight,
    /// Lower left.
    LowerLeft,
    /// Lower right.
    LowerRight,
}

/// How a legend box looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LegendLook {
    /// Label size in pixels.
    pub font_px: u32,
    /// Opacity of the white background.
    pub background: f64,
    /// Border colour.
    pub border: RGBColor,
}

/// The legend of the study charts (seed points, learning curves).
pub const CHART_LEGEND: LegendLook = LegendLook {
    font_px: 14,
    background: 0.9,
    border: RGBColor(150, 150, 150),
};

/// The legend of a figure panel.
pub const PANEL_LEGEND: LegendLook = LegendLook {
    font_px: 14,
    background: 0.92,
    border: RGBColor(160, 160, 160),
};

/// A legend entry that draws nothing in the plot: `label` beside what `swatch` draws at the
/// entry's anchor.
pub fn entry<'a, DB, CT, E, F>(
    chart: &mut ChartContext<'a, DB, CT>,
    label: impl Into<String>,
    swatch: F,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate<From = (f64, f64)>,
    E: IntoDynElement<'a, DB, (i32, i32)>,
    F: Fn((i32, i32)) -> E + 'a,
{
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label(label)
        .legend(swatch);
    Ok(())
}

/// Draws the legend of every labelled series at `position`.
pub fn draw_box<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    look: LegendLook,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, look.font_px))
        .background_style(WHITE.mix(look.background))
        .border_style(look.border)
        .draw()?;
    Ok(())
}

/// A study chart's legend corner: the emptiest for a legend of `entries` lines, right-hand
/// corners first on a tie.
pub fn chart_corner(
    points: &[(f64, f64)],
    x: (f64, f64),
    y: (f64, f64),
    entries: usize,
) -> SeriesLabelPosition {
    use SeriesLabelPosition::{LowerLeft, LowerRight, UpperLeft, UpperRight};
    let height = 0.05 + 0.055 * entries as f64;
    let size = (0.4, height.clamp(0.15, 0.6));
    emptiest_corner(
        points,
        x,
        y,
        size,
        [UpperRight, LowerRight, UpperLeft, LowerLeft],
    )
}

/// A figure panel's legend corner: the emptiest for a legend of `entries` lines, upper corners
/// first on a tie.
pub fn panel_corner(
    points: &[(f64, f64)],
    x: (f64, f64),
    y: (f64, f64),
    entries: usize,
) -> SeriesLabelPosition {
    use SeriesLabelPosition::{LowerLeft, LowerRight, UpperLeft, UpperRight};
    let size = (0.42, (0.08 + 0.075 * entries as f64).clamp(0.15, 0.8));
    emptiest_corner(
        points,
        x,
        y,
        size,
        [UpperRight, UpperLeft, LowerRight, LowerLeft],
    )
}

/// The plotters position of a panel's fixed legend corner; `None` for [`LegendAt::Auto`].
pub fn fixed_corner(at: LegendAt) -> Option<SeriesLabelPosition> {
    match at {
        LegendAt::Auto => None,
        LegendAt::UpperLeft => Some(SeriesLabelPosition::UpperLeft),
        LegendAt::UpperRight => Some(SeriesLabelPosition::UpperRight),
        LegendAt::LowerLeft => Some(SeriesLabelPosition::LowerLeft),
        LegendAt::LowerRight => Some(SeriesLabelPosition::LowerRight),
    }
}

/// Adds a figure panel's entries, each with its [`Swatch`].
pub fn swatch_entries<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    entries: &[(String, Swatch)],
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate<From = (f64, f64)>,
{
    for (label, swatch) in entries {
        let swatch = *swatch;
        entry(chart, label.as_str(), move |(px, py)| {
            let SwatchParts { lines, fill, dot } = swatch_parts(swatch);
            let [a, b, c, d] = lines;
            EmptyElement::at((px, py))
                + Polygon::new(fill.0, fill.1)
                + PathElement::new(a.0, a.1)
                + PathElement::new(b.0, b.1)
                + PathElement::new(c.0, c.1)
                + PathElement::new(d.0, d.1)
                + Circle::new((10, 0), dot.0, dot.1)
        })?;
    }
    Ok(())
}

/// The parts of a legend's picture, relative to its anchor: four lines, a filled polygon and a
/// dot, each invisible (transparent, so no backend draws it) when the swatch does not use it. One
/// shape for every swatch keeps the legend closure's element type the same.
struct SwatchParts {
    lines: [(Vec<(i32, i32)>, ShapeStyle); 4],
    fill: (Vec<(i32, i32)>, ShapeStyle),
    dot: (u32, ShapeStyle),
}

fn swatch_parts(swatch: Swatch) -> SwatchParts {
    let none = || (vec![(0, 0), (0, 0)], TRANSPARENT.stroke_width(1));
    let mut parts = SwatchParts {
        lines: [none(), none(), none(), none()],
        fill: (vec![(0, 0), (0, 0), (0, 0)], TRANSPARENT.filled()),
        dot: (1, TRANSPARENT.filled()),
    };
    match swatch {
        Swatch::Line(stroke) if stroke.dashed => {
            parts.lines[0] = (vec![(0, 0), (7, 0)], stroke.style());
            parts.lines[1] = (vec![(12, 0), (20, 0)], stroke.style());
        }
        Swatch::Line(stroke) => {
            let style = Stroke {
                alpha: stroke.alpha.max(0.6),
                ..stroke
            }
            .style();
            parts.lines[0] = (vec![(0, 0), (20, 0)], style);
        }
        Swatch::Dot(c) => parts.dot = (4, c.filled()),
        Swatch::SeedsAndMean(c) => {
            parts.lines[0] = (vec![(0, -4), (20, -4)], c.mix(0.6).stroke_width(1));
            parts.lines[1] = (vec![(0, 3), (20, 3)], c.stroke_width(3));
        }
        Swatch::Box(c) => {
            let corners = vec![(3, -6), (17, -6), (17, 6), (3, 6), (3, -6)];
            parts.fill = (corners.clone(), c.mix(0.18).filled());
            parts.lines[0] = (corners, c.stroke_width(2));
            parts.lines[1] = (vec![(3, 0), (17, 0)], c.stroke_width(3));
        }
        Swatch::Cross(c) => {
            parts.lines[0] = (vec![(5, -5), (15, 5)], c.stroke_width(2));
            parts.lines[1] = (vec![(5, 5), (15, -5)], c.stroke_width(2));
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use SeriesLabelPosition::{LowerRight, UpperLeft, UpperRight};

    #[test]
    fn charts_prefer_the_right_and_panels_the_top_on_a_tie() {
        let unit = (0.0, 1.0);
        // Nothing drawn: every corner ties.
        assert_eq!(chart_corner(&[], unit, unit, 3), UpperRight);
        assert_eq!(panel_corner(&[], unit, unit, 3), UpperRight);
        // The upper right taken: a chart's legend goes down, a panel's goes left.
        let taken = [(0.95, 0.95)];
        assert_eq!(chart_corner(&taken, unit, unit, 3), LowerRight);
        assert_eq!(panel_corner(&taken, unit, unit, 3), UpperLeft);
    }

    #[test]
    fn unused_swatch_parts_are_transparent() {
        let parts = swatch_parts(Swatch::Dot(RGBColor(1, 2, 3)));
        assert!(parts
            .lines
            .iter()
            .all(|(_, style)| style.color.alpha() == 0.0));
        assert_eq!(parts.fill.1.color.alpha(), 0.0);
        assert_eq!(parts.dot.0, 4);
        let parts = swatch_parts(Swatch::Line(Stroke::faint(RGBColor(1, 2, 3))));
        assert_eq!(
            parts.lines[0].1.color.alpha(),
            0.6,
            "a faint line shows at 0.6"
        );
    }
}
