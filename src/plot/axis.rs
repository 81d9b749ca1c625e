//! Axes: a figure panel's [`Axis`] (title, range, linear or log scale, which ticks and how they
//! are labelled) and the data ranges of the study charts (finite values padded; the bulk of a
//! learning curve's values, so one diverging seed cannot flatten the rest). Tick arithmetic
//! lives in [`super::ticks`].

use super::ticks::{decimals_of, fixed, log_ticks, multiples, nice_step, plain};

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
    pub fn map(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log if v > 0.0 => v.log10(),
            Scale::Log => f64::NAN,
        }
    }

    /// The plotted range, never empty.
    pub fn range(&self) -> (f64, f64) {
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
    pub fn ticks(&self) -> (Vec<f64>, usize) {
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
    pub fn format(&self, v: f64, decimals: usize) -> String {
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
            (_, Scale::Linear) => fixed(v, decimals),
        }
    }
}

/// The finite values, sorted.
pub fn sorted_finite(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Pads `lo..hi` by 6% on each side (and gives a flat range some height).
pub fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.06).max(1e-3 * lo.abs().max(hi.abs()).max(1e-3));
    (lo - pad, hi + pad)
}

/// The y range of a learning-curve chart: the 2nd–98th percentile span of the finite values,
/// stretched to the true minimum / maximum when those lie within half a span of it (so ordinary
/// early-epoch losses stay visible) and padded. Returns the range and whether values fall outside.
pub fn robust_range(values: &[f64]) -> ((f64, f64), bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_labelled_with_the_decimals_they_need() {
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
}
