//! Geometry in data coordinates, independent of any backend: cutting lines to a rectangle
//! (Liang–Barsky), per-epoch curves as clipped polylines, a deterministic jitter for points in a
//! column, and where a legend fits (the corner holding the fewest drawn points, sampled along
//! the lines). Nothing here draws.

use plotters::prelude::SeriesLabelPosition;

/// A deterministic horizontal offset in [−spread/2, spread/2] for point `i` (a seed, a pass).
pub fn jitter(i: u64, spread: f64) -> f64 {
    // A fixed odd multiplier scatters consecutive indices (Fibonacci hashing).
    let h = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    (h as f64 / (1u64 << 53) as f64 - 0.5) * spread
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

/// A polyline cut to the rectangle: the pieces inside, each at least two points. A segment
/// with a non-finite end is dropped, so such a point breaks the line.
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
pub fn clip_curve(curve: &[f64], y0: f64, y1: f64) -> Vec<Vec<(f64, f64)>> {
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

/// The points of a polyline and `per_segment − 1` evenly spaced points inside each segment,
/// appended to `out`: what a legend must not cover.
pub fn sample_polyline(line: &[(f64, f64)], per_segment: usize, out: &mut Vec<(f64, f64)>) {
    out.extend(line.iter().copied());
    for w in line.windows(2) {
        for k in 1..per_segment {
            let t = k as f64 / per_segment as f64;
            out.push((
                w[0].0 + t * (w[1].0 - w[0].0),
                w[0].1 + t * (w[1].1 - w[0].1),
            ));
        }
    }
}

/// Which corner of the plot holds the fewest of `points` (data coordinates) in a legend box of
/// `(w, h)` (fractions of the plot's width and height); a tie goes to the earlier corner of
/// `preference`.
pub fn emptiest_corner(
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

#[cfg(test)]
mod tests {
    use super::*;
    use SeriesLabelPosition::{LowerLeft, LowerRight, UpperLeft, UpperRight};

    #[test]
    fn jitter_is_small_and_deterministic() {
        for s in 0..100 {
            assert!(jitter(s, 0.3).abs() <= 0.15);
            assert_eq!(jitter(s, 0.3), jitter(s, 0.3));
        }
        assert_ne!(jitter(0, 0.3), jitter(1, 0.3));
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

    #[test]
    fn lines_are_sampled_between_their_points() {
        let mut out = Vec::new();
        sample_polyline(&[(0.0, 0.0), (4.0, 8.0)], 4, &mut out);
        assert_eq!(
            out,
            [(0.0, 0.0), (4.0, 8.0), (1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]
        );
    }

    #[test]
    fn the_legend_goes_to_the_emptiest_corner_ties_by_preference() {
        let unit = (0.0, 1.0);
        let order = [UpperRight, LowerRight, UpperLeft, LowerLeft];
        // A rising line fills the lower-left and upper-right corners.
        let mut rising = Vec::new();
        sample_polyline(&[(0.0, 0.0), (1.0, 1.0)], 10, &mut rising);
        let corner = emptiest_corner(&rising, unit, unit, (0.3, 0.3), order.clone());
        assert_eq!(corner, LowerRight);
        let corner = emptiest_corner(
            &rising,
            unit,
            unit,
            (0.3, 0.3),
            [UpperLeft, LowerRight, UpperRight, LowerLeft],
        );
        assert_eq!(corner, UpperLeft);
        // Nothing drawn: the first preference.
        assert_eq!(
            emptiest_corner(&[], unit, unit, (0.3, 0.3), order),
            UpperRight
        );
    }
}
