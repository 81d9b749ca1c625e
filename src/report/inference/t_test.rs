//! The paired Student-t test on oriented per-seed differences, the interval the verdicts use,
//! TOST equivalence with a margin, and the power calculations a check reports (power at n, the
//! minimum detectable effect, the seeds needed for a power). All need finite differences: a
//! check with a diverged run goes to [`super::rank`] instead.

use super::dist::{nct_cdf, t_cdf, t_quantile, t_sf};
use super::{
    check_alpha, check_finite, check_len, check_probability, mean, sample_sd, Alternative,
    InferenceError, Result,
};

/// A paired Student-t test of the mean difference against 0, with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedT {
    /// Number of differences.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (divisor n − 1).
    pub sd: f64,
    /// Standard error of the mean, sd/√n.
    pub se: f64,
    /// Degrees of freedom, n − 1.
    pub df: f64,
    /// t = mean/se (±∞ when sd = 0 and the mean is not 0; NaN when both are 0).
    pub t: f64,
    /// The p-value for the alternative asked.
    pub p_value: f64,
    /// Lower end of the 1 − α interval of the mean (−∞ for [`Alternative::Less`]).
    pub ci_low: f64,
    /// Upper end (+∞ for [`Alternative::Greater`]).
    pub ci_high: f64,
}

/// The p-value of a t statistic `t` with `df` degrees of freedom for `alternative`, where
/// `shift = mean − μ₀` and `se` its standard error. With se = 0 the statistic is ±∞ when the
/// shift is not 0 and the p-value 0 or 1 accordingly; a zero shift over a zero se carries no
/// evidence either way: p = 1.
fn p_value(shift: f64, se: f64, df: f64, alternative: Alternative) -> (f64, f64) {
    if se == 0.0 {
        let t = if shift == 0.0 {
            f64::NAN
        } else {
            shift.signum() * f64::INFINITY
        };
        let p = match alternative {
            _ if shift == 0.0 => 1.0,
            Alternative::TwoSided => 0.0,
            Alternative::Greater => f64::from(u8::from(shift < 0.0)),
            Alternative::Less => f64::from(u8::from(shift > 0.0)),
        };
        return (t, p);
    }
    let t = shift / se;
    let p = match alternative {
        Alternative::TwoSided => (2.0 * t_sf(t.abs(), df)).min(1.0),
        Alternative::Greater => t_sf(t, df),
        Alternative::Less => t_cdf(t, df),
    };
    (t, p)
}

/// The paired Student-t test of the oriented differences `diffs` (positive = the cell is
/// better) against a mean of 0, as `scipy.stats.ttest_1samp(diffs, 0, alternative)` with its
/// `confidence_interval(1 − alpha)`:
/// t = d̄/(s/√n) on n − 1 degrees of freedom; p = 2·P(T > |t|), P(T > t) or P(T < t); the
/// interval d̄ ± t_{1−α/2}·s/√n, or one-sided [d̄ − t_{1−α}·s/√n, +∞) for
/// [`Alternative::Greater`] and (−∞, d̄ + t_{1−α}·s/√n] for [`Alternative::Less`]
/// (Student 1908; any textbook, e.g. Wasserman, All of Statistics, §10.4).
///
/// Needs n ≥ 2 finite values. When every difference is equal (s = 0) the interval is that
/// value and p is 0 (or 1 against the wrong side), or 1 when the value is 0.
pub fn paired_t(diffs: &[f64], alternative: Alternative, alpha: f64) -> Result<PairedT> {
    const WHAT: &str = "the paired t test";
    check_len(WHAT, diffs, 2)?;
    check_finite(WHAT, diffs)?;
    check_alpha(alpha)?;
    let n = diffs.len();
    let m = mean(diffs);
    let sd = sample_sd(diffs, m);
    let se = sd / (n as f64).sqrt();
    let df = (n - 1) as f64;
    let (t, p) = p_value(m, se, df, alternative);
    let (ci_low, ci_high) = match alternative {
        Alternative::TwoSided => {
            let h = t_quantile(1.0 - alpha / 2.0, df) * se;
            (m - h, m + h)
        }
        Alternative::Greater => (m - t_quantile(1.0 - alpha, df) * se, f64::INFINITY),
        Alternative::Less => (f64::NEG_INFINITY, m + t_quantile(1.0 - alpha, df) * se),
    };
    Ok(PairedT {
        n,
        mean: m,
        sd,
        se,
        df,
        t,
        p_value: p,
        ci_low,
        ci_high,
    })
}

/// Two one-sided tests (TOST) of equivalence within a margin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tost {
    /// Number of differences.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Degrees of freedom, n − 1.
    pub df: f64,
    /// t of the test against the lower margin, (d̄ − low)/se.
    pub t_low: f64,
    /// P(T ≥ t_low): the p-value of H₀: μ ≤ low.
    pub p_low: f64,
    /// t of the test against the upper margin, (d̄ − high)/se.
    pub t_high: f64,
    /// P(T ≤ t_high): the p-value of H₀: μ ≥ high.
    pub p_high: f64,
    /// The TOST p-value, max(p_low, p_high).
    pub p_value: f64,
    /// Lower end of the 1 − 2α interval, d̄ − t_{1−α}·se (the interval TOST amounts to).
    pub ci_low: f64,
    /// Its upper end.
    pub ci_high: f64,
    /// Whether equivalence is shown at level α: p < α (the 1 − 2α interval lies inside
    /// (low, high)).
    pub equivalent: bool,
}

/// TOST on paired differences (Schuirmann 1987), as
/// `statsmodels.stats.weightstats.ttost_paired(diffs, 0, low, high)`: H₀ is μ ≤ low or μ ≥ high;
/// each side is a one-sided t test, p = max of the two, and the difference is equivalent to 0
/// within (low, high) when p < α. "Equal" in claims.toml is TOST with margin (−m, m) (default
/// m = 0.003, 0.3 accuracy points); a stated magnitude ("about 1–2 points") is TOST with the
/// stated band. Needs n ≥ 2 finite values and low < high.
pub fn tost(diffs: &[f64], low: f64, high: f64, alpha: f64) -> Result<Tost> {
    const WHAT: &str = "TOST";
    check_len(WHAT, diffs, 2)?;
    check_finite(WHAT, diffs)?;
    check_alpha(alpha)?;
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(InferenceError::OutOfRange {
            what: "the TOST margin (low, high)",
            valid: "finite with low < high",
            value: high - low,
        });
    }
    let n = diffs.len();
    let m = mean(diffs);
    let se = sample_sd(diffs, m) / (n as f64).sqrt();
    let df = (n - 1) as f64;
    let (t_low, p_low) = p_value(m - low, se, df, Alternative::Greater);
    let (t_high, p_high) = p_value(m - high, se, df, Alternative::Less);
    let p = p_low.max(p_high);
    let h = t_quantile(1.0 - alpha, df) * se;
    Ok(Tost {
        n,
        mean: m,
        se,
        df,
        t_low,
        p_low,
        t_high,
        p_high,
        p_value: p,
        ci_low: m - h,
        ci_high: m + h,
        equivalent: p < alpha,
    })
}

/// The power of the one-sample (paired) t test at level `alpha` with `n` pairs when the true
/// standardized effect is `effect_size` = μ/σ (Cohen's d_z), as statsmodels'
/// `TTestPower().power(effect_size, n, alpha, alternative)`: with ν = n − 1 and noncentrality
/// δ = d·√n, two-sided P(T'_{ν,δ} > t_{1−α/2,ν}) + P(T'_{ν,δ} < −t_{1−α/2,ν}); one-sided
/// P(T' > t_{1−α,ν}) ([`Alternative::Greater`]) or P(T' < −t_{1−α,ν}) ([`Alternative::Less`]),
/// T' the noncentral t ([`nct_cdf`]). Needs n ≥ 2 and a finite effect.
pub fn power(effect_size: f64, n: usize, alpha: f64, alternative: Alternative) -> Result<f64> {
    check_alpha(alpha)?;
    if n < 2 {
        return Err(InferenceError::TooFew {
            what: "the power of the t test",
            needed: 2,
            got: n,
        });
    }
    if !effect_size.is_finite() {
        return Err(InferenceError::OutOfRange {
            what: "the effect size",
            valid: "finite",
            value: effect_size,
        });
    }
    Ok(power_unchecked(effect_size, n as f64, alpha, alternative))
}

fn power_unchecked(d: f64, n: f64, alpha: f64, alternative: Alternative) -> f64 {
    let df = n - 1.0;
    let delta = d * n.sqrt();
    match alternative {
        Alternative::TwoSided => {
            let crit = t_quantile(1.0 - alpha / 2.0, df);
            nct_cdf(crit, df, delta, false) + nct_cdf(-crit, df, delta, true)
        }
        Alternative::Greater => nct_cdf(t_quantile(1.0 - alpha, df), df, delta, false),
        Alternative::Less => nct_cdf(-t_quantile(1.0 - alpha, df), df, delta, true),
    }
}

/// Checks a target power: above the level (the power at no effect) and below 1.
fn check_target(alpha: f64, target: f64) -> Result<()> {
    check_alpha(alpha)?;
    check_probability("the target power", target)?;
    if target <= alpha {
        return Err(InferenceError::OutOfRange {
            what: "the target power",
            valid: "above alpha (the power at no effect)",
            value: target,
        });
    }
    Ok(())
}

/// The minimum detectable effect: the standardized effect |μ/σ| that the t test with `n`
/// pairs detects with probability `target` (e.g. 0.8) at level `alpha`; multiply by the
/// observed σ for the metric's units. The root of [`power`] − target in d > 0, by bisection to
/// the last bit (power rises with |d|); for [`Alternative::Less`] the magnitude of the negative
/// effect. statsmodels' `TTestPower().solve_power(nobs=n, alpha, power)` finds the same root
/// (to its solver's tolerance).
pub fn minimum_detectable_effect(
    n: usize,
    alpha: f64,
    target: f64,
    alternative: Alternative,
) -> Result<f64> {
    check_target(alpha, target)?;
    if n < 2 {
        return Err(InferenceError::TooFew {
            what: "the minimum detectable effect",
            needed: 2,
            got: n,
        });
    }
    let sign = if alternative == Alternative::Less {
        -1.0
    } else {
        1.0
    };
    let reaches = |d: f64| power_unchecked(sign * d, n as f64, alpha, alternative) >= target;
    let mut hi = 1.0;
    while !reaches(hi) {
        hi *= 2.0;
        if hi > 1e6 {
            // Only a target within rounding of 1 gets here.
            return Err(InferenceError::OutOfRange {
                what: "the target power",
                valid: "reachable (further from 1)",
                value: target,
            });
        }
    }
    let mut lo = 0.0;
    while hi - lo > 4.0 * f64::EPSILON * hi {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// The fewest pairs n ≥ 2 at which the t test reaches power `target` for the standardized
/// effect `effect_size` (the observed d̄/s, say) at level `alpha`: the smallest integer with
/// [`power`] ≥ target (statsmodels' `solve_power(effect_size, alpha, power)` gives the real root,
/// whose ceiling this is). `None` when the effect is 0 or points the other way from a one-sided
/// alternative (no n suffices), or when more than `max_n` pairs would be needed.
pub fn seeds_for_power(
    effect_size: f64,
    alpha: f64,
    target: f64,
    alternative: Alternative,
    max_n: usize,
) -> Result<Option<usize>> {
    check_target(alpha, target)?;
    if !effect_size.is_finite() {
        return Err(InferenceError::OutOfRange {
            what: "the effect size",
            valid: "finite",
            value: effect_size,
        });
    }
    let hopeless = match alternative {
        Alternative::TwoSided => effect_size == 0.0,
        Alternative::Greater => effect_size <= 0.0,
        Alternative::Less => effect_size >= 0.0,
    };
    if hopeless || max_n < 2 {
        return Ok(None);
    }
    let reaches = |n: usize| power_unchecked(effect_size, n as f64, alpha, alternative) >= target;
    // Power rises with n: double until reached, then bisect between the last n that fell
    // short (lo; 1 stands for "none yet") and the first that reached (hi).
    let (mut lo, mut hi) = (1, 2);
    while !reaches(hi) {
        if hi >= max_n {
            return Ok(None);
        }
        lo = hi;
        hi = (hi * 2).min(max_n);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(hi))
}

/// What a check reports about its power: the effect it could have detected, and the seeds the
/// observed effect would need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerReport {
    /// Number of differences.
    pub n: usize,
    /// Their mean (the observed effect, in the metric's units).
    pub mean: f64,
    /// Their sample standard deviation.
    pub sd: f64,
    /// The observed standardized effect, mean/sd.
    pub effect_size: f64,
    /// The minimum detectable effect at this n, in the metric's units
    /// ([`minimum_detectable_effect`] × sd).
    pub minimum_detectable: f64,
    /// The seeds needed for the target power at the observed effect ([`seeds_for_power`];
    /// `None` if the observed effect is 0, sd is 0, or more than `max_n` would be needed).
    pub seeds_needed: Option<usize>,
}

/// The power summary of a check's differences at level `alpha` and power `target` (the issue's
/// 80%), two-sided: the minimum detectable effect at its n and the seeds needed at the observed
/// effect, searched up to `max_n`. Needs n ≥ 2 finite values. With sd = 0 the observed effect
/// is exact: the minimum detectable effect is 0 and no seed count is reported.
pub fn power_report(diffs: &[f64], alpha: f64, target: f64, max_n: usize) -> Result<PowerReport> {
    const WHAT: &str = "the power report";
    check_len(WHAT, diffs, 2)?;
    check_finite(WHAT, diffs)?;
    let n = diffs.len();
    let m = mean(diffs);
    let sd = sample_sd(diffs, m);
    let mde = minimum_detectable_effect(n, alpha, target, Alternative::TwoSided)?;
    let (effect_size, seeds_needed) = if sd > 0.0 {
        let d = m / sd;
        (
            d,
            seeds_for_power(d, alpha, target, Alternative::TwoSided, max_n)?,
        )
    } else {
        (f64::NAN, None)
    };
    Ok(PowerReport {
        n,
        mean: m,
        sd,
        effect_size,
        minimum_detectable: mde * sd,
        seeds_needed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_it_cannot_test() {
        assert!(matches!(
            paired_t(&[0.1], Alternative::TwoSided, 0.05),
            Err(InferenceError::TooFew { got: 1, .. })
        ));
        assert!(matches!(
            paired_t(&[0.1, f64::INFINITY], Alternative::TwoSided, 0.05),
            Err(InferenceError::Infinite { index: 1, .. })
        ));
        assert!(matches!(
            paired_t(&[f64::NAN, 0.2], Alternative::TwoSided, 0.05),
            Err(InferenceError::NotANumber { index: 0, .. })
        ));
        assert!(paired_t(&[0.1, 0.2], Alternative::TwoSided, 0.0).is_err());
        assert!(tost(&[0.1, 0.2], 0.1, -0.1, 0.05).is_err());
        assert!(power(0.5, 1, 0.05, Alternative::TwoSided).is_err());
        assert!(minimum_detectable_effect(10, 0.05, 0.04, Alternative::TwoSided).is_err());
    }

    #[test]
    fn equal_differences_are_exact() {
        let t = paired_t(&[0.01; 5], Alternative::TwoSided, 0.05).unwrap();
        assert_eq!((t.sd, t.t, t.p_value), (0.0, f64::INFINITY, 0.0));
        assert_eq!((t.ci_low, t.ci_high), (0.01, 0.01));
        let t = paired_t(&[0.01; 5], Alternative::Less, 0.05).unwrap();
        assert_eq!(t.p_value, 1.0, "no evidence that it is lower");
        let zero = paired_t(&[0.0; 4], Alternative::TwoSided, 0.05).unwrap();
        assert!(zero.t.is_nan());
        assert_eq!((zero.p_value, zero.ci_low, zero.ci_high), (1.0, 0.0, 0.0));
        let e = tost(&[0.001; 6], -0.003, 0.003, 0.05).unwrap();
        assert!(e.equivalent && e.p_value == 0.0);
        let r = power_report(&[0.002; 6], 0.05, 0.8, 1000).unwrap();
        assert_eq!((r.minimum_detectable, r.seeds_needed), (0.0, None));
    }

    #[test]
    fn hand_computed_t() {
        // d = 1, 2, 3, 4: mean 2.5, s² = 5/3, se = √(5/12), t = 2.5/√(5/12) = 3.8729833.
        let t = paired_t(&[1.0, 2.0, 3.0, 4.0], Alternative::TwoSided, 0.05).unwrap();
        assert!((t.t - 3.872_983_346_207_417).abs() < 1e-12);
        // t_{0.975, 3} = 3.182446305284263.
        let h = 3.182_446_305_284_263 * (5.0f64 / 12.0).sqrt();
        assert!((t.ci_low - (2.5 - h)).abs() < 1e-12 && (t.ci_high - (2.5 + h)).abs() < 1e-12);
    }

    #[test]
    fn power_and_seeds_agree() {
        // The seeds reported reach the power; one fewer does not.
        for d in [0.3, 0.55, 1.0] {
            let n = seeds_for_power(d, 0.05, 0.8, Alternative::TwoSided, 10_000)
                .unwrap()
                .unwrap();
            assert!(power(d, n, 0.05, Alternative::TwoSided).unwrap() >= 0.8);
            assert!(power(d, n - 1, 0.05, Alternative::TwoSided).unwrap() < 0.8);
            // The MDE at that n is at most d.
            let mde = minimum_detectable_effect(n, 0.05, 0.8, Alternative::TwoSided).unwrap();
            assert!(mde <= d && mde > 0.8 * d, "{mde} vs {d}");
            let p = power(mde, n, 0.05, Alternative::TwoSided).unwrap();
            assert!((p - 0.8).abs() < 1e-12, "{p}");
        }
        assert_eq!(
            seeds_for_power(0.0, 0.05, 0.8, Alternative::TwoSided, 100).unwrap(),
            None
        );
        assert_eq!(
            seeds_for_power(-0.5, 0.05, 0.8, Alternative::Greater, 100).unwrap(),
            None,
            "the wrong side never reaches power"
        );
        assert_eq!(
            seeds_for_power(0.01, 0.05, 0.8, Alternative::TwoSided, 100).unwrap(),
            None,
            "beyond the cap"
        );
        // No effect: the power is the level.
        let p = power(0.0, 10, 0.05, Alternative::TwoSided).unwrap();
        assert!((p - 0.05).abs() < 1e-12, "{p}");
    }
}
