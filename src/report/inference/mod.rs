//! The statistics of honest verdicts (issue 11): pure functions that take per-seed paired
//! differences, counts or p-values and return small structs. The claims engine decides with
//! them; nothing here reads files, trains or knows what a claim is.
//!
//! - [`dist`]: the distribution functions everything else stands on (normal, Student t,
//!   noncentral t, the signed-rank null distribution);
//! - [`t_test`]: the paired Student-t test and interval, TOST equivalence, power, the minimum
//!   detectable effect and the seeds needed for a power;
//! - [`rank`]: the Wilcoxon signed-rank test and the Hodges–Lehmann estimate with its interval
//!   (what a check with a diverged run uses);
//! - [`bootstrap`]: the BCa interval of the mean (shown beside the t interval), the percentile
//!   interval, and rliable's IQM and P(X > Y) with stratified-bootstrap intervals;
//! - [`multiple`]: Holm and Benjamini–Hochberg adjusted p-values;
//! - [`proportion`]: divergence rates: Wilson and Newcombe intervals, Fisher's exact test;
//! - [`sequential`]: Lan–DeMets O'Brien–Fleming alpha spending and group-sequential boundaries;
//! - [`paired`]: the evidence of one comparison as verdicts and reports show it, built from the
//!   above: the t or the signed-rank path chosen by the data, intervals at any level, BCa
//!   beside, TOST, power.
//!
//! # Conventions (every function follows them)
//! - **Orientation.** A paired difference is oriented so that positive means the cell did better
//!   than the baseline ([`oriented_difference`]).
//! - **Diverged runs.** A diverged run's loss is +∞ and its accuracy chance level (the caller
//!   scores it). A loss difference can then be ±∞: the rank-based functions ([`rank`],
//!   [`bootstrap::iqm`], [`bootstrap::probability_of_improvement`]) take it, ranking the diverged
//!   run worst; the mean-based ones ([`t_test`], [`bootstrap::bca_mean`]) refuse it with
//!   [`InferenceError::Infinite`], because a mean over +∞ is undefined.
//! - **NaN** means a value that does not exist (a seed missing from one arm). It is never
//!   guessed: every function refuses it with [`InferenceError::NotANumber`], naming the position.
//!   Pair the seeds first and leave the missing ones out.
//! - **Too few values** (n < 2 for a t test or a bootstrap, n = 0 for a rank test) is
//!   [`InferenceError::TooFew`]; the claims engine reports such a check as inconclusive with the
//!   reason. Nothing panics on bad input.
//! - **No variation.** Where every difference is the same the t statistic is ±∞ (p = 0) when
//!   the common difference is not 0, and p = 1 with a zero-width interval when it is 0 (scipy
//!   gives NaN there); each function documents its own degenerate case.
//! - **Determinism.** Resampling draws from a ChaCha8 stream of the caller's seed, never the
//!   clock; the same input gives the same bits.
//!
//! Every function is checked against scipy/statsmodels by tests/it/inference_reference.rs, on the
//! values that tests/reference/scipy_inference.py computed (tests/reference/scipy_inference.json).

pub mod bootstrap;
pub mod dist;
pub mod multiple;
pub mod paired;
pub mod proportion;
pub mod rank;
pub mod sequential;
pub mod t_test;

/// What can be wrong with an input to an inference function. The message names the function's
/// input and, for a bad value, its position, so the caller can say which seed it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InferenceError {
    /// Not enough values for the method.
    #[error("{what} needs at least {needed} values, got {got}")]
    TooFew {
        /// The method.
        what: &'static str,
        /// The fewest it works with.
        needed: usize,
        /// How many it was given.
        got: usize,
    },
    /// A NaN among the values: a missing value, which must be left out before.
    #[error(
        "{what}: value {index} is NaN (a missing value: pair the seeds and leave it out first)"
    )]
    NotANumber {
        /// The method.
        what: &'static str,
        /// Its position in the input (0-based).
        index: usize,
    },
    /// An infinite value where the method needs finite ones.
    #[error(
        "{what}: value {index} is {value} (a diverged run); the mean is undefined: \
         use the Wilcoxon signed-rank test and the Hodges–Lehmann estimate"
    )]
    Infinite {
        /// The method.
        what: &'static str,
        /// Its position in the input (0-based).
        index: usize,
        /// The value (+∞ or −∞).
        value: f64,
    },
    /// A parameter outside its valid range.
    #[error("{what} must be {valid}, got {value}")]
    OutOfRange {
        /// The parameter.
        what: &'static str,
        /// Its valid range, in words.
        valid: &'static str,
        /// What it was given.
        value: f64,
    },
}

/// The result type of this module.
pub type Result<T> = std::result::Result<T, InferenceError>;

/// The alternative hypothesis about the mean (or location) of the oriented differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// The difference is not zero (scipy's "two-sided").
    TwoSided,
    /// The difference is positive: the cell is better (scipy's "greater", statsmodels' "larger").
    Greater,
    /// The difference is negative (scipy's "less", statsmodels' "smaller").
    Less,
}

/// The paired difference of one seed, oriented so that positive means the cell did better:
/// `cell − baseline` when higher is better (accuracy), `baseline − cell` when lower is better
/// (loss). Infinities follow IEEE arithmetic (a cell whose loss is +∞ is −∞ worse), except that
/// two equal infinities (both arms diverged, both ranked worst) tie: their difference is 0, not
/// NaN. A NaN on either side gives NaN (a missing value, refused downstream).
pub fn oriented_difference(cell: f64, baseline: f64, higher_is_better: bool) -> f64 {
    if cell.is_infinite() && cell == baseline {
        return 0.0;
    }
    if higher_is_better {
        cell - baseline
    } else {
        baseline - cell
    }
}

/// Refuses NaN anywhere in `values`.
fn check_no_nan(what: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| v.is_nan()) {
        Some(index) => Err(InferenceError::NotANumber { what, index }),
        None => Ok(()),
    }
}

/// Refuses NaN and ±∞ anywhere in `values`.
fn check_finite(what: &'static str, values: &[f64]) -> Result<()> {
    check_no_nan(what, values)?;
    match values.iter().position(|v| v.is_infinite()) {
        Some(index) => Err(InferenceError::Infinite {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Refuses fewer than `needed` values.
fn check_len(what: &'static str, values: &[f64], needed: usize) -> Result<()> {
    if values.len() < needed {
        return Err(InferenceError::TooFew {
            what,
            needed,
            got: values.len(),
        });
    }
    Ok(())
}

/// Refuses a significance level outside (0, 1).
fn check_alpha(alpha: f64) -> Result<()> {
    check_probability("alpha", alpha)
}

/// Refuses a probability outside the open interval (0, 1).
fn check_probability(what: &'static str, p: f64) -> Result<()> {
    if p > 0.0 && p < 1.0 {
        Ok(())
    } else {
        Err(InferenceError::OutOfRange {
            what,
            valid: "strictly between 0 and 1",
            value: p,
        })
    }
}

/// The mean summed left to right, as every function here computes it (so that a bootstrap
/// replicate that permutes the data compares with the estimate the same way on every platform).
fn mean(values: &[f64]) -> f64 {
    let mut sum = 0.0;
    for v in values {
        sum += v;
    }
    sum / values.len() as f64
}

/// The sample standard deviation (divisor n − 1, two passes); NaN for fewer than 2 values.
fn sample_sd(values: &[f64], mean: f64) -> f64 {
    let n = values.len();
    if n < 2 {
        return f64::NAN;
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (ss / (n - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_and_diverged_runs() {
        assert_eq!(oriented_difference(0.9, 0.8, true), 0.9 - 0.8);
        assert_eq!(oriented_difference(0.3, 0.5, false), 0.5 - 0.3);
        let inf = f64::INFINITY;
        assert_eq!(
            oriented_difference(inf, 0.5, false),
            -inf,
            "the cell diverged: worst"
        );
        assert_eq!(
            oriented_difference(0.5, inf, false),
            inf,
            "the baseline did"
        );
        assert_eq!(oriented_difference(inf, inf, false), 0.0, "both: a tie");
        assert!(oriented_difference(f64::NAN, 0.5, true).is_nan());
    }

    #[test]
    fn errors_name_the_value_and_the_remedy() {
        let e = check_finite("paired t", &[0.1, f64::NEG_INFINITY]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "paired t: value 1 is -inf (a diverged run); the mean is undefined: use the \
             Wilcoxon signed-rank test and the Hodges–Lehmann estimate"
        );
        let e = check_finite("paired t", &[f64::NAN]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "paired t: value 0 is NaN (a missing value: pair the seeds and leave it out first)"
        );
        assert_eq!(
            check_alpha(1.5).unwrap_err().to_string(),
            "alpha must be strictly between 0 and 1, got 1.5"
        );
        assert_eq!(
            check_len("paired t", &[1.0], 2).unwrap_err().to_string(),
            "paired t needs at least 2 values, got 1"
        );
    }
}
