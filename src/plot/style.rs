//! How things look: the palette and the few fixed colours (diverged runs, notes, grid lines), a
//! line's [`Stroke`], the count beside coinciding diverged markers, and the one font family with
//! its one-time registration. Nothing here draws or places things.

use std::sync::Once;

use plotters::element::Text;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontStyle, IntoFont, RGBColor, ShapeStyle};

/// The font family every text uses; registered from the bundled DejaVu Sans by
/// [`register_font`], so no system font library is needed.
pub const FONT: &str = "sans-serif";

/// Twelve distinct colours (Tableau 10 reordered, plus indigo and mustard). Red comes last so
/// that, below 12 cells, red means only "diverged".
const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),  // blue
    RGBColor(255, 127, 14),  // orange
    RGBColor(44, 160, 44),   // green
    RGBColor(148, 103, 189), // purple
    RGBColor(140, 86, 75),   // brown
    RGBColor(227, 119, 194), // pink
    RGBColor(127, 127, 127), // grey
    RGBColor(188, 189, 34),  // olive
    RGBColor(23, 190, 207),  // cyan
    RGBColor(57, 59, 121),   // indigo
    RGBColor(140, 109, 49),  // mustard
    RGBColor(214, 39, 40),   // red
];

/// The colour of series `i` (a cell, a curve); the palette repeats after 12.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The marker colour of diverged runs.
pub const DIVERGED: RGBColor = RGBColor(220, 0, 0);

/// "×n" in the diverged colour, to the right of pixel `(px, py)` where the rightmost of n
/// coinciding diverged markers is.
pub fn diverged_count(count: usize, (px, py): (i32, i32)) -> Text<'static, (i32, i32), String> {
    Text::new(
        format!("×{count}"),
        (px + 9, py),
        (FONT, 13)
            .into_font()
            .color(&DIVERGED)
            .pos(Pos::new(HPos::Left, VPos::Center)),
    )
}

/// Grey for reference lines and notes.
pub const GREY: RGBColor = RGBColor(110, 110, 110);

/// The colour of the grid lines at the ticks.
pub const GRID: RGBColor = RGBColor(225, 225, 225);

/// Registers the bundled DejaVu fonts under [`FONT`] (once per process). Text drawn before this
/// is missing, so every writer calls it first.
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled fonts are valid; a failure could only mean missing text, so it is ignored.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A line's look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    /// Colour.
    pub colour: RGBColor,
    /// Width in pixels.
    pub width: u32,
    /// Opacity, 0..=1.
    pub alpha: f64,
    /// Dashed.
    pub dashed: bool,
}

impl Stroke {
    /// An opaque solid line.
    pub fn solid(colour: RGBColor, width: u32) -> Stroke {
        Stroke {
            colour,
            width,
            alpha: 1.0,
            dashed: false,
        }
    }

    /// An opaque dashed line.
    pub fn dashed(colour: RGBColor, width: u32) -> Stroke {
        Stroke {
            dashed: true,
            ..Stroke::solid(colour, width)
        }
    }

    /// A thin translucent line (one seed behind its mean).
    pub fn faint(colour: RGBColor) -> Stroke {
        Stroke {
            alpha: 0.35,
            ..Stroke::solid(colour, 1)
        }
    }

    /// The plotters style of the line (dashes are drawn by the series, not the style).
    pub fn style(&self) -> ShapeStyle {
        self.colour.mix(self.alpha).stroke_width(self.width)
    }
}
