//! Rank-based inference on paired differences, for checks where a mean is undefined (a diverged
//! run's loss is +∞): the Wilcoxon signed-rank test and the Hodges–Lehmann estimate of the
//! location with its distribution-free interval. Both take ±∞ (ranked beyond every finite
//! difference) and refuse NaN.

use super::dist::{normal_cdf, normal_quantile, normal_sf, sign_flip_counts};
use super::{check_alpha, check_len, check_no_nan, Alternative, Result};

/// How zero differences (ties between the arms) enter the signed-rank test, as scipy's
/// `zero_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeroMethod {
    /// Wilcoxon's: drop the zeros, rank the rest (scipy's default, "wilcox").
    Wilcox,
    /// Pratt's: rank the zeros with the rest (they take the lowest ranks), then leave their
    /// ranks out of both sums; the normal approximation is corrected for them (Cureton 1967).
    /// Keeps a seed where both arms diverged (difference 0) in the ranking.
    Pratt,
}

/// How the p-value of the signed-rank test is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WilcoxonMethod {
    /// scipy's `method="auto"`: the normal approximation above 50 differences; below, the exact
    /// distribution when there are no ties and no zeros, the exact conditional distribution
    /// (all 2^n sign flips, as scipy's permutation test) for n ≤ 13 otherwise, and the normal
    /// approximation for 14–50 differences with ties or zeros. No continuity correction.
    Auto,
    /// The exact distribution of the statistic over all 2^m sign flips of the observed ranks
    /// (midranks when tied). Without ties or zeros it is Wilcoxon's null distribution (scipy's
    /// `method="exact"`); with them it is the conditional distribution scipy's
    /// `PermutationMethod` enumerates. Any n (the count is a subset-sum recursion).
    Exact,
    /// The normal approximation with the tie correction (and Pratt's zero correction), as
    /// scipy's `method="asymptotic"`; `continuity_correction` is scipy's `correction`.
    Asymptotic {
        /// Shift the statistic by ½ towards its mean before standardizing.
        continuity_correction: bool,
    },
}

/// Which computation a p-value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodUsed {
    /// An exact (possibly conditional) sign-flip distribution.
    Exact,
    /// The normal approximation.
    Asymptotic,
}

/// A Wilcoxon signed-rank test of the oriented differences against a location of 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    /// Differences given (zeros included).
    pub n: usize,
    /// How many were exactly 0.
    pub zeros: usize,
    /// Whether ranked |differences| tie (equal infinities included).
    pub ties: bool,
    /// Sum of the ranks of the positive differences.
    pub r_plus: f64,
    /// Sum of the ranks of the negative differences.
    pub r_minus: f64,
    /// scipy's `statistic`: min(R⁺, R⁻) for the two-sided test, R⁺ otherwise.
    pub statistic: f64,
    /// The standardized statistic (after any continuity correction; NaN unless the normal
    /// approximation was used).
    pub z: f64,
    /// The p-value for the alternative asked.
    pub p_value: f64,
    /// How it was computed.
    pub method: MethodUsed,
}

/// Average ranks (1-based) of `values` in ascending order, ties sharing the mean of their
/// ranks, and the sizes of the tie groups. Infinities rank last and tie with each other.
fn midranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut groups = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 … end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        groups.push(end - start);
        start = end;
    }
    (ranks, groups)
}

/// The Wilcoxon signed-rank test (Wilcoxon 1945) of the oriented differences `diffs`, as
/// `scipy.stats.wilcoxon(diffs, zero_method, correction, alternative, method)` computes it
/// (scipy 1.17; options matched: zero_method "wilcox" and "pratt", correction False/True,
/// method "auto", "exact", "asymptotic", and the permutation method when it enumerates every
/// flip). Rank |dᵢ| (midranks for ties), R⁺ = Σ ranks of dᵢ > 0, R⁻ likewise.
/// - Exact: p_less = P(R⁺ ≤ r), p_greater = P(R⁺ ≥ r) under the 2^m equally likely sign flips
///   of the m nonzero ranks; two-sided min(1, 2·min(p_less, p_greater)).
/// - Asymptotic: E R⁺ = m(m+1)/4 and Var R⁺ = [m(m+1)(2m+1) − ½Σ(t³ − t)]/24 over tie groups
///   of size t (Pratt: m counts the zeros, and z₀(z₀+1)/4 and z₀(z₀+1)(2z₀+1)/24 are taken off
///   the mean and variance for the z₀ zeros, which are not a tie group); z = (R⁺ − E)/√Var,
///   with the continuity correction ∓½/√Var towards 0; p from Φ.
///
/// A diverged run enters as ±∞ and takes the highest rank. With no nonzero difference
/// (every seed a tie) there is no evidence either way: R⁺ = R⁻ = 0 and p = 1 (scipy gives NaN).
/// Needs at least one difference; refuses NaN.
pub fn wilcoxon(
    diffs: &[f64],
    zero_method: ZeroMethod,
    alternative: Alternative,
    method: WilcoxonMethod,
) -> Result<Wilcoxon> {
    const WHAT: &str = "the Wilcoxon signed-rank test";
    check_len(WHAT, diffs, 1)?;
    check_no_nan(WHAT, diffs)?;
    let n = diffs.len();
    let zeros = diffs.iter().filter(|d| **d == 0.0).count();
    // The differences that are ranked.
    let ranked: Vec<f64> = match zero_method {
        ZeroMethod::Wilcox => diffs.iter().copied().filter(|d| *d != 0.0).collect(),
        ZeroMethod::Pratt => diffs.to_vec(),
    };
    let magnitudes: Vec<f64> = ranked.iter().map(|d| d.abs()).collect();
    let (ranks, groups) = midranks(&magnitudes);
    let ties = groups.iter().any(|&g| g > 1);
    let r_plus: f64 = ranked
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let r_minus: f64 = ranked
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d < 0.0)
        .map(|(_, r)| r)
        .sum();
    let statistic = match alternative {
        Alternative::TwoSided => r_plus.min(r_minus),
        _ => r_plus,
    };
    let mut result = Wilcoxon {
        n,
        zeros,
        ties,
        r_plus,
        r_minus,
        statistic,
        z: f64::NAN,
        p_value: 1.0,
        method: MethodUsed::Exact,
    };
    if zeros == n {
        return Ok(result);
    }
    let method = match method {
        WilcoxonMethod::Auto if n > 50 => WilcoxonMethod::Asymptotic {
            continuity_correction: false,
        },
        WilcoxonMethod::Auto if (!ties && zeros == 0) || n <= 13 => WilcoxonMethod::Exact,
        WilcoxonMethod::Auto => WilcoxonMethod::Asymptotic {
            continuity_correction: false,
        },
        other => other,
    };
    match method {
        WilcoxonMethod::Exact | WilcoxonMethod::Auto => {
            // Twice the midranks are integers; zeros (Pratt) add to neither sum whatever their
            // sign, so they leave the distribution's proportions unchanged and are left out.
            let weights: Vec<usize> = ranked
                .iter()
                .zip(&ranks)
                .filter(|(d, _)| **d != 0.0)
                .map(|(_, r)| (2.0 * r).round() as usize)
                .collect();
            let observed = (2.0 * r_plus).round() as usize;
            let counts = sign_flip_counts(&weights);
            let total: f64 = counts.iter().sum();
            let less = counts[..=observed].iter().sum::<f64>() / total;
            let greater = counts[observed..].iter().sum::<f64>() / total;
            result.p_value = match alternative {
                Alternative::TwoSided => (2.0 * less.min(greater)).min(1.0),
                Alternative::Greater => greater,
                Alternative::Less => less,
            };
        }
        WilcoxonMethod::Asymptotic {
            continuity_correction,
        } => {
            let m = ranked.len() as f64;
            let mut mean = m * (m + 1.0) / 4.0;
            let mut var24 = m * (m + 1.0) * (2.0 * m + 1.0);
            let mut tie_sum = 0.0;
            // Tie groups of the ranked magnitudes; under Pratt the zeros' group (the lowest
            // magnitudes) is not a tie group but the zero correction below.
            let mut skip_zero_group = zero_method == ZeroMethod::Pratt && zeros > 0;
            for &g in &groups {
                if skip_zero_group {
                    skip_zero_group = false;
                    continue;
                }
                let t = g as f64;
                tie_sum += t * t * t - t;
            }
            if zero_method == ZeroMethod::Pratt {
                let z0 = zeros as f64;
                mean -= z0 * (z0 + 1.0) / 4.0;
                var24 -= z0 * (z0 + 1.0) * (2.0 * z0 + 1.0);
            }
            let se = ((var24 - tie_sum / 2.0) / 24.0).sqrt();
            let mut z = (r_plus - mean) / se;
            if continuity_correction {
                let sign = match alternative {
                    Alternative::Greater => 1.0,
                    Alternative::Less => -1.0,
                    Alternative::TwoSided => {
                        if z == 0.0 {
                            0.0
                        } else {
                            z.signum()
                        }
                    }
                };
                z -= sign * 0.5 / se;
            }
            result.z = z;
            result.method = MethodUsed::Asymptotic;
            result.p_value = match alternative {
                Alternative::TwoSided => (2.0 * normal_sf(z.abs())).min(1.0),
                Alternative::Greater => normal_sf(z),
                Alternative::Less => normal_cdf(z),
            };
        }
    }
    Ok(result)
}

/// The Hodges–Lehmann estimate of the location of the paired differences, with its
/// distribution-free interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HodgesLehmann {
    /// Number of differences.
    pub n: usize,
    /// The median of the n(n+1)/2 Walsh averages (dᵢ + dⱼ)/2, i ≤ j.
    pub estimate: f64,
    /// The k-th smallest Walsh average (−∞ when k = 0: n too small for the level).
    pub ci_low: f64,
    /// The k-th largest (+∞ when k = 0).
    pub ci_high: f64,
    /// Walsh averages cut from each end.
    pub k: usize,
    /// The confidence the interval actually has, 1 − 2·P(T ≤ k − 1) (1 when k = 0): the
    /// signed-rank distribution is discrete, so it is at least 1 − α, not exactly.
    pub level: f64,
}

/// A Walsh average (a + b)/2, where +∞ and −∞ (a seed where only the cell diverged, another
/// where only the baseline did) average to 0: they tie in rank and cancel.
fn walsh(a: f64, b: f64) -> f64 {
    if a.is_infinite() && b.is_infinite() && a != b {
        0.0
    } else {
        (a + b) / 2.0
    }
}

/// The largest n for which the interval's k comes from the exact signed-rank distribution
/// (above it, from the normal approximation, whose error there is far below one rank).
const EXACT_HL_MAX_N: usize = 300;

/// The Hodges–Lehmann estimate (Hodges & Lehmann 1963) of the location of `diffs` — the
/// median of the Walsh averages (dᵢ + dⱼ)/2, i ≤ j — and the interval from their order
/// statistics that inverts the signed-rank test (Tukey 1949; Hollander & Wolfe, Nonparametric
/// Statistical Methods, §3.3): with W₍₁₎ ≤ … ≤ W₍M₎, M = n(n+1)/2, and k the largest integer
/// with P(T ≤ k − 1) ≤ α/2 under the null distribution of the signed-rank statistic T for n
/// untied values, the interval is [W₍k₎, W₍M+1−k₎]. k comes from the exact distribution for
/// n ≤ 300, else from the normal approximation with continuity correction,
/// k = ⌊n(n+1)/4 + ½ − z_{1−α/2}·√(n(n+1)(2n+1)/24)⌋. Without ties these are the order
/// statistics R's `wilcox.test(conf.int = TRUE)` takes in its exact case (n < 50); with ties or
/// zeros the same order statistics are used here (their coverage is then approximate; R
/// switches to a normal-theory inversion). For n ≤ 5 at α = 0.05 no k ≥ 1 exists: the interval
/// is (−∞, +∞) at confidence 1, where R falls back to [min, max] at a confidence below the one
/// asked.
///
/// Infinities (diverged runs) enter the Walsh averages as themselves, so the estimate is +∞
/// only when more than half of the averages involve a +∞; +∞ and −∞ average to 0 (`walsh`).
/// Needs at least one difference; refuses NaN.
pub fn hodges_lehmann(diffs: &[f64], alpha: f64) -> Result<HodgesLehmann> {
    const WHAT: &str = "the Hodges–Lehmann estimate";
    check_len(WHAT, diffs, 1)?;
    check_no_nan(WHAT, diffs)?;
    check_alpha(alpha)?;
    let n = diffs.len();
    let mut averages = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in i..n {
            averages.push(walsh(diffs[i], diffs[j]));
        }
    }
    averages.sort_by(f64::total_cmp);
    let m = averages.len();
    let estimate = if m % 2 == 1 {
        averages[m / 2]
    } else {
        walsh(averages[m / 2 - 1], averages[m / 2])
    };
    let (k, level) = if n <= EXACT_HL_MAX_N {
        let counts = sign_flip_counts(&(1..=n).collect::<Vec<_>>());
        let total: f64 = counts.iter().sum();
        let mut cumulative = 0.0;
        let mut k = 0;
        let mut level = 1.0;
        for c in &counts {
            cumulative += c;
            if cumulative / total > alpha / 2.0 {
                break;
            }
            k += 1;
            level = 1.0 - 2.0 * cumulative / total;
        }
        (k, level)
    } else {
        let nf = n as f64;
        let mean = nf * (nf + 1.0) / 4.0;
        let sd = (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
        let k = (mean + 0.5 - normal_quantile(1.0 - alpha / 2.0) * sd)
            .floor()
            .max(0.0) as usize;
        let level = if k == 0 {
            1.0
        } else {
            1.0 - 2.0 * normal_cdf((k as f64 - 0.5 - mean) / sd)
        };
        (k, level)
    };
    let (ci_low, ci_high) = if k == 0 {
        (f64::NEG_INFINITY, f64::INFINITY)
    } else {
        (averages[k - 1], averages[m - k])
    };
    Ok(HodgesLehmann {
        n,
        estimate,
        ci_low,
        ci_high,
        k,
        level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::inference::InferenceError;

    #[test]
    fn midranks_share_ties() {
        let (r, g) = midranks(&[3.0, 1.0, 3.0, f64::INFINITY, 2.0, f64::INFINITY]);
        assert_eq!(r, [3.5, 1.0, 3.5, 5.5, 2.0, 5.5]);
        assert_eq!(g, [1, 1, 2, 2]);
    }

    #[test]
    fn all_zero_differences_carry_no_evidence() {
        for zm in [ZeroMethod::Wilcox, ZeroMethod::Pratt] {
            let w = wilcoxon(&[0.0; 6], zm, Alternative::TwoSided, WilcoxonMethod::Auto).unwrap();
            assert_eq!(
                (w.p_value, w.r_plus, w.r_minus, w.zeros),
                (1.0, 0.0, 0.0, 6)
            );
        }
        let hl = hodges_lehmann(&[0.0; 8], 0.05).unwrap();
        assert_eq!((hl.estimate, hl.ci_low, hl.ci_high), (0.0, 0.0, 0.0));
    }

    #[test]
    fn hand_computed_exact_test() {
        // 1, 2, 3, 4, −5: R⁺ = 10 of 15; P(R⁺ ≥ 10) by enumerating the 32 sign flips.
        let d = [1.0, 2.0, 3.0, 4.0, -5.0];
        let w = wilcoxon(
            &d,
            ZeroMethod::Wilcox,
            Alternative::Greater,
            WilcoxonMethod::Exact,
        )
        .unwrap();
        let mut at_least = 0;
        for mask in 0u32..32 {
            let sum: u32 = (0..5).filter(|i| mask & (1 << i) != 0).map(|i| i + 1).sum();
            if sum >= 10 {
                at_least += 1;
            }
        }
        assert_eq!(w.r_plus, 10.0);
        assert_eq!(w.p_value, at_least as f64 / 32.0);
    }

    #[test]
    fn diverged_runs_rank_worst() {
        // The cell diverged on seeds 2 and 5 (−∞); elsewhere it is slightly better.
        let d = [
            0.01,
            0.02,
            f64::NEG_INFINITY,
            0.005,
            0.015,
            f64::NEG_INFINITY,
        ];
        let w = wilcoxon(
            &d,
            ZeroMethod::Pratt,
            Alternative::TwoSided,
            WilcoxonMethod::Auto,
        )
        .unwrap();
        assert_eq!(
            w.r_minus,
            5.5 + 5.5,
            "the two diverged seeds take the top ranks"
        );
        assert_eq!(w.r_plus, 1.0 + 2.0 + 3.0 + 4.0);
        // 11 of the 21 Walsh averages involve a −∞: two diverged seeds of six pull the
        // estimate to −∞; one (6 of 21) leaves it finite, its interval open below.
        let hl = hodges_lehmann(&d, 0.05).unwrap();
        assert_eq!(hl.estimate, f64::NEG_INFINITY);
        let one = hodges_lehmann(&d[..5], 0.05).unwrap();
        assert_eq!(
            one.estimate, 0.01,
            "the 8th of the 15 averages, 5 of them −∞"
        );
        let seven = [0.01, 0.02, f64::NEG_INFINITY, 0.005, 0.015, 0.012, 0.008];
        let hl = hodges_lehmann(&seven, 0.05).unwrap();
        assert!(hl.estimate.is_finite() && hl.estimate > 0.0, "{hl:?}");
        assert_eq!(hl.ci_low, f64::NEG_INFINITY, "k = 2, and 7 averages are −∞");
        // Every seed diverged in the cell: the estimate is −∞.
        let all = hodges_lehmann(&[f64::NEG_INFINITY; 4], 0.05).unwrap();
        assert_eq!(all.estimate, f64::NEG_INFINITY);
        let w = wilcoxon(
            &[f64::NEG_INFINITY; 7],
            ZeroMethod::Wilcox,
            Alternative::Less,
            WilcoxonMethod::Auto,
        )
        .unwrap();
        assert_eq!(
            w.p_value,
            1.0 / 128.0,
            "all seven worse: the most extreme flip"
        );
        // ±∞ on different seeds cancel in their Walsh average.
        assert_eq!(walsh(f64::INFINITY, f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn small_samples() {
        let hl = hodges_lehmann(&[0.3], 0.05).unwrap();
        assert_eq!((hl.estimate, hl.k, hl.level), (0.3, 0, 1.0));
        assert_eq!((hl.ci_low, hl.ci_high), (f64::NEG_INFINITY, f64::INFINITY));
        let w = wilcoxon(
            &[0.3],
            ZeroMethod::Wilcox,
            Alternative::TwoSided,
            WilcoxonMethod::Auto,
        )
        .unwrap();
        assert_eq!(w.p_value, 1.0, "one flip of two: 2·½");
        assert!(wilcoxon(
            &[],
            ZeroMethod::Wilcox,
            Alternative::TwoSided,
            WilcoxonMethod::Auto
        )
        .is_err());
        assert!(matches!(
            hodges_lehmann(&[0.1, f64::NAN], 0.05),
            Err(InferenceError::NotANumber { index: 1, .. })
        ));
    }

    #[test]
    fn interval_k_from_the_normal_approximation_matches_the_exact_one_near_the_switch() {
        // For n = 300 both ways of finding k must agree to within one Walsh average.
        let n = 300usize;
        let counts = sign_flip_counts(&(1..=n).collect::<Vec<_>>());
        let total: f64 = counts.iter().sum();
        let mut cumulative = 0.0;
        let mut exact_k = 0usize;
        for c in &counts {
            cumulative += c;
            if cumulative / total > 0.025 {
                break;
            }
            exact_k += 1;
        }
        let nf = n as f64;
        let mean = nf * (nf + 1.0) / 4.0;
        let sd = (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
        let normal_k = (mean + 0.5 - 1.959_963_984_540_054 * sd).floor() as usize;
        assert!(exact_k.abs_diff(normal_k) <= 1, "{exact_k} vs {normal_k}");
    }
}
