//! Statistics of a cell's seeds, pure and seeded: summaries with a bootstrap confidence interval,
//! paired per-seed differences against a baseline, and what a cherry-picker keeping the best of
//! k seeds would report. Randomness comes only from a ChaCha stream of the caller's seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::zoo::rng::uniform01;

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 10_000;

/// A distribution's summary over its finite values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Finite values counted.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for one value.
    pub std: f64,
    /// Median.
    pub median: f64,
    /// Interquartile mean: the mean after dropping ⌊n/4⌋ values from each end of the sorted values
    /// (scipy's `trim_mean(x, 0.25)`, as rliable uses).
    pub iqm: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Lower end of the 95% percentile-bootstrap interval of the mean.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Median of sorted values.
fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The linear-interpolation quantile (numpy's default) of sorted values.
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// 95% percentile-bootstrap interval of the mean of `v`.
fn bootstrap_ci(v: &[f64], seed: u64) -> (f64, f64) {
    if v.len() == 1 {
        return (v[0], v[0]);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = v.len();
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            (0..n)
                .map(|_| v[((uniform01(&mut rng) * n as f64) as usize).min(n - 1)])
                .sum::<f64>()
                / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    (
        quantile_sorted(&means, 0.025),
        quantile_sorted(&means, 0.975),
    )
}

/// Summarizes the finite values; all NaN when there are none.
pub fn summarize(values: &[f64], seed: u64) -> Summary {
    let v = sorted_finite(values);
    let n = v.len();
    if n == 0 {
        let nan = f64::NAN;
        return Summary {
            n,
            mean: nan,
            std: nan,
            median: nan,
            iqm: nan,
            min: nan,
            max: nan,
            ci_low: nan,
            ci_high: nan,
        };
    }
    let m = mean(&v);
    let std = if n > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let cut = n / 4;
    let (ci_low, ci_high) = bootstrap_ci(&v, seed);
    Summary {
        n,
        mean: m,
        std,
        median: median_sorted(&v),
        iqm: mean(&v[cut..n - cut]),
        min: v[0],
        max: v[n - 1],
        ci_low,
        ci_high,
    }
}

/// A cell against the baseline, seed by seed; positive differences are improvements.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    /// Seeds present and finite in both.
    pub n: usize,
    /// Per-seed differences, in seed order.
    pub diffs: Vec<f64>,
    /// Mean difference.
    pub mean_diff: f64,
    /// 95% bootstrap interval of the mean difference.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Fraction of seeds that improved (ties count half).
    pub p_improvement: f64,
    /// The best single seed's gain: what one lucky run would show.
    pub best_gain: f64,
    /// The median gain.
    pub median_gain: f64,
    /// best_gain − median_gain: how far cherry-picking one seed inflates the claim.
    pub best_of_k_gap: f64,
}

/// Pairs `cell` with `baseline` by seed. `higher_is_better` orients the differences.
pub fn paired(
    cell: &[(u64, f64)],
    baseline: &[(u64, f64)],
    higher_is_better: bool,
    seed: u64,
) -> Paired {
    let mut diffs: Vec<(u64, f64)> = cell
        .iter()
        .filter_map(|&(s, x)| {
            let b = baseline.iter().find(|(bs, _)| *bs == s)?.1;
            (x.is_finite() && b.is_finite())
                .then(|| (s, if higher_is_better { x - b } else { b - x }))
        })
        .collect();
    diffs.sort_by_key(|(s, _)| *s);
    let diffs: Vec<f64> = diffs.into_iter().map(|(_, d)| d).collect();
    let n = diffs.len();
    if n == 0 {
        let nan = f64::NAN;
        return Paired {
            n,
            diffs,
            mean_diff: nan,
            ci_low: nan,
            ci_high: nan,
            p_improvement: nan,
            best_gain: nan,
            median_gain: nan,
            best_of_k_gap: nan,
        };
    }
    let sorted = sorted_finite(&diffs);
    let (ci_low, ci_high) = bootstrap_ci(&sorted, seed);
    let wins: f64 = diffs
        .iter()
        .map(|&d| {
            if d > 0.0 {
                1.0
            } else if d == 0.0 {
                0.5
            } else {
                0.0
            }
        })
        .sum();
    let best = sorted[n - 1];
    let median = median_sorted(&sorted);
    Paired {
        n,
        mean_diff: mean(&diffs),
        diffs,
        ci_low,
        ci_high,
        p_improvement: wins / n as f64,
        best_gain: best,
        median_gain: median,
        best_of_k_gap: best - median,
    }
}

/// The expected maximum of k values drawn without replacement from `values`: what someone who
/// tries k seeds and reports the best would report. Exact: with the values sorted ascending,
/// E = Σᵢ x₍ᵢ₎ · C(i−1, k−1) / C(n, k).
pub fn expected_best_of_k(values: &[f64], k: usize) -> f64 {
    let v = sorted_finite(values);
    let n = v.len();
    if n == 0 || k == 0 {
        return f64::NAN;
    }
    let k = k.min(n);
    // P(the i-th smallest is the max) = C(i−1, k−1)/C(n, k), built up by ratios to stay exact-ish.
    let ln_choose = |a: usize, b: usize| -> f64 {
        (0..b)
            .map(|j| ((a - j) as f64).ln() - ((j + 1) as f64).ln())
            .sum()
    };
    let total = ln_choose(n, k);
    v.iter()
        .enumerate()
        .filter(|(i, _)| *i + 1 >= k)
        .map(|(i, &x)| x * (ln_choose(i, k - 1) - total).exp())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_small_arrays() {
        let s = summarize(&[4.0, 1.0, 3.0, 2.0, f64::NAN], 1);
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, 2.5);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.median, 2.5);
        assert_eq!(s.iqm, 2.5); // drops one from each end: mean of 2, 3
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert!(s.ci_low <= s.mean && s.mean <= s.ci_high);
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0], 1);
        assert_eq!(s.iqm, 4.5, "mean of 3, 4, 5, 6: robust to the outlier");
    }

    #[test]
    fn ci_is_seeded_and_narrows_with_n() {
        let small: Vec<f64> = (0..5).map(|i| (i as f64 * 0.37).sin()).collect();
        let large: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin()).collect();
        let (a, b) = (summarize(&small, 9), summarize(&small, 9));
        assert_eq!((a.ci_low, a.ci_high), (b.ci_low, b.ci_high));
        let l = summarize(&large, 9);
        assert!(l.ci_high - l.ci_low < a.ci_high - a.ci_low);
        assert!(l.ci_low < l.mean && l.mean < l.ci_high);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(summarize(&[], 0).mean.is_nan());
        let one = summarize(&[0.5], 0);
        assert_eq!((one.ci_low, one.ci_high, one.std), (0.5, 0.5, 0.0));
    }

    #[test]
    fn paired_differences_match_by_seed_and_orientation() {
        let base = [(0, 0.80), (1, 0.82), (2, 0.81), (3, f64::NAN)];
        let cell = [(2, 0.85), (0, 0.80), (1, 0.81), (3, 0.9), (4, 0.99)];
        let p = paired(&cell, &base, true, 3);
        assert_eq!(p.n, 3);
        let expected = [0.0, 0.81 - 0.82, 0.85 - 0.81];
        for (d, e) in p.diffs.iter().zip(expected) {
            assert!((d - e).abs() < 1e-12);
        }
        assert!((p.p_improvement - 0.5).abs() < 1e-12); // one win, one tie, one loss
        assert!((p.best_gain - 0.04).abs() < 1e-12);
        assert_eq!(p.median_gain, 0.0);
        let losses = paired(&[(0, 1.0)], &[(0, 2.0)], false, 3);
        assert_eq!(
            losses.mean_diff, 1.0,
            "lower is better: 2 → 1 is a gain of 1"
        );
    }

    #[test]
    fn best_of_k_matches_brute_force() {
        let values = [0.3, -0.1, 0.7, 0.2, 0.05, -0.4];
        let n = values.len();
        for k in 1..=n {
            // Enumerate every k-subset.
            let (mut sum, mut count) = (0.0, 0);
            for mask in 0u32..(1 << n) {
                if mask.count_ones() as usize == k {
                    let best = (0..n)
                        .filter(|i| mask & (1 << i) != 0)
                        .map(|i| values[i])
                        .fold(f64::NEG_INFINITY, f64::max);
                    sum += best;
                    count += 1;
                }
            }
            let e = expected_best_of_k(&values, k);
            assert!(
                (e - sum / count as f64).abs() < 1e-9,
                "k={k}: {e} vs {}",
                sum / count as f64
            );
        }
        assert!((expected_best_of_k(&values, 1) - values.iter().sum::<f64>() / 6.0).abs() < 1e-12);
        assert_eq!(expected_best_of_k(&values, n), 0.7);
    }
}
