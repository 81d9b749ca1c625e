//! Tick positions and their labels: nice steps (1, 2 or 5 times a power of ten), log-axis ticks,
//! the decimals a step needs, numbers written plainly, and [`Ticked`], a plotters axis whose
//! ticks are given. Which axis gets which ticks is decided in axis.rs.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

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
pub fn decimals_of(step: f64) -> usize {
    (-(step.log10() + 1e-9).floor()).clamp(0.0, 8.0) as usize
}

/// Decimals that tell apart the ~8 ticks plotters itself puts on `lo..hi`, the same on every
/// tick (for axes whose ticks plotters chooses).
pub fn tick_decimals(lo: f64, hi: f64) -> usize {
    let step = (hi - lo).abs() / 10.0;
    if !(step.is_finite() && step > 0.0) {
        return 2;
    }
    (-step.log10()).ceil().clamp(0.0, 8.0) as usize
}

/// The multiples of `step` in `lo..=hi`.
pub fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Log-axis ticks (log10 coordinates) on `a..b` at 1-2-5, 1 or every m-th power of ten, the
/// densest giving at most `n`.
pub fn log_ticks(a: f64, b: f64, n: usize) -> Vec<f64> {
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

/// `v` with 3 significant digits, in scientific notation when it is below 0.001 or 10,000 or
/// more (a tuned learning rate `3.16e-4`, a dropout rate `0.200`).
pub fn compact(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-3..1e4).contains(&v.abs()) {
        format!("{v:.2e}")
    } else {
        significant(v, 3)
    }
}

/// `v` with `decimals` decimals, without a minus sign on a zero ("-0.00" reads oddly).
pub fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A linear f64 axis whose ticks are given (plotters' own `WithKeyPoints` loses the f64 label
/// formatter, which the mesh needs).
#[derive(Clone)]
pub struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    /// The axis `lo..hi` with grid lines and labels at `ticks`.
    pub fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Ticked {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers_have_three_significant_digits() {
        assert_eq!(compact(3.162_277e-4), "3.16e-4");
        assert_eq!(compact(0.001), "0.00100");
        assert_eq!(compact(0.2), "0.200");
        assert_eq!(compact(12_345.0), "1.23e4");
        assert_eq!(compact(0.0), "0");
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(7.0, 8), 1.0);
        assert_eq!(nice_step(0.64, 8), 0.1);
        assert_eq!(nice_step(6.2, 7), 2.0);
        assert_eq!(nice_step(1.0, 5), 0.5);
        assert_eq!(nice_step(1.0, 6), 0.2);
        assert_eq!(decimals_of(0.05), 2);
        assert_eq!(decimals_of(20.0), 0);
        assert_eq!(multiples(-0.52, 0.3, 0.1).len(), 9);
    }

    #[test]
    fn numbers_are_written_plainly() {
        assert_eq!(plain(5e-5), "5e-5");
        assert_eq!(plain(2000.0), "2000");
        assert_eq!(plain(0.0025), "0.0025");
        assert_eq!(significant(0.012345, 2), "0.012");
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed(-0.26, 1), "-0.3");
        assert_eq!(tick_decimals(0.0, 1.0), 1);
        assert_eq!(tick_decimals(0.8, 0.9), 2);
        assert_eq!(tick_decimals(1.0, 1.0), 2);
    }
}
