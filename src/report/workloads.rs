//! Judging a cell across workloads (a dataset × model pair, e.g. {Fashion-MNIST, MNIST} × {MLP,
//! CNN}): pure functions over per-seed scores, no IO. What rliable and AlgoPerf report:
//!
//! - [`normalize_by_baseline`]: a workload's scores divided by the median score of that
//!   workload's baseline cell, so 1.0 means "as good as the baseline" on every workload and
//!   scores from easy and hard workloads can be pooled. The IQM of normalized scores with a
//!   stratified-bootstrap interval (strata = workloads) is then
//!   [`super::inference::bootstrap::iqm_stratified`] over the normalized scores, and P(X > Y)
//!   with its interval is [`super::inference::bootstrap::probability_of_improvement`] with one
//!   task per workload (both already checked against rliable's formulas).
//! - [`performance_profile`]: Dolan and Moré's performance profile as AlgoPerf uses it: for each
//!   cell, the fraction of workloads on which its cost (e.g. the median test error) is within a
//!   factor τ of the best cell's cost on that workload, for each τ ≥ 1.
//!
//! Drawing the profile and writing the report's section are not here.

use super::inference::{InferenceError, Result};

/// The median of `values` (the mean of the middle two for an even count); None when empty or
/// when any value is NaN.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Each of a workload's `scores` divided by the median of the same workload's `baseline` scores
/// (e.g. test accuracies: 1.02 = 2% better than the baseline's median seed). A diverged run's
/// score stays what it is relative to that median. Refuses an empty or NaN baseline and a
/// baseline median that is zero or not finite (nothing to divide by).
pub fn normalize_by_baseline(scores: &[f64], baseline: &[f64]) -> Result<Vec<f64>> {
    let Some(m) = median(baseline) else {
        return Err(if baseline.is_empty() {
            InferenceError::TooFew {
                what: "the baseline's median",
                needed: 1,
                got: 0,
            }
        } else {
            InferenceError::NotANumber {
                what: "the baseline's scores",
                index: baseline.iter().position(|v| v.is_nan()).unwrap_or(0),
            }
        });
    };
    if m == 0.0 || !m.is_finite() {
        return Err(InferenceError::OutOfRange {
            what: "the baseline's median score",
            valid: "finite and not 0",
            value: m,
        });
    }
    Ok(scores.iter().map(|s| s / m).collect())
}

/// The performance profile of each cell: `costs[cell][workload]` is a cost, lower better (the
/// cell's median test error on that workload, say; +∞ or NaN where it diverged or has no runs);
/// the result's `[cell][k]` is the fraction of workloads on which the cell's cost is at most
/// `taus[k]` times the lowest finite cost any cell reached there. A workload where no cell has
/// a finite cost counts for no cell. Every cell needs a cost for every workload.
pub fn performance_profile(costs: &[Vec<f64>], taus: &[f64]) -> Result<Vec<Vec<f64>>> {
    let Some(workloads) = costs.first().map(Vec::len) else {
        return Err(InferenceError::TooFew {
            what: "a performance profile's cells",
            needed: 1,
            got: 0,
        });
    };
    if workloads == 0 {
        return Err(InferenceError::TooFew {
            what: "a performance profile's workloads",
            needed: 1,
            got: 0,
        });
    }
    if let Some(bad) = costs.iter().find(|c| c.len() != workloads) {
        return Err(InferenceError::OutOfRange {
            what: "a cell's number of workloads",
            valid: "the same for every cell",
            value: bad.len() as f64,
        });
    }
    if let Some(&tau) = taus.iter().find(|t| t.is_nan() || **t < 1.0) {
        return Err(InferenceError::OutOfRange {
            what: "τ",
            valid: "at least 1",
            value: tau,
        });
    }
    let best: Vec<Option<f64>> = (0..workloads)
        .map(|w| {
            costs
                .iter()
                .map(|c| c[w])
                .filter(|v| v.is_finite())
                .min_by(f64::total_cmp)
        })
        .collect();
    Ok(costs
        .iter()
        .map(|cell| {
            taus.iter()
                .map(|&tau| {
                    let within = cell
                        .iter()
                        .zip(&best)
                        .filter(|(&c, b)| matches!(b, Some(b) if c.is_finite() && c <= tau * b))
                        .count();
                    within as f64 / workloads as f64
                })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::inference::bootstrap::{iqm_stratified, probability_of_improvement};

    #[test]
    fn normalization_divides_by_the_baselines_median() {
        let n = normalize_by_baseline(&[0.9, 0.99, f64::NEG_INFINITY], &[0.88, 0.9, 0.92, 0.94])
            .unwrap();
        // median(0.88, 0.9, 0.92, 0.94) = (0.9 + 0.92) / 2.
        let m = (0.9 + 0.92) / 2.0;
        assert_eq!(n[..2], [0.9 / m, 0.99 / m]);
        assert_eq!(n[2], f64::NEG_INFINITY);
        assert!(normalize_by_baseline(&[1.0], &[]).is_err());
        assert!(normalize_by_baseline(&[1.0], &[0.0, 0.0, 1.0]).is_err());
        assert!(matches!(
            normalize_by_baseline(&[1.0], &[0.5, f64::NAN]),
            Err(InferenceError::NotANumber { index: 1, .. })
        ));
    }

    /// Four workloads, three cells; worked out by hand.
    #[test]
    fn the_profile_counts_workloads_within_tau_of_the_best() {
        let costs = vec![
            vec![0.10, 0.02, 0.30, f64::INFINITY],
            vec![0.12, 0.01, 0.27, 0.20],
            vec![0.20, 0.03, 0.30, 0.25],
        ];
        // Best per workload: 0.10, 0.01, 0.27, 0.20.
        let p = performance_profile(&costs, &[1.0, 1.15, 2.0, 3.0]).unwrap();
        // Cell 0: best on workload 0; 0.30/0.27 = 1.11; 0.02/0.01 = 2; diverged on the last.
        assert_eq!(p[0], [0.25, 0.5, 0.75, 0.75]);
        // Cell 1: best on 1, 2, 3; 0.12/0.10 = 1.2.
        assert_eq!(p[1], [0.75, 0.75, 1.0, 1.0]);
        // Cell 2: 2.0, 3.0, 1.11, 1.25 times the best.
        assert_eq!(p[2], [0.0, 0.25, 0.75, 1.0]);
        assert!(performance_profile(&[], &[1.0]).is_err());
        assert!(performance_profile(&[vec![1.0], vec![1.0, 2.0]], &[1.0]).is_err());
        assert!(performance_profile(&[vec![1.0]], &[0.5]).is_err());
    }

    /// The pieces together as a multi-workload report uses them: normalized scores pooled over
    /// workloads with workloads as strata, and P(X > Y) with one task per workload.
    #[test]
    fn normalized_iqm_and_probability_of_improvement_over_workloads() {
        let baseline = [vec![0.80, 0.82, 0.81], vec![0.97, 0.98, 0.99]];
        let cell = [vec![0.84, 0.85, 0.83], vec![0.98, 0.99, 0.99]];
        let normalized: Vec<Vec<f64>> = cell
            .iter()
            .zip(&baseline)
            .map(|(c, b)| normalize_by_baseline(c, b).unwrap())
            .collect();
        let iqm = iqm_stratified(&normalized, 0.05, 2000, 7).unwrap();
        assert!(iqm.point > 1.0 && iqm.ci_low > 1.0, "{iqm:?}");
        let p = probability_of_improvement(&cell, &baseline, 0.05, 2000, 7).unwrap();
        // Workload 0: every pair better, 1. Workload 1, x = {.98, .99, .99} over
        // y = {.97, .98, .99}, a tie counting ½: .98 wins 1 + ½ + 0, each .99 1 + 1 + ½; 6.5/9.
        assert_eq!(p.point, (1.0 + (1.5 + 2.5 + 2.5) / 9.0) / 2.0);
    }
}
