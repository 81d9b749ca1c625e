//! Divergence rates: a proportion's Wilson interval, the Newcombe interval of the difference of
//! two proportions, and Fisher's exact test, so that stability is compared as an outcome (a
//! diverged run is a count, not a missing value).

use super::dist::normal_quantile;
use super::{check_alpha, InferenceError, Result};
use statrs::function::gamma::ln_gamma;

/// A proportion with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Events (diverged runs).
    pub count: u64,
    /// Trials (runs).
    pub n: u64,
    /// count/n.
    pub rate: f64,
    /// Lower end of the 1 − α Wilson interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
}

fn check_count(count: u64, n: u64) -> Result<()> {
    if n == 0 {
        return Err(InferenceError::TooFew {
            what: "a rate",
            needed: 1,
            got: 0,
        });
    }
    if count > n {
        return Err(InferenceError::OutOfRange {
            what: "a count",
            valid: "at most the number of trials",
            value: count as f64,
        });
    }
    Ok(())
}

/// The rate count/n with its Wilson score interval (Wilson 1927), as statsmodels'
/// `proportion_confint(count, n, alpha, method='wilson')`: with z = z_{1−α/2} and p̂ = count/n,
/// centre (p̂ + z²/2n)/(1 + z²/n), half-width z·√(p̂(1−p̂)/n + z²/4n²)/(1 + z²/n), clipped to
/// [0, 1]. Unlike the Wald interval it is sensible at 0 or n events (0 of 10 diverged:
/// [0, 0.278]). Needs n ≥ 1 and count ≤ n.
pub fn wilson(count: u64, n: u64, alpha: f64) -> Result<Rate> {
    check_count(count, n)?;
    check_alpha(alpha)?;
    let nf = n as f64;
    let p = count as f64 / nf;
    let z = normal_quantile(1.0 - alpha / 2.0);
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    Ok(Rate {
        count,
        n,
        rate: p,
        ci_low: (centre - half).clamp(0.0, 1.0),
        ci_high: (centre + half).clamp(0.0, 1.0),
    })
}

/// Two rates compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateDifference {
    /// The first arm (the cell).
    pub first: Rate,
    /// The second (the baseline).
    pub second: Rate,
    /// first.rate − second.rate.
    pub difference: f64,
    /// Lower end of the 1 − α Newcombe interval of the difference.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Fisher's exact two-sided p-value ([`fisher_exact`]).
    pub p_value: f64,
    /// The sample odds ratio (see [`FisherExact::odds_ratio`]).
    pub odds_ratio: f64,
}

/// The difference of two rates, count1/n1 − count2/n2, with Newcombe's hybrid score interval
/// (Newcombe 1998, method 10), as statsmodels'
/// `confint_proportions_2indep(count1, n1, count2, n2, method='newcomb', compare='diff')`:
/// with (l₁, u₁) and (l₂, u₂) the Wilson intervals, [d − √((p̂₁−l₁)² + (u₂−p̂₂)²),
/// d + √((u₁−p̂₁)² + (p̂₂−l₂)²)]; and Fisher's exact test of the same table. Needs n1, n2 ≥ 1.
pub fn compare_rates(
    count1: u64,
    n1: u64,
    count2: u64,
    n2: u64,
    alpha: f64,
) -> Result<RateDifference> {
    let first = wilson(count1, n1, alpha)?;
    let second = wilson(count2, n2, alpha)?;
    let difference = first.rate - second.rate;
    let below =
        ((first.rate - first.ci_low).powi(2) + (second.ci_high - second.rate).powi(2)).sqrt();
    let above =
        ((first.ci_high - first.rate).powi(2) + (second.rate - second.ci_low).powi(2)).sqrt();
    let fisher = fisher_exact(count1, n1, count2, n2)?;
    Ok(RateDifference {
        first,
        second,
        difference,
        ci_low: difference - below,
        ci_high: difference + above,
        p_value: fisher.p_value,
        odds_ratio: fisher.odds_ratio,
    })
}

/// Fisher's exact test of a 2×2 table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FisherExact {
    /// The sample odds ratio (a·d)/(b·c) of the table [[a, b], [c, d]] =
    /// [[count1, n1 − count1], [count2, n2 − count2]]; +∞ when b·c = 0 (and a·d > 0), NaN
    /// when a row or column is empty.
    pub odds_ratio: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

/// ln C(n, k).
fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// Fisher's exact test (Fisher 1935) of count1 of n1 against count2 of n2, two-sided, as
/// `scipy.stats.fisher_exact([[count1, n1 − count1], [count2, n2 − count2]])`: given the
/// margins, the count a of the top-left cell is hypergeometric,
/// P(a) = C(n1, a)·C(n2, c − a)/C(n1 + n2, c) with c = count1 + count2; the p-value is the
/// total probability of the tables no more likely than the one observed,
/// Σ P(x) over P(x) ≤ P(count1)·(1 + 10⁻⁷). The relative tolerance is R's (`fisher.test`); scipy
/// uses 10⁻¹⁴: they differ only if two tables' probabilities are that close without being equal,
/// which the reference cases rule out. A table with an empty row or column gives p = 1. Needs
/// n1, n2 ≥ 1.
pub fn fisher_exact(count1: u64, n1: u64, count2: u64, n2: u64) -> Result<FisherExact> {
    check_count(count1, n1)?;
    check_count(count2, n2)?;
    let (a, b, c, d) = (count1, n1 - count1, count2, n2 - count2);
    let events = a + c;
    let non_events = b + d;
    if events == 0 || non_events == 0 {
        return Ok(FisherExact {
            odds_ratio: f64::NAN,
            p_value: 1.0,
        });
    }
    let odds_ratio = if b > 0 && c > 0 {
        (a as f64 * d as f64) / (b as f64 * c as f64)
    } else {
        f64::INFINITY
    };
    let total = ln_choose(n1 + n2, events);
    let lo = events.saturating_sub(n2);
    let hi = events.min(n1);
    let probability = |x: u64| (ln_choose(n1, x) + ln_choose(n2, events - x) - total).exp();
    let observed = probability(a);
    let threshold = observed * (1.0 + 1e-7);
    let p: f64 = (lo..=hi).map(probability).filter(|&q| q <= threshold).sum();
    Ok(FisherExact {
        odds_ratio,
        p_value: p.min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges() {
        let none = wilson(0, 10, 0.05).unwrap();
        assert_eq!(none.rate, 0.0);
        assert!(
            none.ci_low.abs() < 1e-16,
            "centre − half-width, 0 up to rounding"
        );
        assert!(
            (none.ci_high - 0.277_532_799_278_3).abs() < 1e-9,
            "{none:?}"
        );
        let all = wilson(10, 10, 0.05).unwrap();
        assert_eq!(all.ci_high, 1.0);
        assert!(wilson(1, 0, 0.05).is_err() && wilson(3, 2, 0.05).is_err());
        let f = fisher_exact(0, 10, 0, 10).unwrap();
        assert!(f.odds_ratio.is_nan() && f.p_value == 1.0, "nobody diverged");
        // Lady tasting tea: [[3, 1], [1, 3]] → p = 0.4857 (17/35).
        let tea = fisher_exact(3, 4, 1, 4).unwrap();
        assert!((tea.p_value - 17.0 / 35.0).abs() < 1e-12, "{tea:?}");
        assert_eq!(tea.odds_ratio, 9.0);
        let d = compare_rates(9, 10, 0, 10, 0.05).unwrap();
        assert!(d.ci_low > 0.0 && d.p_value < 0.001, "{d:?}");
    }
}
