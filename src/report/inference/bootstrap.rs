//! Bootstrap intervals, seeded: the BCa interval of the mean difference (shown beside the
//! t interval; where the two disagree a verdict is inconclusive), the plain percentile interval
//! (for comparison: it undercovers at small n), and rliable's aggregate statistics — the
//! interquartile mean and P(X > Y) — with stratified-bootstrap intervals. Resampling draws
//! from a ChaCha8 stream of the caller's seed, indices by multiply-shift (as `report::stats`),
//! so a `rand` upgrade cannot move an interval.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::dist::{normal_cdf, normal_quantile};
use super::{check_alpha, check_finite, check_len, check_no_nan, mean, InferenceError, Result};
use crate::report::stats::quantile_sorted;

/// A uniform index in 0..n from one stream word (multiply-shift; bias below 2⁻⁶⁰ for any n a
/// study has).
fn index(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// `resamples` bootstrap replicates of the mean of `values`, each the left-to-right mean of n
/// values drawn with replacement.
fn mean_replicates(values: &[f64], resamples: usize, seed: u64) -> Vec<f64> {
    let n = values.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..resamples)
        .map(|_| {
            let mut sum = 0.0;
            for _ in 0..n {
                sum += values[index(&mut rng, n)];
            }
            sum / n as f64
        })
        .collect()
}

fn check_resamples(resamples: usize) -> Result<()> {
    if resamples == 0 {
        return Err(InferenceError::OutOfRange {
            what: "the number of bootstrap resamples",
            valid: "at least 1",
            value: 0.0,
        });
    }
    Ok(())
}

/// A bias-corrected and accelerated bootstrap interval of the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bca {
    /// Number of values.
    pub n: usize,
    /// Their mean, θ̂.
    pub estimate: f64,
    /// Lower end of the 1 − α interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// The bias correction ẑ₀ = Φ⁻¹(the fraction of replicates below θ̂, ties counting ½).
    pub z0: f64,
    /// The acceleration â from the jackknife.
    pub acceleration: f64,
    /// Replicates used.
    pub resamples: usize,
}

/// The BCa 1 − α interval of the mean of `values` (Efron 1987; Efron & Tibshirani, An
/// Introduction to the Bootstrap, §14.3 and eq. 15.36), from `resamples` replicates drawn
/// from `seed`; see [`bca_mean_from_replicates`] for the formula. Needs n ≥ 2 finite values (a
/// mean over a diverged run's +∞ is undefined).
pub fn bca_mean(values: &[f64], alpha: f64, resamples: usize, seed: u64) -> Result<Bca> {
    check_bca(values, alpha)?;
    check_resamples(resamples)?;
    let replicates = mean_replicates(values, resamples, seed);
    bca_mean_from_replicates(values, &replicates, alpha)
}

fn check_bca(values: &[f64], alpha: f64) -> Result<()> {
    const WHAT: &str = "the BCa interval";
    check_len(WHAT, values, 2)?;
    check_finite(WHAT, values)?;
    check_alpha(alpha)
}

/// The BCa interval of the mean of `values` given bootstrap `replicates` of it, exactly as
/// `scipy.stats.bootstrap(method='BCa')` turns a bootstrap distribution into an interval:
/// - ẑ₀ = Φ⁻¹((#{θ*_b < θ̂} + #{θ*_b ≤ θ̂}) / 2B);
/// - â = Σ Uᵢ³ / (6 (Σ Uᵢ²)^{3/2}) with Uᵢ = (n − 1)(θ̄₍.₎ − θ̂₍ᵢ₎), θ̂₍ᵢ₎ the mean without
///   value i and θ̄₍.₎ their mean (the jackknife);
/// - α₁ = Φ(ẑ₀ + (ẑ₀ + z_{α/2}) / (1 − â(ẑ₀ + z_{α/2}))), α₂ likewise with z_{1−α/2};
/// - the interval is the α₁ and α₂ quantiles of the replicates (linear interpolation, numpy's
///   default).
///
/// Means are summed left to right. Degenerate cases: when every value is equal, â is 0/0 and
/// taken as 0, and the interval is that value; when every replicate lies on one side of θ̂,
/// ẑ₀ is infinite and the interval undefined: NaN (scipy warns, and gives NaN or a collapsed
/// end depending on â).
pub fn bca_mean_from_replicates(values: &[f64], replicates: &[f64], alpha: f64) -> Result<Bca> {
    check_bca(values, alpha)?;
    check_resamples(replicates.len())?;
    check_no_nan("the bootstrap replicates", replicates)?;
    let n = values.len();
    let theta = mean(values);
    let below = replicates.iter().filter(|&&r| r < theta).count();
    let at_most = replicates.iter().filter(|&&r| r <= theta).count();
    let z0 = normal_quantile((below + at_most) as f64 / (2 * replicates.len()) as f64);

    let jackknife: Vec<f64> = (0..n)
        .map(|i| {
            let mut sum = 0.0;
            for (j, v) in values.iter().enumerate() {
                if j != i {
                    sum += v;
                }
            }
            sum / (n - 1) as f64
        })
        .collect();
    let jack_mean = mean(&jackknife);
    let u: Vec<f64> = jackknife
        .iter()
        .map(|t| (n - 1) as f64 * (jack_mean - t))
        .collect();
    let nf = n as f64;
    let num: f64 = u.iter().map(|x| x * x * x).sum::<f64>() / nf.powi(3);
    let den: f64 = u.iter().map(|x| x * x).sum::<f64>() / nf.powi(2);
    let acceleration = if den == 0.0 {
        0.0
    } else {
        num / (6.0 * den.powf(1.5))
    };

    let adjusted = |z_alpha: f64| {
        let s = z0 + z_alpha;
        normal_cdf(z0 + s / (1.0 - acceleration * s))
    };
    let lo_level = adjusted(normal_quantile(alpha / 2.0));
    let hi_level = adjusted(normal_quantile(1.0 - alpha / 2.0));
    let mut sorted = replicates.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        if q.is_nan() || z0.is_infinite() {
            f64::NAN
        } else {
            quantile_sorted(&sorted, q)
        }
    };
    Ok(Bca {
        n,
        estimate: theta,
        ci_low: at(lo_level),
        ci_high: at(hi_level),
        z0,
        acceleration,
        resamples: replicates.len(),
    })
}

/// The percentile bootstrap 1 − α interval of the mean of `values`: the α/2 and 1 − α/2
/// quantiles (linear) of `resamples` replicates drawn from `seed` (Efron & Tibshirani §13.3).
/// Kept for comparison: at n = 10 on normal data it covers about 0.90, not 0.95 (see this
/// file's tests); verdicts do not use it. Needs n ≥ 2 finite values.
pub fn percentile_mean(
    values: &[f64],
    alpha: f64,
    resamples: usize,
    seed: u64,
) -> Result<(f64, f64)> {
    const WHAT: &str = "the percentile bootstrap interval";
    check_len(WHAT, values, 2)?;
    check_finite(WHAT, values)?;
    check_alpha(alpha)?;
    check_resamples(resamples)?;
    let mut replicates = mean_replicates(values, resamples, seed);
    replicates.sort_by(f64::total_cmp);
    Ok((
        quantile_sorted(&replicates, alpha / 2.0),
        quantile_sorted(&replicates, 1.0 - alpha / 2.0),
    ))
}

/// A point estimate with a bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The statistic on the data.
    pub point: f64,
    /// Lower end of the 1 − α percentile interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

/// The interquartile mean, rliable's aggregate (Agarwal et al. 2021), as
/// `scipy.stats.trim_mean(values, 0.25)`: sort, drop ⌊n/4⌋ values from each end, average the
/// rest. Rank-based trimming takes a diverged run's +∞ (it is dropped when it falls in the top
/// quarter; otherwise the IQM is +∞). NaN only if the kept half holds both +∞ and −∞. Needs at
/// least one value; refuses NaN.
pub fn iqm(values: &[f64]) -> Result<f64> {
    const WHAT: &str = "the interquartile mean";
    check_len(WHAT, values, 1)?;
    check_no_nan(WHAT, values)?;
    Ok(iqm_unchecked(values.to_vec()))
}

fn iqm_unchecked(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let cut = v.len() / 4;
    mean(&v[cut..v.len() - cut])
}

fn check_tasks(what: &'static str, tasks: &[Vec<f64>]) -> Result<()> {
    if tasks.is_empty() {
        return Err(InferenceError::TooFew {
            what,
            needed: 1,
            got: 0,
        });
    }
    for task in tasks {
        check_len(what, task, 1)?;
        check_no_nan(what, task)?;
    }
    Ok(())
}

/// The α/2 and 1 − α/2 quantiles (linear) of the replicates.
fn percentile_interval(mut replicates: Vec<f64>, alpha: f64) -> (f64, f64) {
    replicates.sort_by(f64::total_cmp);
    (
        quantile_sorted(&replicates, alpha / 2.0),
        quantile_sorted(&replicates, 1.0 - alpha / 2.0),
    )
}

/// The IQM over every run of every task (`tasks[t]` = the scores of task t's runs, e.g. one
/// task per setting or data set) with rliable's stratified-bootstrap percentile interval:
/// each replicate resamples the runs of each task with replacement, keeping every task's run
/// count, and takes the IQM of all of them (rliable's `get_interval_estimates` with
/// `StratifiedBootstrap`). Needs at least one task, each with at least one run.
pub fn iqm_stratified(
    tasks: &[Vec<f64>],
    alpha: f64,
    resamples: usize,
    seed: u64,
) -> Result<Estimate> {
    check_tasks("the stratified IQM", tasks)?;
    check_alpha(alpha)?;
    check_resamples(resamples)?;
    let point = iqm_unchecked(tasks.concat());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let total: usize = tasks.iter().map(Vec::len).sum();
    let replicates = (0..resamples)
        .map(|_| {
            let mut pooled = Vec::with_capacity(total);
            for task in tasks {
                for _ in 0..task.len() {
                    pooled.push(task[index(&mut rng, task.len())]);
                }
            }
            iqm_unchecked(pooled)
        })
        .collect();
    let (ci_low, ci_high) = percentile_interval(replicates, alpha);
    Ok(Estimate {
        point,
        ci_low,
        ci_high,
    })
}

/// P(X > Y) within one task: the Mann–Whitney U of x over y divided by n·m, a tie counting ½.
fn prob_greater(x: &[f64], y: &[f64]) -> f64 {
    let mut u = 0.0;
    for a in x {
        for b in y {
            if a > b {
                u += 1.0;
            } else if a == b {
                u += 0.5;
            }
        }
    }
    u / (x.len() * y.len()) as f64
}

/// rliable's probability of improvement P(X > Y): per task, the probability that a run of X
/// scores above a run of Y (ties ½: the Mann–Whitney U / (n·m), `scipy.stats.mannwhitneyu`'s
/// statistic), averaged over tasks; with the percentile interval of a stratified bootstrap
/// that resamples X's and Y's runs within each task independently (rliable's
/// `StratifiedIndependentBootstrap`). Scores are compared, not averaged, so a diverged run's
/// ±∞ counts as the worst. `x_tasks` and `y_tasks` need the same number (≥ 1) of tasks, each
/// with at least one run.
pub fn probability_of_improvement(
    x_tasks: &[Vec<f64>],
    y_tasks: &[Vec<f64>],
    alpha: f64,
    resamples: usize,
    seed: u64,
) -> Result<Estimate> {
    const WHAT: &str = "P(X > Y)";
    check_tasks(WHAT, x_tasks)?;
    check_tasks(WHAT, y_tasks)?;
    check_alpha(alpha)?;
    check_resamples(resamples)?;
    if x_tasks.len() != y_tasks.len() {
        return Err(InferenceError::OutOfRange {
            what: "Y's number of tasks",
            valid: "equal to X's",
            value: y_tasks.len() as f64,
        });
    }
    let average = |x: &[Vec<f64>], y: &[Vec<f64>]| {
        x.iter()
            .zip(y)
            .map(|(a, b)| prob_greater(a, b))
            .sum::<f64>()
            / x.len() as f64
    };
    let point = average(x_tasks, y_tasks);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = |task: &Vec<f64>| -> Vec<f64> {
        (0..task.len())
            .map(|_| task[index(&mut rng, task.len())])
            .collect()
    };
    let replicates = (0..resamples)
        .map(|_| {
            let xs: Vec<Vec<f64>> = x_tasks.iter().map(&mut draw).collect();
            let ys: Vec<Vec<f64>> = y_tasks.iter().map(&mut draw).collect();
            average(&xs, &ys)
        })
        .collect();
    let (ci_low, ci_high) = percentile_interval(replicates, alpha);
    Ok(Estimate {
        point,
        ci_low,
        ci_high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::inference::t_test::paired_t;
    use crate::report::inference::Alternative;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn seeded_and_degenerate() {
        let v = [0.01, -0.004, 0.02, 0.007, 0.0, 0.013];
        let a = bca_mean(&v, 0.05, 2000, 4).unwrap();
        assert_eq!(
            a,
            bca_mean(&v, 0.05, 2000, 4).unwrap(),
            "same seed, same bits"
        );
        assert_ne!(a, bca_mean(&v, 0.05, 2000, 5).unwrap());
        assert!(a.ci_low < a.estimate && a.estimate < a.ci_high);
        let same = bca_mean(&[0.25; 5], 0.05, 500, 1).unwrap();
        assert_eq!(
            (same.ci_low, same.ci_high, same.acceleration),
            (0.25, 0.25, 0.0)
        );
        assert!(matches!(
            bca_mean(&[0.1, f64::INFINITY], 0.05, 100, 1),
            Err(InferenceError::Infinite { .. })
        ));
        assert!(bca_mean(&[0.1], 0.05, 100, 1).is_err());
        assert!(bca_mean(&[0.1, 0.2], 0.05, 0, 1).is_err());
        // Every replicate above θ̂: ẑ₀ = +∞, no interval.
        let b = bca_mean_from_replicates(&[0.0, 1.0], &[0.9, 0.8], 0.05).unwrap();
        assert!(b.ci_low.is_nan() && b.ci_high.is_nan());
    }

    #[test]
    fn iqm_and_probability_of_improvement_by_hand() {
        assert_eq!(
            iqm(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0]).unwrap(),
            4.5
        );
        assert_eq!(
            iqm(&[0.3, 0.2, f64::INFINITY, 0.25]).unwrap(),
            0.275,
            "the diverged run is in the top quarter, dropped"
        );
        assert_eq!(iqm(&[0.3, f64::INFINITY]).unwrap(), f64::INFINITY);
        // x = {1, 2}, y = {1, 0}: pairs (1>1: ½) (1>0) (2>1) (2>0) → 3.5/4.
        assert_eq!(prob_greater(&[1.0, 2.0], &[1.0, 0.0]), 0.875);
        let p =
            probability_of_improvement(&[vec![1.0, 2.0]], &[vec![1.0, 0.0]], 0.05, 200, 3).unwrap();
        assert_eq!(p.point, 0.875);
        assert!(p.ci_low <= p.point && p.point <= p.ci_high);
        assert!(probability_of_improvement(&[vec![1.0]], &[], 0.05, 10, 1).is_err());
        let s = iqm_stratified(&[vec![1.0, 2.0, 3.0], vec![10.0]], 0.05, 300, 2).unwrap();
        assert_eq!(s.point, 2.5, "IQM of 1, 2, 3, 10");
        assert!(s.ci_low <= s.point && s.point <= s.ci_high);
    }

    /// The motivation, simulated: at n = 10 on normal data the paired-t 95% interval
    /// covers the true mean about 95% of the time; the percentile bootstrap about 90%
    /// (≈ P(|T₉| ≤ 1.96·√0.9) = 0.904: it uses the plug-in σ and a normal quantile). 3000 data
    /// sets give a standard error of 0.004–0.006 on each coverage; the bounds are 3–4 of them.
    #[test]
    fn t_interval_covers_at_n10_where_the_percentile_bootstrap_does_not() {
        let mut rng = ChaCha8Rng::seed_from_u64(20261211);
        let (trials, n, true_mean) = (3000u64, 10, 0.5);
        let (mut t_hits, mut boot_hits, mut bca_hits) = (0, 0, 0);
        for trial in 0..trials {
            let data: Vec<f64> = (0..n)
                .map(|_| true_mean + Distribution::<f64>::sample(&StandardNormal, &mut rng))
                .collect();
            let t = paired_t(&data, Alternative::TwoSided, 0.05).unwrap();
            t_hits += usize::from(t.ci_low <= true_mean && true_mean <= t.ci_high);
            let (lo, hi) = percentile_mean(&data, 0.05, 1000, trial).unwrap();
            boot_hits += usize::from(lo <= true_mean && true_mean <= hi);
            let b = bca_mean(&data, 0.05, 1000, trial).unwrap();
            bca_hits += usize::from(b.ci_low <= true_mean && true_mean <= b.ci_high);
        }
        let coverage = |hits: usize| hits as f64 / trials as f64;
        let (t, boot, bca) = (coverage(t_hits), coverage(boot_hits), coverage(bca_hits));
        println!("coverage at n = 10: t {t:.3}, percentile {boot:.3}, BCa {bca:.3}");
        assert!((t - 0.95).abs() < 0.015, "t interval coverage {t}");
        assert!((boot - 0.904).abs() < 0.02, "percentile coverage {boot}");
        assert!(t - boot > 0.03, "t {t} vs percentile {boot}");
    }
}
