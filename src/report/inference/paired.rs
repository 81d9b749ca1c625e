//! The evidence of one comparison, as a verdict or a report row shows it, from its oriented
//! per-seed differences (positive = the direction asked about): which test the data allow, its
//! estimate and two-sided p-value, its interval at any level, the BCa interval beside it, TOST
//! against a band, and the power report. Pure; what the numbers mean is the caller's (the claims
//! engine turns them into verdicts, the study reports print them).
//!
//! The method follows the values: the paired Student t when every difference is finite; the
//! Wilcoxon signed-rank test (Pratt's zeros, so a seed where both arms diverged stays in the
//! ranking as a tie) with the Hodges–Lehmann estimate and its interval when any difference is
//! infinite, i.e. a diverged run's +∞ loss or a target never reached: a mean over +∞ is
//! undefined, ranks are not. A caller can ask for the rank method on finite data too (a robust
//! estimator where a claim calls for one).

use super::bootstrap::bca_mean;
use super::rank::{hodges_lehmann, wilcoxon, WilcoxonMethod, ZeroMethod};
use super::t_test::{paired_t, power_report, tost, PowerReport};
use super::{check_len, check_no_nan, Alternative, InferenceError, Result};

/// Bootstrap resamples of a BCa interval.
pub const BCA_RESAMPLES: usize = 10_000;

/// The test behind an estimate and its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Paired Student t: the mean difference, its t interval.
    StudentT,
    /// Wilcoxon signed-rank test: the Hodges–Lehmann estimate and its distribution-free
    /// interval.
    SignedRank,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::StudentT => "paired t",
            Method::SignedRank => "signed-rank",
        })
    }
}

/// An interval with the confidence it has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Its confidence: 1 − α for the t and BCa intervals; for Hodges–Lehmann's, the level the
    /// discrete signed-rank distribution gives (at least 1 − α; 1 when the interval is
    /// (−∞, ∞) because n is too small for the level).
    pub level: f64,
}

impl Interval {
    /// Whether every value of the interval is above `x`.
    pub fn above(&self, x: f64) -> bool {
        self.low > x
    }

    /// Whether every value of the interval is below `x`.
    pub fn below(&self, x: f64) -> bool {
        self.high < x
    }

    /// Whether the interval lies within [low, high].
    pub fn within(&self, low: f64, high: f64) -> bool {
        self.low >= low && self.high <= high
    }

    /// Whether the interval lies wholly outside [low, high] (all below or all above).
    pub fn outside(&self, low: f64, high: f64) -> bool {
        self.high < low || self.low > high
    }
}

/// The oriented differences of one comparison with the test they allow.
#[derive(Debug, Clone, PartialEq)]
pub struct Differences {
    values: Vec<f64>,
    method: Method,
    estimate: f64,
    p_value: f64,
    seed: u64,
}

impl Differences {
    /// The differences `values` (at least 2, no NaN), tested by the t test when all are finite
    /// and by the signed-rank test otherwise; `seed` draws the BCa resamples.
    pub fn new(values: Vec<f64>, seed: u64) -> Result<Self> {
        let method = if values.iter().all(|v| v.is_finite()) {
            Method::StudentT
        } else {
            Method::SignedRank
        };
        Self::with_method(values, method, seed)
    }

    /// The same, with the method chosen by the caller; [`Method::StudentT`] refuses an infinite
    /// difference ([`InferenceError::Infinite`]).
    pub fn with_method(values: Vec<f64>, method: Method, seed: u64) -> Result<Self> {
        const WHAT: &str = "a paired comparison";
        check_len(WHAT, &values, 2)?;
        check_no_nan(WHAT, &values)?;
        let (estimate, p_value) = match method {
            Method::StudentT => {
                let t = paired_t(&values, Alternative::TwoSided, 0.05)?;
                (t.mean, t.p_value)
            }
            Method::SignedRank => (
                hodges_lehmann(&values, 0.05)?.estimate,
                signed_rank_p(&values, Alternative::TwoSided)?,
            ),
        };
        Ok(Differences {
            values,
            method,
            estimate,
            p_value,
            seed,
        })
    }

    /// How many differences.
    pub fn n(&self) -> usize {
        self.values.len()
    }

    /// The differences, in the caller's order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The test used.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The mean difference (t) or the Hodges–Lehmann estimate (signed-rank).
    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// The two-sided p-value of no difference (location 0).
    pub fn p_value(&self) -> f64 {
        self.p_value
    }

    /// The two-sided 1 − α interval of the method's estimate.
    pub fn interval(&self, alpha: f64) -> Result<Interval> {
        match self.method {
            Method::StudentT => {
                let t = paired_t(&self.values, Alternative::TwoSided, alpha)?;
                Ok(Interval {
                    low: t.ci_low,
                    high: t.ci_high,
                    level: 1.0 - alpha,
                })
            }
            Method::SignedRank => {
                let hl = hodges_lehmann(&self.values, alpha)?;
                Ok(Interval {
                    low: hl.ci_low,
                    high: hl.ci_high,
                    level: hl.level,
                })
            }
        }
    }

    /// The BCa 1 − α interval of the mean ([`BCA_RESAMPLES`] resamples from the seed), shown
    /// beside the t interval; `None` when a difference is infinite (the mean is undefined) or
    /// the interval is (every replicate on one side of the mean).
    pub fn bca(&self, alpha: f64) -> Option<Interval> {
        if self.values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let b = bca_mean(&self.values, alpha, BCA_RESAMPLES, self.seed).ok()?;
        (b.ci_low.is_finite() && b.ci_high.is_finite()).then_some(Interval {
            low: b.ci_low,
            high: b.ci_high,
            level: 1.0 - alpha,
        })
    }

    /// The p-value of the two one-sided tests that the location lies within (low, high): the
    /// t tests of TOST, or with the signed-rank method the two one-sided signed-rank tests of
    /// the differences shifted by each end. Equivalence at level α when p < α (for t: the
    /// 1 − 2α interval lies inside the band).
    pub fn tost(&self, low: f64, high: f64) -> Result<f64> {
        match self.method {
            Method::StudentT => Ok(tost(&self.values, low, high, 0.05)?.p_value),
            Method::SignedRank => {
                if !(low.is_finite() && high.is_finite() && low < high) {
                    return Err(InferenceError::OutOfRange {
                        what: "the TOST margin (low, high)",
                        valid: "finite with low < high",
                        value: high - low,
                    });
                }
                let shifted = |by: f64| self.values.iter().map(|v| v - by).collect::<Vec<_>>();
                let p_low = signed_rank_p(&shifted(low), Alternative::Greater)?;
                let p_high = signed_rank_p(&shifted(high), Alternative::Less)?;
                Ok(p_low.max(p_high))
            }
        }
    }

    /// The power report of the t test at level `alpha` (two-sided) and power `target`: the
    /// minimum detectable effect at this n and the seeds needed at the observed effect (up to
    /// `max_n`). `None` for the signed-rank method, whose power has no closed form here.
    pub fn power(&self, alpha: f64, target: f64, max_n: usize) -> Option<PowerReport> {
        match self.method {
            Method::StudentT => power_report(&self.values, alpha, target, max_n).ok(),
            Method::SignedRank => None,
        }
    }
}

/// The signed-rank p-value (Pratt's zeros, scipy's automatic method) for `alternative`.
fn signed_rank_p(values: &[f64], alternative: Alternative) -> Result<f64> {
    Ok(wilcoxon(values, ZeroMethod::Pratt, alternative, WilcoxonMethod::Auto)?.p_value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::inference::dist::t_quantile;

    #[test]
    fn finite_differences_take_the_t_test() {
        // Mean 0.03, sd √(0.001/4) = 0.0158…, se = sd/√5.
        let d = Differences::new(vec![0.01, 0.02, 0.03, 0.04, 0.05], 1).unwrap();
        assert_eq!(d.method(), Method::StudentT);
        assert!((d.estimate() - 0.03).abs() < 1e-15);
        let se = (0.001f64 / 4.0).sqrt() / 5f64.sqrt();
        let ci = d.interval(0.05).unwrap();
        let h = t_quantile(0.975, 4.0) * se;
        assert!((ci.low - (0.03 - h)).abs() < 1e-12 && (ci.high - (0.03 + h)).abs() < 1e-12);
        assert_eq!(ci.level, 0.95);
        // A stricter level widens it.
        let strict = d.interval(0.05 / 3.0).unwrap();
        assert!(strict.low < ci.low && strict.high > ci.high);
        let bca = d.bca(0.05).unwrap();
        assert!(bca.low < 0.03 && bca.high > 0.03);
        assert!(d.power(0.05, 0.8, 1000).is_some());
        // Equivalent to 0 within ±0.1, not within ±0.01.
        assert!(d.tost(-0.1, 0.1).unwrap() < 0.05);
        assert!(d.tost(-0.01, 0.01).unwrap() > 0.5);
    }

    #[test]
    fn an_infinite_difference_takes_the_signed_rank_test() {
        // The baseline diverged on two seeds (+∞ loss): the cell is infinitely better there.
        let inf = f64::INFINITY;
        let values = vec![0.01, 0.02, inf, 0.005, 0.015, inf, 0.01, 0.03];
        let d = Differences::new(values.clone(), 1).unwrap();
        assert_eq!(d.method(), Method::SignedRank);
        assert!(d.estimate().is_finite() && d.estimate() > 0.0);
        assert!(d.p_value() < 0.01, "8 of 8 positive: {}", d.p_value());
        assert!(d.bca(0.05).is_none(), "the mean is undefined");
        assert!(d.power(0.05, 0.8, 1000).is_none());
        let ci = d.interval(0.05).unwrap();
        assert!(ci.low > 0.0 && ci.level >= 0.95, "{ci:?}");
        // Not equivalent to 0 within ±0.001: the diverged seeds rank beyond any band.
        assert!(d.tost(-0.001, 0.001).unwrap() > 0.05);
        // The t test refuses the same values.
        assert!(matches!(
            Differences::with_method(values, Method::StudentT, 1),
            Err(InferenceError::Infinite { .. })
        ));
        // NaN and too few values are refused.
        assert!(Differences::new(vec![0.1, f64::NAN], 1).is_err());
        assert!(Differences::new(vec![0.1], 1).is_err());
    }

    #[test]
    fn interval_predicates() {
        let i = Interval {
            low: 0.01,
            high: 0.02,
            level: 0.95,
        };
        assert!(i.above(0.0) && !i.above(0.015) && i.below(0.03));
        assert!(i.within(0.005, 0.025) && !i.within(0.015, 0.025));
        assert!(i.outside(0.03, 0.04) && i.outside(-0.1, 0.0) && !i.outside(0.015, 0.1));
    }
}
