//! The drawing layer of the figures: a figure is plain data (a title, a grid of panels, each with
//! axes, marks and a legend) drawn by one generic function into `<stem>.png` and `<stem>.svg`.
//! Text uses the bundled DejaVu Sans (as the report charts do), nothing reads the clock, and
//! every number is formatted explicitly, so the same data gives byte-identical files.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::error::{Error, Result};
pub use crate::report::charts::colour;

// The font family every text uses: the report's bundled DejaVu.
use crate::report::charts::{clip_polyline, FONT};

/// Grey for reference lines and notes.
pub const GREY: RGBColor = RGBColor(110, 110, 110);

type DrawResult = std::result::Result<(), Box<dyn StdError>>;

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Linear.
    Linear,
    /// log10 (values must be positive; others are not drawn).
    Log,
}

/// How an axis labels its ticks.
#[derive(Debug, Clone, PartialEq)]
pub enum Ticks {
    /// About this many ticks, numbers with as many decimals as tell them apart.
    Auto(usize),
    /// Whole numbers only, about this many.
    Integers(usize),
    /// Category `i` at x = i (the range should be −0.5..n − 0.5).
    Categories(Vec<String>),
}

/// One axis: its title, range (in data units), scale and ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The axis title.
    pub label: String,
    /// Lowest value shown.
    pub lo: f64,
    /// Highest value shown.
    pub hi: f64,
    /// Linear or log.
    pub scale: Scale,
    /// Tick labels.
    pub ticks: Ticks,
}

impl Axis {
    /// A linear axis with at most 10 numbered ticks.
    pub fn linear(label: &str, lo: f64, hi: f64) -> Axis {
        Axis {
            label: label.to_string(),
            lo,
            hi,
            scale: Scale::Linear,
            ticks: Ticks::Auto(10),
        }
    }

    /// A log10 axis.
    pub fn log(label: &str, lo: f64, hi: f64) -> Axis {
        Axis {
            scale: Scale::Log,
            ..Axis::linear(label, lo, hi)
        }
    }

    /// A linear axis labelled with whole numbers.
    pub fn integers(label: &str, lo: f64, hi: f64, ticks: usize) -> Axis {
        Axis {
            ticks: Ticks::Integers(ticks),
            ..Axis::linear(label, lo, hi)
        }
    }

    /// Categories at 0, 1, …, n − 1.
    pub fn categories(label: &str, names: Vec<String>) -> Axis {
        Axis {
            lo: -0.5,
            hi: names.len().max(1) as f64 - 0.5,
            ticks: Ticks::Categories(names),
            ..Axis::linear(label, 0.0, 1.0)
        }
    }

    /// A value in plotting coordinates (log10 on a log axis; NaN when not drawable).
    fn map(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log if v > 0.0 => v.log10(),
            Scale::Log => f64::NAN,
        }
    }

    /// The plotted range, never empty.
    fn range(&self) -> (f64, f64) {
        let (a, b) = (self.map(self.lo), self.map(self.hi));
        let (a, b) = if a.is_finite() && b.is_finite() {
            (a, b)
        } else {
            (0.0, 1.0)
        };
        if b > a {
            (a, b)
        } else {
            (a - 0.5, a + 0.5)
        }
    }

    /// The ticks (plotted coordinates) and how many decimals their labels need.
    fn ticks(&self) -> (Vec<f64>, usize) {
        let (a, b) = self.range();
        match (&self.ticks, self.scale) {
            (Ticks::Categories(names), _) => ((0..names.len()).map(|i| i as f64).collect(), 0),
            (Ticks::Integers(n), Scale::Linear) => {
                let step = nice_step(b - a, *n).max(1.0).round();
                (multiples(a, b, step), 0)
            }
            (Ticks::Auto(n), Scale::Linear) => {
                let step = nice_step(b - a, *n);
                (multiples(a, b, step), decimals_of(step))
            }
            (Ticks::Auto(n) | Ticks::Integers(n), Scale::Log) => {
                let ticks = log_ticks(a, b, *n);
                if ticks.len() >= 2 {
                    (ticks, 0)
                } else {
                    // Less than a factor of ~2: plain ticks, placed on the log axis.
                    let (lo, hi) = (10f64.powf(a), 10f64.powf(b));
                    let step = nice_step(hi - lo, 5);
                    let t = multiples(lo, hi, step)
                        .into_iter()
                        .map(f64::log10)
                        .collect();
                    (t, decimals_of(step))
                }
            }
        }
    }

    /// The label of the tick at plotted coordinate `v`.
    fn format(&self, v: f64, decimals: usize) -> String {
        match (&self.ticks, self.scale) {
            (Ticks::Categories(names), _) => {
                let i = v.round();
                if i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            }
            (_, Scale::Log) => plain(10f64.powf(v)),
            (_, Scale::Linear) => {
                let s = format!("{v:.decimals$}");
                // "-0.00" reads oddly.
                if s.trim_start_matches('-')
                    .chars()
                    .all(|c| c == '0' || c == '.')
                {
                    s.trim_start_matches('-').to_string()
                } else {
                    s
                }
            }
        }
    }
}

/// The smallest step of 1, 2 or 5 times a power of ten that puts at most `n` ticks on `span`.
pub fn nice_step(span: f64, n: usize) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let n = n.max(2) as f64;
    let mut k = (span / n).log10().floor() as i32 - 1;
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(k);
            if span / step + 1.0 <= n + 1e-9 {
                return step;
            }
        }
        k += 1;
    }
}

/// The decimals a step of 1, 2 or 5 times a power of ten needs.
fn decimals_of(step: f64) -> usize {
    (-(step.log10() + 1e-9).floor()).clamp(0.0, 8.0) as usize
}

/// The multiples of `step` in `lo..=hi`.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Log-axis ticks (log10 coordinates) on `a..b` at 1-2-5, 1 or every m-th power of ten, the
/// densest giving at most `n`.
fn log_ticks(a: f64, b: f64, n: usize) -> Vec<f64> {
    let (first, last) = (a.floor() as i32 - 1, b.ceil() as i32 + 1);
    let inside = |v: f64| v >= a - 1e-9 && v <= b + 1e-9;
    for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0][..]] {
        let t: Vec<f64> = (first..=last)
            .flat_map(|k| mantissas.iter().map(move |m| (m * 10f64.powi(k)).log10()))
            .filter(|v| inside(*v))
            .collect();
        if t.len() <= n.max(2) {
            return t;
        }
    }
    let every = ((b - a) / n.max(2) as f64).ceil().max(1.0) as i32;
    (first..=last)
        .filter(|k| k.rem_euclid(every) == 0)
        .map(f64::from)
        .filter(|v| inside(*v))
        .collect()
}

/// A tick value written plainly: 0.002, 0.5, 20, 5000, else 2e-5.
pub fn plain(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = significant(v, 3);
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let k = a.log10().floor() as i32;
        let m = v / 10f64.powi(k);
        format!("{}e{k}", plain(m))
    }
}

/// `v` with `digits` significant digits, plainly written.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 8) as usize;
    format!("{v:.decimals$}")
}

/// A linear f64 axis whose ticks are given (plotters' own `WithKeyPoints` loses the f64 label
/// formatter, which the mesh needs).
#[derive(Clone)]
pub struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Ticked {
        Ticked {
            inner: (lo..hi).into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold points carry the labels and grid lines; no light ones.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
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

    fn style(&self) -> ShapeStyle {
        self.colour.mix(self.alpha).stroke_width(self.width)
    }
}

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

/// What a legend entry shows beside its label.
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

/// Where the legend goes.
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
}

/// Writes `<dir>/<name>.png` and `<dir>/<name>.svg`; returns their paths.
pub fn write(figure: &Figure, dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
    crate::report::charts::register_font();
    let png = dir.join(format!("{name}.png"));
    let svg = dir.join(format!("{name}.svg"));
    let fail = |path: &Path, e: Box<dyn StdError>| Error::Chart {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    {
        let root = BitMapBackend::new(&png, figure.size).into_drawing_area();
        draw_figure(&root, figure)
            .and_then(|_| root.present().map_err(|e| e.into()))
            .map_err(|e| fail(&png, e))?;
    }
    {
        let root = SVGBackend::new(&svg, figure.size).into_drawing_area();
        draw_figure(&root, figure)
            .and_then(|_| root.present().map_err(|e| e.into()))
            .map_err(|e| fail(&svg, e))?;
    }
    Ok(vec![png, svg])
}

/// The title font: `size` px bold, smaller (down to 13 px) when the text would not fit `width`.
fn fitting_font<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    width: u32,
) -> FontDesc<'static> {
    let mut size = size;
    while size > 13.0 {
        let font = FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold);
        match area.estimate_text_size(text, &font.into()) {
            Ok((w, _)) if w + 30 > width => size -= 1.0,
            _ => break,
        }
    }
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold)
}

fn draw_figure<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (w, h) = figure.size;
    let top = if figure.title.is_empty() { 5 } else { 42 };
    let bottom = if figure.note.is_empty() { 5 } else { 26 };
    if !figure.title.is_empty() {
        let font = fitting_font(root, &figure.title, 22.0, w);
        root.draw(&Text::new(
            figure.title.clone(),
            (w as i32 / 2, 12),
            font.color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    if !figure.note.is_empty() {
        root.draw(&Text::new(
            figure.note.clone(),
            (12, h as i32 - 8),
            (FONT, 13)
                .into_font()
                .color(&GREY)
                .pos(Pos::new(HPos::Left, VPos::Bottom)),
        ))?;
    }
    let body = root.margin(top, bottom, 0, 0);
    let (rows, cols) = figure.grid;
    let cells = body.split_evenly((rows.max(1), cols.max(1)));
    for (panel, area) in figure.panels.iter().zip(&cells) {
        draw_panel(area, panel)?;
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

/// Points where the marks lie (plotting coordinates), for placing the legend.
fn occupied(panel: &Panel) -> Vec<(f64, f64)> {
    let (x, y) = (&panel.x, &panel.y);
    let mut out = Vec::new();
    let map = |p: &(f64, f64)| (x.map(p.0), y.map(p.1));
    for mark in &panel.marks {
        match mark {
            Mark::Line { points, .. } => {
                for seg in segments(points, x, y) {
                    out.extend(seg.iter().copied());
                    for w in seg.windows(2) {
                        for k in 1..6 {
                            let t = k as f64 / 6.0;
                            out.push((
                                w[0].0 + t * (w[1].0 - w[0].0),
                                w[0].1 + t * (w[1].1 - w[0].1),
                            ));
                        }
                    }
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

/// The corner with the fewest occupied points in a box of the legend's size (upper corners
/// first on a tie).
fn emptiest_corner(panel: &Panel, entries: usize) -> SeriesLabelPosition {
    use SeriesLabelPosition::{LowerLeft, LowerRight, UpperLeft, UpperRight};
    let size = (0.42, (0.08 + 0.075 * entries as f64).clamp(0.15, 0.8));
    crate::report::charts::emptiest_corner(
        &occupied(panel),
        panel.x.range(),
        panel.y.range(),
        size,
        [UpperRight, UpperLeft, LowerRight, LowerLeft],
    )
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let area = match &panel.image {
        Some((pixels, w, h)) => {
            let (_, dh) = area.dim_in_pixel();
            let side = (dh as i32 - 60).clamp(28, 140);
            let left = side + 20;
            let (image_area, rest) = area.split_horizontally(left);
            let scale = side as f64 / (*w.max(h)) as f64;
            let y_off = (dh as i32 - side) / 2;
            for r in 0..*h {
                for c in 0..*w {
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
            rest
        }
        None => area.clone(),
    };
    let (x0, x1) = panel.x.range();
    let (y0, y1) = panel.y.range();
    let (width, _) = area.dim_in_pixel();
    let mut builder = ChartBuilder::on(&area);
    if !panel.title.is_empty() {
        builder.caption(&panel.title, fitting_font(&area, &panel.title, 17.0, width));
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
    mesh.bold_line_style(RGBColor(225, 225, 225))
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

    let (x, y) = (&panel.x, &panel.y);
    let map = |p: &(f64, f64)| (x.map(p.0), y.map(p.1));
    let inside = |p: &(f64, f64)| {
        p.0.is_finite() && p.1.is_finite() && p.0 >= x0 && p.0 <= x1 && p.1 >= y0 && p.1 <= y1
    };
    for mark in &panel.marks {
        match mark {
            Mark::Line { points, stroke } => {
                for seg in segments(points, x, y) {
                    if seg.len() == 1 {
                        if inside(&seg[0]) {
                            draw_line(&mut chart, seg, *stroke)?;
                        }
                        continue;
                    }
                    for piece in clip_polyline(&seg, (x0, x1), (y0, y1)) {
                        draw_line(&mut chart, piece, *stroke)?;
                    }
                }
            }
            Mark::Dots {
                points,
                colour,
                radius,
                alpha,
            } => {
                let style = colour.mix(*alpha).filled();
                chart.draw_series(
                    points
                        .iter()
                        .map(map)
                        .filter(inside)
                        .map(|p| Circle::new(p, *radius, style)),
                )?;
            }
            Mark::Cross { at, colour, size } => {
                let p = map(at);
                if inside(&p) {
                    chart.draw_series([Cross::new(p, *size, colour.stroke_width(2))])?;
                }
            }
            Mark::Band {
                x0: a,
                x1: b,
                colour,
            } => {
                let (a, b) = (x.map(*a).max(x0), x.map(*b).min(x1));
                if b > a {
                    chart.draw_series([Rectangle::new(
                        [(a, y0), (b, y1)],
                        colour.mix(0.12).filled(),
                    )])?;
                }
            }
            Mark::HLine { y: v, stroke } => {
                let v = y.map(*v);
                if v.is_finite() && v >= y0 && v <= y1 {
                    draw_line(&mut chart, vec![(x0, v), (x1, v)], *stroke)?;
                }
            }
            Mark::VLine { x: v, stroke } => {
                let v = x.map(*v);
                if v.is_finite() && v >= x0 && v <= x1 {
                    draw_line(&mut chart, vec![(v, y0), (v, y1)], *stroke)?;
                }
            }
            Mark::Box {
                x: bx,
                width: bw,
                low,
                q1,
                median,
                q3,
                high,
                colour,
            } => {
                let c = x.map(*bx);
                let (l, r) = (c - bw / 2.0, c + bw / 2.0);
                let (low, q1, median, q3, high) = (
                    y.map(*low),
                    y.map(*q1),
                    y.map(*median),
                    y.map(*q3),
                    y.map(*high),
                );
                let line = colour.stroke_width(2);
                chart.draw_series([
                    Rectangle::new([(l, q1), (r, q3)], colour.mix(0.18).filled()),
                    Rectangle::new([(l, q1), (r, q3)], line),
                ])?;
                chart.draw_series([
                    PathElement::new(vec![(l, median), (r, median)], colour.stroke_width(3)),
                    PathElement::new(vec![(c, q3), (c, high)], line),
                    PathElement::new(vec![(c, q1), (c, low)], line),
                    PathElement::new(vec![(c - bw / 4.0, high), (c + bw / 4.0, high)], line),
                    PathElement::new(vec![(c - bw / 4.0, low), (c + bw / 4.0, low)], line),
                ])?;
            }
            Mark::Text {
                text,
                at,
                size,
                colour,
                anchor,
            } => {
                let p = map(at);
                if p.0.is_finite() && p.1.is_finite() {
                    let style = (FONT, *size).into_font().color(colour).pos(anchor.pos());
                    chart.draw_series(std::iter::once(Text::new(text.clone(), p, style)))?;
                }
            }
        }
    }

    if panel.legend.is_empty() {
        return Ok(());
    }
    for (label, swatch) in &panel.legend {
        let swatch = *swatch;
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(label.as_str())
            .legend(move |(px, py)| {
                let SwatchParts { lines, fill, dot } = swatch_parts(swatch);
                let [a, b, c, d] = lines;
                EmptyElement::at((px, py))
                    + Polygon::new(fill.0, fill.1)
                    + PathElement::new(a.0, a.1)
                    + PathElement::new(b.0, b.1)
                    + PathElement::new(c.0, c.1)
                    + PathElement::new(d.0, d.1)
                    + Circle::new((10, 0), dot.0, dot.1)
            });
    }
    let position = match panel.legend_at {
        LegendAt::Auto => emptiest_corner(panel, panel.legend.len()),
        LegendAt::UpperLeft => SeriesLabelPosition::UpperLeft,
        LegendAt::UpperRight => SeriesLabelPosition::UpperRight,
        LegendAt::LowerLeft => SeriesLabelPosition::LowerLeft,
        LegendAt::LowerRight => SeriesLabelPosition::LowerRight,
    };
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.92))
        .border_style(RGBColor(160, 160, 160))
        .draw()?;
    Ok(())
}

fn draw_line<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Ticked, Ticked>>,
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

    #[test]
    fn ticks_are_nice_and_labelled_with_the_decimals_they_need() {
        assert_eq!(nice_step(7.0, 8), 1.0);
        assert_eq!(nice_step(0.64, 8), 0.1);
        assert_eq!(nice_step(6.2, 7), 2.0);
        assert_eq!(nice_step(1.0, 5), 0.5);
        assert_eq!(nice_step(1.0, 6), 0.2);
        let axis = Axis::linear("", -0.52, 0.3);
        let (ticks, decimals) = axis.ticks();
        assert_eq!(decimals, 1);
        let labels: Vec<String> = ticks.iter().map(|&t| axis.format(t, decimals)).collect();
        assert_eq!(
            labels,
            ["-0.5", "-0.4", "-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"]
        );
        let axis = Axis::integers("", 0.5, 21.5, 22);
        let (ticks, _) = axis.ticks();
        assert_eq!(ticks.len(), 21);
        let axis = Axis::categories("", vec!["a".into(), "b".into()]);
        let (ticks, d) = axis.ticks();
        assert_eq!(
            ticks.iter().map(|&t| axis.format(t, d)).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn log_axes_tick_at_one_two_five() {
        let axis = Axis::log("", 0.15, 8.0);
        let (ticks, d) = axis.ticks();
        let labels: Vec<String> = ticks.iter().map(|&t| axis.format(t, d)).collect();
        assert_eq!(labels, ["0.2", "0.5", "1", "2", "5"]);
        let axis = Axis::log("", 1e-6, 10.0);
        let (ticks, d) = axis.ticks();
        let labels: Vec<String> = ticks.iter().map(|&t| axis.format(t, d)).collect();
        assert_eq!(
            labels,
            ["1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10"]
        );
        // Less than a factor of two still gets ticks.
        assert!(Axis::log("", 0.9, 1.3).ticks().0.len() >= 2);
        assert_eq!(plain(5e-5), "5e-5");
        assert_eq!(plain(2000.0), "2000");
    }

    #[test]
    fn lines_are_cut_at_the_frame_not_squashed_onto_it() {
        let pieces = clip_polyline(
            &[(0.0, 0.5), (1.0, 1.5), (2.0, 0.5), (3.0, 0.5)],
            (0.0, 3.0),
            (0.0, 1.0),
        );
        assert_eq!(
            pieces,
            vec![
                vec![(0.0, 0.5), (0.5, 1.0)],
                vec![(1.5, 1.0), (2.0, 0.5), (3.0, 0.5)]
            ]
        );
        assert!(clip_polyline(&[(0.0, 2.0), (1.0, 3.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
    }
}
