//! Charts, one function per kind, from plain data (no records, no IO beyond the chart files):
//! each writes `<stem>.png` (1000×600) and `<stem>.svg`. Text uses the bundled DejaVu Sans,
//! registered once, so no system font library is needed. Every seed is drawn, diverged ones
//! included, behind the aggregate.

use std::error::Error as StdError;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::stats::summarize;
use crate::error::{Error, Result};

/// Pixel size of every chart.
const SIZE: (u32, u32) = (1000, 600);

/// The font family every text uses; registered from the bundled DejaVu Sans.
pub(crate) const FONT: &str = "sans-serif";

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

/// The most pixels rotated category labels may take below the plot.
const MAX_LABEL_PX: u32 = 210;

/// The marker colour of diverged runs.
const DIVERGED: RGBColor = RGBColor(220, 0, 0);

/// The colour of cell `i` (the palette repeats after 12 cells).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Registers the bundled DejaVu fonts under [`FONT`] (once per process).
pub(crate) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled fonts are valid; a failure could only mean missing text, so it is ignored.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

type DrawResult = std::result::Result<(), Box<dyn StdError>>;

/// Draws with `$draw` (an expression using the drawing area `$root`) into `<stem>.png` and
/// `<stem>.svg`. A macro, not a function: the drawing code is generic over the backend.
macro_rules! render {
    ($stem:expr, $root:ident => $draw:expr) => {{
        register_font();
        let stem: &Path = $stem;
        let png = stem.with_extension("png");
        let svg = stem.with_extension("svg");
        let fail = |path: &Path, e: Box<dyn StdError>| Error::Chart {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        {
            let $root = BitMapBackend::new(&png, SIZE).into_drawing_area();
            let drawn: DrawResult = $draw;
            drawn
                .and_then(|_| $root.present().map_err(|e| e.into()))
                .map_err(|e| fail(&png, e))?;
        }
        {
            let $root = SVGBackend::new(&svg, SIZE).into_drawing_area();
            let drawn: DrawResult = $draw;
            drawn
                .and_then(|_| $root.present().map_err(|e| e.into()))
                .map_err(|e| fail(&svg, e))?;
        }
        Ok(())
    }};
}

/// A deterministic horizontal offset in [−spread/2, spread/2] for point `i` (a seed, a pass).
pub(crate) fn jitter(i: u64, spread: f64) -> f64 {
    // A fixed odd multiplier scatters consecutive indices (Fibonacci hashing).
    let h = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    (h as f64 / (1u64 << 53) as f64 - 0.5) * spread
}

/// `v` sorted, finite values only.
fn sorted_finite(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Pads `lo..hi` by 6% on each side (and gives a flat range some height).
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.06).max(1e-3 * lo.abs().max(hi.abs()).max(1e-3));
    (lo - pad, hi + pad)
}

/// The y range of a learning-curve chart: the 2nd–98th percentile span of the finite values,
/// stretched to the true minimum / maximum when those lie within half a span of it (so ordinary
/// early-epoch losses stay visible) and padded. Returns the range and whether values fall outside.
fn robust_range(values: &[f64]) -> ((f64, f64), bool) {
    let v = sorted_finite(values.iter().copied());
    if v.is_empty() {
        return ((0.0, 1.0), false);
    }
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let (p_lo, p_hi) = (at(0.02), at(0.98));
    let span = p_hi - p_lo;
    let (min, max) = (v[0], v[v.len() - 1]);
    let lo = if min >= p_lo - 0.5 * span { min } else { p_lo };
    let hi = if max <= p_hi + 0.5 * span { max } else { p_hi };
    (padded(lo, hi), lo > min || hi < max)
}

/// The part of segment a→b inside the rectangle (Liang–Barsky), if any; none when an end is not
/// finite.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    if ![a.0, a.1, b.0, b.1].iter().all(|v| v.is_finite()) {
        return None;
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x0),
        (dx, x1 - a.0),
        (-dy, a.1 - y0),
        (dy, y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((
        if t0 == 0.0 { a } else { at(t0) },
        if t1 == 1.0 { b } else { at(t1) },
    ))
}

/// A polyline cut to the rectangle: the pieces inside, each at least two points.
pub fn clip_polyline(points: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut piece: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        match clip_segment(w[0], w[1], x, y) {
            None => {
                if piece.len() > 1 {
                    out.push(std::mem::take(&mut piece));
                }
                piece.clear();
            }
            Some((p, q)) => {
                if piece.last() != Some(&p) {
                    if piece.len() > 1 {
                        out.push(std::mem::take(&mut piece));
                    }
                    piece.clear();
                    piece.push(p);
                }
                piece.push(q);
            }
        }
    }
    if piece.len() > 1 {
        out.push(piece);
    }
    out
}

/// A curve (value per 1-based epoch) as polylines clipped to the y range: a non-finite value
/// breaks the line, a stretch beyond the range is cut where it leaves. Isolated points (between
/// gaps) come back as one-point polylines.
fn clip_curve(curve: &[f64], y0: f64, y1: f64) -> Vec<Vec<(f64, f64)>> {
    let pts: Vec<(f64, f64)> = curve
        .iter()
        .enumerate()
        .map(|(e, &v)| (e as f64 + 1.0, v))
        .collect();
    let mut out = Vec::new();
    for (i, &p) in pts.iter().enumerate() {
        let finite = |j: Option<usize>| j.and_then(|j| pts.get(j)).is_some_and(|q| q.1.is_finite());
        if p.1.is_finite()
            && !finite(i.checked_sub(1))
            && !finite(Some(i + 1))
            && (y0..=y1).contains(&p.1)
        {
            out.push(vec![p]);
        }
    }
    out.extend(clip_polyline(
        &pts,
        (f64::NEG_INFINITY, f64::INFINITY),
        (y0, y1),
    ));
    out
}

/// Which corner of the plot holds the fewest of `points` (data coordinates) in a legend box of
/// `(w, h)` (fractions of the plot's width and height); a tie goes to the earlier corner of
/// `preference`.
pub(crate) fn emptiest_corner(
    points: &[(f64, f64)],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    (w, h): (f64, f64),
    preference: [SeriesLabelPosition; 4],
) -> SeriesLabelPosition {
    let count = |right: bool, upper: bool| {
        points
            .iter()
            .filter(|&&(x, y)| {
                let (u, v) = ((x - x0) / (x1 - x0), (y - y0) / (y1 - y0));
                let in_x = if right { u >= 1.0 - w } else { u <= w };
                let in_y = if upper { v >= 1.0 - h } else { v <= h };
                in_x && in_y
            })
            .count()
    };
    preference
        .into_iter()
        .map(|p| {
            let c = match p {
                SeriesLabelPosition::UpperRight => count(true, true),
                SeriesLabelPosition::LowerRight => count(true, false),
                SeriesLabelPosition::UpperLeft => count(false, true),
                _ => count(false, false),
            };
            (p, c)
        })
        .min_by_key(|(_, c)| *c)
        .map_or(SeriesLabelPosition::UpperRight, |(p, _)| p)
}

/// A chart's legend corner: [`emptiest_corner`] for a legend of `height` (as a fraction of the
/// plot), right-hand corners first on a tie.
fn legend_corner(
    points: &[(f64, f64)],
    x: (f64, f64),
    y: (f64, f64),
    height: f64,
) -> SeriesLabelPosition {
    use SeriesLabelPosition::{LowerLeft, LowerRight, UpperLeft, UpperRight};
    let size = (0.4, height.clamp(0.15, 0.6));
    emptiest_corner(
        points,
        x,
        y,
        size,
        [UpperRight, LowerRight, UpperLeft, LowerLeft],
    )
}

/// Samples along polylines so that a legend is not put over a line.
fn sample_lines(lines: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for line in lines {
        out.extend(line.iter().copied());
        for w in line.windows(2) {
            for k in 1..8 {
                let t = k as f64 / 8.0;
                out.push((
                    w[0].0 + t * (w[1].0 - w[0].0),
                    w[0].1 + t * (w[1].1 - w[0].1),
                ));
            }
        }
    }
    out
}

/// Decimals that tell apart the ~8 ticks plotters puts on `lo..hi`, the same on every tick.
fn tick_decimals(lo: f64, hi: f64) -> usize {
    let step = (hi - lo).abs() / 10.0;
    if !(step.is_finite() && step > 0.0) {
        return 2;
    }
    (-step.log10()).ceil().clamp(0.0, 8.0) as usize
}

/// `label` cut in the middle with an ellipsis to at most `max` characters.
fn shorten(label: &str, max: usize) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= max || max < 5 {
        return label.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[chars.len() - tail..]);
    s
}

/// A grid label (`optimizer=adam(beta_1=0.9), learning_rate=0.01`) as its (key, value) pairs,
/// split at top-level commas only (values may hold bracketed parameter lists); `None` when a
/// part is not `key=value`.
fn label_pairs(label: &str) -> Option<Vec<(&str, &str)>> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in label.char_indices() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&label[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&label[start..]);
    parts
        .into_iter()
        .map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.contains(['(', '[', '{', ' '])).then_some((k, v.trim()))
        })
        .collect()
}

/// Category labels made short by saying the axis names once: when every label is `k=v, …`
/// with the same keys in the same order, each becomes the values of the keys that vary across
/// cells, and the second item names those keys (plus the keys every cell shares, with their
/// value) for the axis title. Otherwise the labels come back as they are, with no title.
fn factor_labels(labels: &[String]) -> (Vec<String>, String) {
    let unchanged = || (labels.to_vec(), String::new());
    let parsed: Option<Vec<Vec<(&str, &str)>>> = labels.iter().map(|l| label_pairs(l)).collect();
    let Some(parsed) = parsed else {
        return unchanged();
    };
    let Some(first) = parsed.first() else {
        return unchanged();
    };
    let keys: Vec<&str> = first.iter().map(|p| p.0).collect();
    if parsed
        .iter()
        .any(|p| p.iter().map(|q| q.0).ne(keys.iter().copied()))
    {
        return unchanged();
    }
    let varies: Vec<bool> = (0..keys.len())
        .map(|i| parsed.iter().any(|p| p[i].1 != first[i].1))
        .collect();
    if !varies.contains(&true) {
        return unchanged();
    }
    let short = parsed
        .iter()
        .map(|p| {
            p.iter()
                .zip(&varies)
                .filter(|(_, &v)| v)
                .map(|(q, _)| q.1)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let varying: Vec<&str> = keys
        .iter()
        .zip(&varies)
        .filter(|(_, &v)| v)
        .map(|(k, _)| *k)
        .collect();
    let fixed: Vec<String> = first
        .iter()
        .zip(&varies)
        .filter(|(_, &v)| !v)
        .map(|((k, v), _)| format!("{k}={v}"))
        .collect();
    let mut title = varying.join(", ");
    if !fixed.is_empty() {
        title.push_str(&format!("   (every cell: {})", fixed.join(", ")));
    }
    (short, title)
}

/// The title font: 22 px bold, smaller (down to 14 px) when the title would not fit the width.
fn title_font<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str) -> FontDesc<'static> {
    let mut size = 22.0;
    while size > 14.0 {
        let font = FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold);
        match root.estimate_text_size(title, &font.into()) {
            Ok((w, _)) if w + 40 > SIZE.0 => size -= 1.0,
            _ => break,
        }
    }
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold)
}

/// A strip plot: x = cell, every seed's value as a point (jittered by a hash of the seed), the
/// cell's mean as a black bar with its 95% bootstrap interval beside it (bootstrap seed 0; see
/// [`seed_points_seeded`] to match a report's intervals). Non-finite values (diverged runs) are
/// red crosses along the bottom edge, with a "diverged" legend entry.
pub fn seed_points(
    stem: &Path,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<(u64, f64)>)],
) -> Result<()> {
    seed_points_seeded(stem, title, y_label, cells, 0)
}

/// [`seed_points`] with the intervals bootstrapped from `ci_seed`.
pub fn seed_points_seeded(
    stem: &Path,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<(u64, f64)>)],
    ci_seed: u64,
) -> Result<()> {
    render!(stem, root => draw_seed_points(&root, title, y_label, cells, ci_seed))
}

fn draw_seed_points<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<(u64, f64)>)],
    ci_seed: u64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = cells.len().max(1);
    let finite = sorted_finite(cells.iter().flat_map(|(_, v)| v.iter().map(|p| p.1)));
    let any_diverged = cells
        .iter()
        .any(|(_, v)| v.iter().any(|p| !p.1.is_finite()));
    let (mut y0, y1) = match (finite.first(), finite.last()) {
        (Some(&lo), Some(&hi)) => padded(lo, hi),
        _ => (0.0, 1.0),
    };
    // A strip below every finite value for the diverged markers.
    let diverged_y = y0;
    if any_diverged {
        y0 -= (y1 - y0) * 0.06;
    }

    // Category labels: horizontal when they fit their column, else rotated (reading upwards)
    // and, when still too long, shortened in the middle.
    let column_px = (SIZE.0 as f64 - 120.0) / n as f64;
    let widest = |labels: &[String], font: &FontDesc| {
        labels
            .iter()
            .map(|l| {
                root.estimate_text_size(l, &font.clone().into())
                    .map_or(0, |s| s.0)
            })
            .max()
            .unwrap_or(0)
    };
    let full: Vec<String> = cells.iter().map(|(l, _)| l.clone()).collect();
    let (mut labels, x_desc) = factor_labels(&full);
    let horizontal_font = (FONT, 15).into_font();
    let rotate = f64::from(widest(&labels, &horizontal_font)) > column_px - 8.0;
    // Rotated labels are a little smaller, so more of a long label fits.
    let label_font = if rotate {
        (FONT, 14).into_font()
    } else {
        horizontal_font
    };
    let widest = |labels: &[String]| widest(labels, &label_font);
    if rotate {
        // At most a third of the height goes to labels; longer ones lose their middle.
        let unshortened = labels.clone();
        let mut max = 40;
        while max > 8 && widest(&labels) > MAX_LABEL_PX {
            max -= 2;
            labels = unshortened.iter().map(|l| shorten(l, max)).collect();
        }
    }
    let desc_px = if x_desc.is_empty() { 0 } else { 30 };
    let label_area = if rotate { widest(&labels) + 16 } else { 40 } + desc_px;

    let decimals = tick_decimals(y0, y1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, title_font(root, title))
        .margin(15)
        .margin_right(25)
        .x_label_area_size(label_area)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, y0..y1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .x_labels(0)
        .x_desc(x_desc)
        .y_labels(8)
        .y_desc(y_label)
        .y_label_style((FONT, 15))
        .y_label_formatter(&|y| format!("{y:.decimals$}"))
        .axis_desc_style((FONT, 17))
        .draw()?;
    // Category labels are drawn by hand under each column: the x axis is numeric so points can
    // be jittered within a column.
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64, y0));
        let style = if rotate {
            label_font
                .clone()
                .transform(FontTransform::Rotate270)
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            label_font
                .clone()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top))
        };
        root.draw(&Text::new(label.clone(), (px, py + 8), style))?;
    }

    let mut drawn: Vec<(f64, f64)> = Vec::new();
    for (i, (_, values)) in cells.iter().enumerate() {
        let x = i as f64;
        let c = colour(i);
        let points: Vec<(f64, f64)> = values
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|&(s, v)| (x - 0.08 + jitter(s, 0.3), v))
            .collect();
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, 4, c.mix(0.8).filled())),
        )?;
        drawn.extend(&points);
        let crosses: Vec<(f64, f64)> = values
            .iter()
            .filter(|(_, v)| !v.is_finite())
            .map(|&(s, _)| (x - 0.08 + jitter(s, 0.3), diverged_y))
            .collect();
        chart.draw_series(
            crosses
                .iter()
                .map(|&p| Cross::new(p, 6, DIVERGED.stroke_width(2))),
        )?;
        if crosses.len() > 1 {
            // Crosses of nearby seeds overlap; say how many there are.
            let right = crosses
                .iter()
                .map(|p| p.0)
                .fold(f64::NEG_INFINITY, f64::max);
            let (px, py) = chart.backend_coord(&(right, diverged_y));
            root.draw(&Text::new(
                format!("×{}", crosses.len()),
                (px + 9, py),
                (FONT, 13)
                    .into_font()
                    .color(&DIVERGED)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        drawn.extend(&crosses);
        let s = summarize(&values.iter().map(|p| p.1).collect::<Vec<_>>(), ci_seed);
        if values.is_empty() {
            let (px, py) = chart.backend_coord(&(x, (y0 + y1) / 2.0));
            root.draw(&Text::new(
                "no runs yet",
                (px, py),
                (FONT, 14)
                    .into_font()
                    .color(&RGBColor(120, 120, 120))
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        } else if s.n > 0 {
            // The interval stands to the right of the points so it hides none of them.
            let bar = x + 0.3;
            let cap = 0.05;
            let whisker = BLACK.stroke_width(2);
            chart.draw_series([
                PathElement::new(
                    vec![(x - 0.25, s.mean), (bar, s.mean)],
                    BLACK.stroke_width(3),
                ),
                PathElement::new(vec![(bar, s.ci_low), (bar, s.ci_high)], whisker),
                PathElement::new(vec![(bar - cap, s.ci_low), (bar + cap, s.ci_low)], whisker),
                PathElement::new(
                    vec![(bar - cap, s.ci_high), (bar + cap, s.ci_high)],
                    whisker,
                ),
            ])?;
            drawn.extend([
                (x - 0.25, s.mean),
                (bar, s.mean),
                (bar, s.ci_low),
                (bar, s.ci_high),
            ]);
        }
    }

    // Legend entries from empty series: they label, they draw nothing.
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("one seed")
        .legend(|(x, y)| Circle::new((x + 10, y), 4, RGBColor(90, 90, 90).filled()));
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label("mean, and its 95% bootstrap CI")
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (14, 0)], BLACK.stroke_width(3))
                + PathElement::new(vec![(18, -6), (18, 6)], BLACK.stroke_width(2))
        });
    let mut entries = 2;
    if any_diverged {
        entries += 1;
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label("diverged (no value; along the bottom)")
            .legend(|(x, y)| Cross::new((x + 10, y), 5, DIVERGED.stroke_width(2)));
    }
    let corner = legend_corner(
        &drawn,
        (-0.5, n as f64 - 0.5),
        (y0, y1),
        0.05 + 0.055 * entries as f64,
    );
    chart
        .configure_series_labels()
        .position(corner)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(150, 150, 150))
        .draw()?;
    Ok(())
}

/// Per-epoch curves (x = 1-based epoch): each seed thin and translucent in its cell's colour,
/// the cell's mean thick on top, a legend of cells. The mean at an epoch is over the seeds that
/// reached it and never turned non-finite: a diverged run is drawn (thin, ending in a cross) but
/// left out of the mean, as the report's statistics leave it out. The y range covers the bulk of the finite values (2nd–98th percentile, stretched to
/// the extremes when they are near), so one diverging seed cannot flatten the rest; lines beyond
/// it are clipped at the edge and the x-axis title says how many points lie outside. A curve
/// that turns non-finite (a diverged run) gets a red cross on the top edge at that epoch.
pub fn learning_curves(
    stem: &Path,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<Vec<f64>>)],
) -> Result<()> {
    render!(stem, root => draw_learning_curves(&root, title, y_label, cells))
}

fn draw_learning_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    cells: &[(String, Vec<Vec<f64>>)],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
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
    let mut chart = line_chart(root, title, x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .x_desc(x_desc)
        .y_desc(y_label)
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
    let mut diverged_at: std::collections::BTreeMap<usize, usize> = Default::default();
    for (i, (_, seeds)) in cells.iter().enumerate() {
        let c = colour(i);
        for curve in seeds {
            for line in clip_curve(curve, y0, y1) {
                if line.len() == 1 {
                    chart.draw_series([Circle::new(line[0], 2, c.mix(0.5).filled())])?;
                } else {
                    chart
                        .draw_series(LineSeries::new(line.clone(), c.mix(0.45).stroke_width(1)))?;
                }
                drawn.push(line);
            }
            if let Some(e) = curve.iter().position(|v| !v.is_finite()) {
                *diverged_at.entry(e).or_default() += 1;
            }
        }
    }
    let any_diverged = !diverged_at.is_empty();
    let top = y1 - (y1 - y0) * 0.015;
    for (&e, &count) in &diverged_at {
        let at = (e as f64 + 1.0, top);
        chart.draw_series([Cross::new(at, 6, DIVERGED.stroke_width(2))])?;
        if count > 1 {
            // Crosses at one epoch coincide; say how many there are.
            let (px, py) = chart.backend_coord(&at);
            root.draw(&Text::new(
                format!("×{count}"),
                (px + 9, py),
                (FONT, 13)
                    .into_font()
                    .color(&DIVERGED)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        drawn.push(vec![at, (at.0 + 0.3, at.1)]);
    }
    // The means go on top of every cell's seeds.
    for (i, (label, seeds)) in cells.iter().enumerate() {
        let c = colour(i);
        // Diverged seeds are left out of the mean, as they are out of the report's statistics.
        let finite: Vec<&Vec<f64>> = seeds
            .iter()
            .filter(|s| s.iter().all(|v| v.is_finite()))
            .collect();
        let mean: Vec<f64> = (0..epochs)
            .map(|e| {
                let v: Vec<f64> = finite.iter().filter_map(|s| s.get(e).copied()).collect();
                if v.is_empty() {
                    f64::NAN
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                }
            })
            .collect();
        let lines = clip_curve(&mean, y0, y1);
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
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label(shorten(label, 40))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3)));
    }
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
        .label("thin: one seed; thick: mean of non-diverged seeds")
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(
                    vec![(0, -4), (20, -4)],
                    RGBColor(120, 120, 120).stroke_width(1),
                )
                + PathElement::new(vec![(0, 3), (20, 3)], RGBColor(90, 90, 90).stroke_width(3))
        });
    let mut entries = cells.len() + 1;
    if any_diverged {
        entries += 1;
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label("diverged (loss non-finite) at this epoch")
            .legend(|(x, y)| Cross::new((x + 10, y), 5, DIVERGED.stroke_width(2)));
    }
    let corner = legend_corner(
        &sample_lines(&drawn),
        (x0, x1),
        (y0, y1),
        0.05 + 0.055 * entries as f64,
    );
    chart
        .configure_series_labels()
        .position(corner)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(150, 150, 150))
        .draw()?;
    Ok(())
}

/// The plot area of a line chart (learning curves, lr range test): title, margins, label areas.
fn line_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> std::result::Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    Box<dyn StdError>,
>
where
    DB::ErrorType: 'static,
{
    Ok(ChartBuilder::on(root)
        .caption(title, title_font(root, title))
        .margin(15)
        .margin_right(25)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)?)
}

/// The learning-rate range test: minibatch loss (thin) and its smoothed curve (thick) against
/// η on a log axis, with the suggested η marked.
pub fn lr_range(
    stem: &Path,
    title: &str,
    learning_rates: &[f64],
    losses: &[f64],
    smoothed: &[f64],
    suggestion: Option<f64>,
) -> Result<()> {
    render!(stem, root => draw_lr_range(&root, title, learning_rates, losses, smoothed, suggestion))
}

fn draw_lr_range<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    learning_rates: &[f64],
    losses: &[f64],
    smoothed: &[f64],
    suggestion: Option<f64>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let log: Vec<f64> = learning_rates.iter().map(|l| l.log10()).collect();
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
    let (y0, y1) = padded(lo.min(first), first.max(lo) * 1.6);
    let mut chart = line_chart(root, title, x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .x_desc("learning rate (log scale)")
        .y_desc("training loss")
        .x_label_style((FONT, 15))
        .y_label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .x_label_formatter(&|x| format!("{:.0e}", 10f64.powf(*x)))
        .draw()?;
    // η grows geometrically, so log η is linear in the step: clipped (fractional) steps map exactly.
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
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], colour(0).stroke_width(3)));
    }
    if let Some(s) = suggestion {
        let x = s.log10();
        chart
            .draw_series(LineSeries::new(
                [(x, y0), (x, y1)],
                colour(3).stroke_width(2),
            ))?
            .label(format!("suggested η = {s:.2e}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], colour(3).stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(180, 180, 180))
        .label_font((FONT, 15))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip_cells(
        n_cells: usize,
        label: impl Fn(usize) -> String,
    ) -> Vec<(String, Vec<(u64, f64)>)> {
        (0..n_cells)
            .map(|c| {
                (
                    label(c),
                    (0..10)
                        .map(|s| {
                            let wiggle = ((s * 7 + c * 3) % 10) as f64 * 0.002;
                            (s as u64, 0.84 + 0.004 * c as f64 + wiggle)
                        })
                        .collect(),
                )
            })
            .collect()
    }

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
    fn charts_are_written_as_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let mut cells = strip_cells(4, |c| format!("cell{c}"));
        cells[1].1[2].1 = f64::NAN;
        cells.push(("empty".into(), Vec::new()));
        seed_points(
            &dir.path().join("points"),
            "Test accuracy",
            "accuracy",
            &cells,
        )
        .unwrap();
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
        for f in ["points.png", "points.svg", "curves.png", "curves.svg"] {
            let len = std::fs::metadata(dir.path().join(f)).unwrap().len();
            assert!(len > 5000, "{f}: {len} bytes");
        }
        let png = std::fs::read(dir.path().join("points.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = std::fs::read_to_string(dir.path().join("points.svg")).unwrap();
        assert!(svg.contains("diverged"), "the legend names diverged runs");
        assert!(svg.contains("cell3") && svg.contains("no runs yet"));
        let svg = std::fs::read_to_string(dir.path().join("curves.svg")).unwrap();
        assert!(svg.contains("optimizer=opt2") && svg.contains("diverged"));
        assert!(
            svg.contains("1 value(s) beyond the y range"),
            "the 1e6 point is clipped"
        );
    }

    #[test]
    fn degenerate_inputs_still_draw() {
        let dir = tempfile::tempdir().unwrap();
        seed_points(&dir.path().join("a"), "t", "y", &[]).unwrap();
        let nan_only = vec![("x".to_string(), vec![(0, f64::NAN), (1, f64::INFINITY)])];
        seed_points(&dir.path().join("b"), "t", "y", &nan_only).unwrap();
        let one = vec![("x".to_string(), vec![(0, 0.5)])];
        seed_points(&dir.path().join("c"), "t", "y", &one).unwrap();
        learning_curves(&dir.path().join("d"), "t", "y", &[]).unwrap();
        let one_epoch = vec![("x".to_string(), vec![vec![0.5], vec![f64::NAN]])];
        learning_curves(&dir.path().join("e"), "t", "y", &one_epoch).unwrap();
    }

    #[test]
    fn jitter_is_small_and_deterministic() {
        for s in 0..100 {
            assert!(jitter(s, 0.3).abs() <= 0.15);
            assert_eq!(jitter(s, 0.3), jitter(s, 0.3));
        }
        assert_ne!(jitter(0, 0.3), jitter(1, 0.3));
    }

    #[test]
    fn robust_range_ignores_a_diverging_seed_but_keeps_early_epochs() {
        let mut v: Vec<f64> = (0..100).map(|i| 0.3 + 0.003 * i as f64).collect();
        let ((lo, hi), clamped) = robust_range(&v);
        assert!(!clamped && lo < 0.3 && hi > 0.597 && hi < 0.7);
        v.push(1e6);
        v.push(f64::NAN);
        let ((lo, hi), clamped) = robust_range(&v);
        assert!(clamped && lo < 0.3 && hi < 0.7, "{lo}..{hi}");
    }

    #[test]
    fn curves_are_clipped_not_bent() {
        // 0.5 → 1.5 leaves the range [0, 1] halfway between epochs 1 and 2.
        let lines = clip_curve(&[0.5, 1.5, 0.5, f64::NAN, 0.2, 0.3], 0.0, 1.0);
        assert_eq!(
            lines,
            vec![
                vec![(1.0, 0.5), (1.5, 1.0)],
                vec![(2.5, 1.0), (3.0, 0.5)],
                vec![(5.0, 0.2), (6.0, 0.3)],
            ]
        );
        assert_eq!(clip_curve(&[0.5], 0.0, 1.0), vec![vec![(1.0, 0.5)]]);
        assert_eq!(
            clip_curve(&[f64::NAN, 0.5, f64::NAN], 0.0, 1.0),
            vec![vec![(2.0, 0.5)]]
        );
    }

    #[test]
    fn long_labels_are_shortened_in_the_middle() {
        assert_eq!(shorten("short", 10), "short");
        let s = shorten("optimizer=adam,learning_rate=0.001,batch=32", 21);
        assert_eq!(s.chars().count(), 21);
        assert_eq!(s, "optimizer=…1,batch=32");
    }

    #[test]
    fn grid_labels_are_factored_into_values_and_an_axis_title() {
        let labels: Vec<String> = [
            "optimizer=adam(beta_1=0.9, beta_2=0.99), learning_rate=0.01, batch=32",
            "optimizer=sgd, learning_rate=0.1, batch=32",
        ]
        .map(String::from)
        .to_vec();
        let (short, title) = factor_labels(&labels);
        assert_eq!(short, ["adam(beta_1=0.9, beta_2=0.99), 0.01", "sgd, 0.1"]);
        assert_eq!(title, "optimizer, learning_rate   (every cell: batch=32)");
        assert_eq!(
            label_pairs("model.norm=batch(momentum=0.9)"),
            Some(vec![("model.norm", "batch(momentum=0.9)")])
        );
        // Different keys, free text, or nothing varying: left as they are.
        for labels in [
            vec!["optimizer=sgd".to_string(), "learning_rate=0.1".to_string()],
            vec!["sgd".to_string(), "adam".to_string()],
            vec!["optimizer=sgd".to_string()],
            vec![],
        ] {
            assert_eq!(factor_labels(&labels), (labels.clone(), String::new()));
        }
    }

    /// Renders examples to /tmp/report_preview for a person to look at (run with --ignored).
    #[test]
    #[ignore]
    fn preview() {
        let dir = Path::new("/tmp/report_preview");
        std::fs::create_dir_all(dir).unwrap();
        let mut cells = strip_cells(5, |c| {
            ["sgd", "momentum", "nesterov", "adam", "rmsprop"][c].to_string()
        });
        cells[3].1[4].1 = f64::NAN;
        cells[3].1[7].1 = f64::INFINITY;
        seed_points(
            &dir.join("points"),
            "fashion-mnist: test accuracy, every seed",
            "test accuracy",
            &cells,
        )
        .unwrap();
        let mut many = strip_cells(12, |c| {
            let opt = ["sgd", "momentum(beta=0.9)", "adamw(weight_decay=0.01)"][c % 3];
            format!(
                "optimizer={opt}, learning_rate=0.00{}, batch_size=32",
                c / 3 + 1
            )
        });
        for s in [1, 2, 3] {
            many[11].1[s].1 = f64::NAN;
        }
        seed_points(
            &dir.join("points_many"),
            "12 cells with long labels",
            "test accuracy",
            &many,
        )
        .unwrap();
        let mut curves = curve_cells(4);
        curves[2].1[1].truncate(8);
        curves[2].1[1].push(f64::NAN);
        curves[1].1[0][4] = 40.0;
        learning_curves(
            &dir.join("curves"),
            "fashion-mnist: validation loss per epoch",
            "validation loss",
            &curves,
        )
        .unwrap();
    }
}
