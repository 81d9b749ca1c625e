//! Statistics of a cell's seeds, pure and seeded: summaries with a bootstrap confidence interval,
//! paired per-seed differences against a baseline, and what a cherry-picker keeping the best of
//! k seeds would report. No IO; randomness comes only from a ChaCha8 stream of the caller's seed,
//! with the index sampling written here so a `rand` upgrade cannot move an interval.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 10_000;

/// A distribution's summary over its finite values (non-finite ones are left out; the caller
/// reports how many).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Finite values counted.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1); 0 for one value.
    pub std: f64,
    /// Median (mean of the two middle values when n is even).
    pub median: f64,
    /// Interquartile mean, as rliable computes it (`scipy.stats.trim_mean(x, 0.25)`): sort the
    /// n values, drop ⌊n/4⌋ from each end, and average the rest. With n < 4 nothing is dropped
    /// (plain mean); n = 5 averages the middle 3, n = 8 the middle 4, n = 10 the middle 6.
    pub iqm: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Lower end of the 95% percentile-bootstrap interval of the mean: [`RESAMPLES`] resamples
    /// of n values with replacement, the 2.5% and 97.5% quantiles (linear interpolation) of
    /// their means. Equals the value itself when n = 1.
    pub ci_low: f64,
    /// Upper end of that interval.
    pub ci_high: f64,
}

impl Summary {
    /// The summary of no values: n = 0, every statistic NaN.
    pub fn empty() -> Self {
        let nan = f64::NAN;
        Summary {
            n: 0,
            mean: nan,
            std: nan,
            median: nan,
            iqm: nan,
            min: nan,
            max: nan,
            ci_low: nan,
            ci_high: nan,
        }
    }
}

fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The median of the finite values of `values` (NaN when there are none).
pub fn median(values: &[f64]) -> f64 {
    median_sorted(&sorted_finite(values))
}

/// Median of sorted values (NaN when empty).
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

/// The linear-interpolation quantile (numpy's default) of sorted values (NaN when empty).
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// A uniform index in 0..n from one stream word (multiply-shift; bias below 2⁻⁶⁰ for any n a
/// study has).
fn index(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// 95% percentile-bootstrap interval of the mean of the finite, non-empty `v`.
fn bootstrap_ci(v: &[f64], seed: u64) -> (f64, f64) {
    let n = v.len();
    if n == 1 {
        return (v[0], v[0]);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| (0..n).map(|_| v[index(&mut rng, n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    (
        quantile_sorted(&means, 0.025),
        quantile_sorted(&means, 0.975),
    )
}

/// Summarizes the finite values of `values`, bootstrapping the mean's interval from `seed`.
/// With no finite value every statistic is NaN ([`Summary::empty`]).
pub fn summarize(values: &[f64], seed: u64) -> Summary {
    let v = sorted_finite(values);
    let n = v.len();
    if n == 0 {
        return Summary::empty();
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
    /// Seeds present in both and finite in both.
    pub n: usize,
    /// Those seeds, ascending.
    pub seeds: Vec<u64>,
    /// The per-seed differences (oriented: positive = better), in the order of `seeds`.
    pub diffs: Vec<f64>,
    /// Mean difference.
    pub mean_diff: f64,
    /// Lower end of the 95% percentile-bootstrap interval of the mean difference (seeds
    /// resampled as pairs, [`RESAMPLES`] times).
    pub ci_low: f64,
    /// Upper end of that interval.
    pub ci_high: f64,
    /// Fraction of seeds whose difference is positive, a tie counting one half.
    pub p_improvement: f64,
    /// The best single seed's gain: what one lucky run would show.
    pub best_gain: f64,
    /// The median gain.
    pub median_gain: f64,
    /// `best_gain − median_gain`: how much reporting the luckiest seed inflates the typical gain.
    pub best_of_k_gap: f64,
}

/// Pairs `cell` with `baseline` by seed (seeds missing from either side, or non-finite in
/// either, are left out). `higher_is_better` orients the differences so positive = improvement:
/// `cell − baseline` when true, `baseline − cell` when false. With no pair every statistic is NaN.
pub fn paired(
    cell: &[(u64, f64)],
    baseline: &[(u64, f64)],
    higher_is_better: bool,
    seed: u64,
) -> Paired {
    let mut pairs: Vec<(u64, f64)> = cell
        .iter()
        .filter_map(|&(s, x)| {
            let b = baseline.iter().find(|(bs, _)| *bs == s)?.1;
            (x.is_finite() && b.is_finite())
                .then_some((s, if higher_is_better { x - b } else { b - x }))
        })
        .collect();
    pairs.sort_by_key(|(s, _)| *s);
    pairs.dedup_by_key(|(s, _)| *s);
    let (seeds, diffs): (Vec<u64>, Vec<f64>) = pairs.into_iter().unzip();
    let n = diffs.len();
    if n == 0 {
        let nan = f64::NAN;
        return Paired {
            n,
            seeds,
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
        seeds,
        diffs,
        ci_low,
        ci_high,
        p_improvement: wins / n as f64,
        best_gain: best,
        median_gain: median,
        best_of_k_gap: best - median,
    }
}

/// The expected maximum of k values drawn without replacement from the finite `values`: what
/// someone who tries k of these seeds and reports the best one would report. Exact, no sampling:
/// with the n values sorted ascending x₍₁₎ ≤ … ≤ x₍ₙ₎, the i-th smallest is the maximum of a
/// uniformly random k-subset with probability C(i−1, k−1) / C(n, k), so
/// E = Σᵢ x₍ᵢ₎ · C(i−1, k−1) / C(n, k). (Ties change nothing: tied values are interchangeable.)
/// The weights are built from the top down by the ratio w₍ᵢ₋₁₎ / w₍ᵢ₎ = (i−k)/(i−1), starting
/// at w₍ₙ₎ = k/n, so no binomial coefficient is formed and nothing overflows.
/// k = 1 gives the mean, k = n the maximum; k = 0 or k > n (more seeds than recorded) is NaN.
pub fn expected_best_of_k(values: &[f64], k: usize) -> f64 {
    let v = sorted_finite(values);
    let n = v.len();
    if k == 0 || k > n {
        return f64::NAN;
    }
    let mut w = k as f64 / n as f64;
    let mut total = 0.0;
    // i runs n, n−1, …, k (1-based); below k the weight is zero.
    for i in (k..=n).rev() {
        total += v[i - 1] * w;
        if i > 1 {
            w *= (i - k) as f64 / (i - 1) as f64;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn summary_of_small_arrays() {
        let s = summarize(&[4.0, 1.0, 3.0, 2.0, f64::NAN, f64::INFINITY], 1);
        assert_eq!(s.n, 4, "non-finite values are not counted");
        assert_eq!(s.mean, 2.5);
        // Squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, over n − 1 = 3.
        assert!(close(s.std, (5.0f64 / 3.0).sqrt()));
        assert_eq!(s.median, 2.5);
        assert_eq!(s.iqm, 2.5, "drops one value from each end: mean of 2, 3");
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert!(s.ci_low <= s.mean && s.mean <= s.ci_high);

        let s = summarize(&[5.0, 1.0, 4.0, 2.0, 30.0], 1);
        assert_eq!(s.median, 4.0);
        assert_eq!(s.mean, 8.4);
        assert!(close(s.iqm, 11.0 / 3.0), "n = 5 keeps 2, 4, 5");
        // Deviations -3.4 -7.4 -4.4 -6.4 21.6; squares sum to 593.2; / 4 = 148.3.
        assert!(close(s.std, 148.3f64.sqrt()));

        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0], 1);
        assert_eq!(s.iqm, 4.5, "mean of 3, 4, 5, 6: robust to the outlier");
        assert_eq!(
            summarize(&[1.0, 2.0, 9.0], 1).iqm,
            4.0,
            "n < 4 drops nothing"
        );
    }

    #[test]
    fn ci_is_seeded_contains_the_mean_and_narrows_with_n() {
        let small: Vec<f64> = (0..5).map(|i| (i as f64 * 0.37).sin()).collect();
        let large: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin()).collect();
        let (a, b) = (summarize(&small, 9), summarize(&small, 9));
        assert_eq!((a.ci_low, a.ci_high), (b.ci_low, b.ci_high), "same seed");
        let c = summarize(&small, 10);
        assert_ne!((a.ci_low, a.ci_high), (c.ci_low, c.ci_high), "other seed");
        assert!(a.ci_low < a.mean && a.mean < a.ci_high);
        let l = summarize(&large, 9);
        assert!(l.ci_high - l.ci_low < a.ci_high - a.ci_low);
        assert!(l.ci_low < l.mean && l.mean < l.ci_high);
        // For n = 200 the bootstrap interval is close to the normal one, mean ± 1.96·σ̂/√n
        // (σ̂ with divisor n, as the bootstrap uses).
        let sigma = l.std * (199.0f64 / 200.0).sqrt();
        let normal = 2.0 * 1.96 * sigma / 200f64.sqrt();
        let width = l.ci_high - l.ci_low;
        assert!((width / normal - 1.0).abs() < 0.06, "{width} vs {normal}");
    }

    #[test]
    fn degenerate_inputs() {
        let none = summarize(&[], 0);
        assert_eq!(none.n, 0);
        assert!(none.mean.is_nan() && none.ci_low.is_nan() && none.iqm.is_nan());
        assert_eq!(summarize(&[f64::NAN], 0).n, 0);
        let one = summarize(&[0.5], 0);
        assert_eq!(one.n, 1);
        assert_eq!((one.ci_low, one.ci_high, one.std), (0.5, 0.5, 0.0));
        assert_eq!(
            (one.median, one.iqm, one.min, one.max),
            (0.5, 0.5, 0.5, 0.5)
        );
        let same = summarize(&[0.25; 6], 0);
        assert_eq!((same.ci_low, same.ci_high), (0.25, 0.25));
    }

    #[test]
    fn paired_differences_match_by_seed_and_orientation() {
        let base = [(0, 0.80), (1, 0.82), (2, 0.81), (3, f64::NAN), (5, 0.5)];
        let cell = [(2, 0.85), (0, 0.80), (1, 0.81), (3, 0.9), (4, 0.99)];
        let p = paired(&cell, &base, true, 3);
        assert_eq!(
            p.n, 3,
            "seed 3 is NaN in the baseline, 4 and 5 are on one side only"
        );
        assert_eq!(p.seeds, [0, 1, 2]);
        let expected = [0.0, 0.81 - 0.82, 0.85 - 0.81];
        for (d, e) in p.diffs.iter().zip(expected) {
            assert!(close(*d, e));
        }
        assert!(close(p.mean_diff, (0.85 - 0.81 + 0.81 - 0.82) / 3.0));
        assert!(close(p.p_improvement, 0.5), "one win, one tie, one loss");
        assert!(close(p.best_gain, 0.04));
        assert_eq!(p.median_gain, 0.0);
        assert!(close(p.best_of_k_gap, 0.04));
        assert!(p.ci_low <= p.mean_diff && p.mean_diff <= p.ci_high);
        assert!(p.ci_low >= -0.01 - 1e-12 && p.ci_high <= 0.04 + 1e-12);

        let losses = paired(&[(0, 1.0)], &[(0, 2.0)], false, 3);
        assert_eq!(
            losses.mean_diff, 1.0,
            "lower is better: 2 → 1 is a gain of 1"
        );
        assert_eq!((losses.ci_low, losses.ci_high), (1.0, 1.0));
        assert_eq!(losses.p_improvement, 1.0);

        let none = paired(&[(0, 1.0)], &[(1, 2.0)], true, 3);
        assert_eq!(none.n, 0);
        assert!(none.mean_diff.is_nan() && none.p_improvement.is_nan());
    }

    fn brute_force_best_of_k(values: &[f64], k: usize) -> f64 {
        let n = values.len();
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
        sum / count as f64
    }

    #[test]
    fn best_of_k_matches_brute_force() {
        let cases: [&[f64]; 4] = [
            &[0.3, -0.1, 0.7, 0.2, 0.05, -0.4],
            &[0.1, 0.1, 0.1, -0.2, 0.1, 0.3, 0.3], // ties
            &[2.0],
            &[
                0.011, -0.004, 0.0, 0.023, -0.017, 0.008, 0.002, 0.015, -0.001, 0.006, 0.019,
            ],
        ];
        for values in cases {
            let n = values.len();
            for k in 1..=n {
                let (e, b) = (
                    expected_best_of_k(values, k),
                    brute_force_best_of_k(values, k),
                );
                assert!((e - b).abs() < 1e-12, "n={n} k={k}: {e} vs {b}");
            }
            let mean = values.iter().sum::<f64>() / n as f64;
            assert!(
                close(expected_best_of_k(values, 1), mean),
                "k = 1 is the mean"
            );
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert!(
                close(expected_best_of_k(values, n), max),
                "k = n is the max"
            );
        }
        // Hand-computed: from {1, 2, 3}, pairs {1,2} {1,3} {2,3} have maxima 2, 3, 3.
        assert!(close(expected_best_of_k(&[3.0, 1.0, 2.0], 2), 8.0 / 3.0));
        assert!(expected_best_of_k(&[1.0, 2.0], 3).is_nan(), "k > n");
        assert!(expected_best_of_k(&[1.0, 2.0], 0).is_nan());
        assert!(expected_best_of_k(&[], 1).is_nan());
        assert_eq!(
            expected_best_of_k(&[1.0, f64::NAN, 2.0], 2),
            2.0,
            "NaN left out"
        );
    }

    #[test]
    fn best_of_k_is_stable_for_many_seeds() {
        // 1000 seeds: C(1000, 500) overflows f64, the ratio recurrence does not.
        let v: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let e = expected_best_of_k(&v, 500);
        // E[max of k from 0..n-1] = k(n+1)/(k+1) − 1.
        let exact = 500.0 * 1001.0 / 501.0 - 1.0;
        assert!((e - exact).abs() < 1e-9, "{e} vs {exact}");
        assert!(expected_best_of_k(&v, 1000) == 999.0);
    }
}
