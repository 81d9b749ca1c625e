//! Group-sequential testing for `--until-decided`: Lan–DeMets alpha spending of the
//! O'Brien–Fleming type, and the two-sided boundaries it gives for looks at chosen seed counts
//! (the n = 10, 20, 30), by recursive numerical integration of the standardized
//! statistic's sub-density (Armitage, McPherson & Rowe 1969; Jennison & Turnbull,
//! Group Sequential Methods, ch. 19). Deciding at a look — comparing the paired test's p-value
//! with the look's nominal level — is the caller's.

use super::dist::{normal_cdf, normal_pdf, normal_quantile, normal_sf};
use super::{check_alpha, InferenceError, Result};

/// The alpha spent by information fraction `t` ∈ (0, 1] under Lan–DeMets' O'Brien–Fleming-type
/// spending function (Lan & DeMets 1983): α(t) = 2 − 2Φ(z_{α/2}/√t), with α the total
/// two-sided level; α(1) = α, and almost nothing is spent early (α(⅓) = 0.00069 at α = 0.05).
/// NaN for t outside (0, 1] or α outside (0, 1).
pub fn obf_spent(t: f64, alpha: f64) -> f64 {
    if !(t > 0.0 && t <= 1.0 && alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    2.0 * normal_sf(normal_quantile(1.0 - alpha / 2.0) / t.sqrt())
}

/// One look of a group-sequential design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Seeds (pairs) at this look.
    pub n: usize,
    /// Information fraction n / n_last.
    pub information: f64,
    /// The alpha spent by this look, cumulative: [`obf_spent`] at `information`.
    pub spent: f64,
    /// The boundary: stop and reject at this look when |Z| ≥ z (Z the standardized statistic).
    pub z: f64,
    /// The same boundary as a two-sided p-value, 2(1 − Φ(z)): reject when the look's p-value
    /// is at most this.
    pub nominal_p: f64,
}

/// Simpson's rule on (−c, c): nodes and weights, with at most `step` between nodes.
fn simpson_grid(c: f64, step: f64) -> (Vec<f64>, Vec<f64>) {
    let intervals = 2 * ((c / step).ceil() as usize).max(1); // even, spacing ≤ step
    let h = 2.0 * c / intervals as f64;
    let nodes = (0..=intervals).map(|i| -c + h * i as f64).collect();
    let weights = (0..=intervals)
        .map(|i| {
            let w = if i == 0 || i == intervals {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * h / 3.0
        })
        .collect();
    (nodes, weights)
}

/// Two-sided group-sequential boundaries for looks at `looks` seeds (strictly increasing; the
/// last is the maximum) at total level `alpha`, spending [`obf_spent`] at the information
/// fractions tₖ = nₖ/n_K. Under H₀ the standardized statistics Z₁ … Z_K are jointly normal with
/// Corr(Zⱼ, Zₖ) = √(tⱼ/tₖ) (j ≤ k) — independent increments of the score — so the boundaries
/// ±cₖ solve P(|Z₁| < c₁, …, |Zₖ₋₁| < cₖ₋₁, |Zₖ| ≥ cₖ) = α(tₖ) − α(tₖ₋₁), one look at a time:
/// c₁ = z_{α(t₁)/2}; then the sub-density of Zₖ on the continuation region,
/// fₖ₊₁(y) = ∫ fₖ(z)·φ((y − rz)/s)/s dz with r = √(tₖ/tₖ₊₁), s = √(1 − tₖ/tₖ₊₁), is carried
/// forward by Simpson's rule (nodes at most min(0.004, s/40) apart) and cₖ₊₁ found by
/// bisection on the crossing probability ∫ fₖ(z)[1 − Φ((c − rz)/s) + Φ((−c − rz)/s)] dz.
/// Checked against scipy's multivariate normal CDF (Genz) in tests/it/inference_reference.rs.
/// At α = 0.05 with looks at 10, 20 and 30 seeds the boundaries are 3.395, 2.407 and 2.015
/// (nominal p 0.00069, 0.0161, 0.0439).
///
/// The boundaries are for a normal statistic. With the paired t test at a look, compare its
/// p-value with the look's `nominal_p` (the usual conversion to nominal levels: each look's
/// p-value is exactly uniform under H₀, and the looks' dependence is close to the normal one,
/// so the overall error stays close to α).
pub fn obf_boundaries(looks: &[usize], alpha: f64) -> Result<Vec<Look>> {
    check_alpha(alpha)?;
    if looks.is_empty() {
        return Err(InferenceError::TooFew {
            what: "a group-sequential design",
            needed: 1,
            got: 0,
        });
    }
    if looks[0] == 0 || looks.windows(2).any(|w| w[0] >= w[1]) {
        return Err(InferenceError::OutOfRange {
            what: "the looks (seed counts)",
            valid: "positive and strictly increasing",
            value: looks[0] as f64,
        });
    }
    let last = *looks.last().expect("not empty") as f64;
    let info: Vec<f64> = looks.iter().map(|&n| n as f64 / last).collect();
    let mut out = Vec::with_capacity(looks.len());
    let first_spent = obf_spent(info[0], alpha);
    // P(|Z₁| ≥ c₁) = α(t₁) = 2 − 2Φ(z_{α/2}/√t₁): the first boundary is z_{α/2}/√t₁ (directly,
    // not through Φ⁻¹ of a number within 1e-6 of 1, which would lose digits).
    let c1 = normal_quantile(1.0 - alpha / 2.0) / info[0].sqrt();
    out.push(Look {
        n: looks[0],
        information: info[0],
        spent: first_spent,
        z: c1,
        nominal_p: 2.0 * normal_sf(c1),
    });
    // The sub-density of Z₁ on (−c₁, c₁).
    let mut c = c1;
    let (mut nodes, mut weights) = simpson_grid(c, 0.004);
    let mut density: Vec<f64> = nodes.iter().map(|&z| normal_pdf(z)).collect();
    for k in 1..looks.len() {
        let r = (info[k - 1] / info[k]).sqrt();
        let s = (1.0 - info[k - 1] / info[k]).sqrt();
        let spent = obf_spent(info[k], alpha);
        let target = spent - out[k - 1].spent;
        let mass: Vec<f64> = density.iter().zip(&weights).map(|(f, w)| f * w).collect();
        let crossing = |b: f64| -> f64 {
            nodes
                .iter()
                .zip(&mass)
                .map(|(&z, &m)| m * (normal_sf((b - r * z) / s) + normal_cdf((-b - r * z) / s)))
                .sum()
        };
        // The crossing probability falls as the boundary rises: bisect.
        let (mut lo, mut hi) = (0.0f64, 40.0f64);
        while hi - lo > 1e-13 * hi {
            let mid = 0.5 * (lo + hi);
            if crossing(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        c = 0.5 * (lo + hi);
        out.push(Look {
            n: looks[k],
            information: info[k],
            spent,
            z: c,
            nominal_p: 2.0 * normal_sf(c),
        });
        if k + 1 < looks.len() {
            let (next_nodes, next_weights) = simpson_grid(c, (s / 40.0).min(0.004));
            density = next_nodes
                .iter()
                .map(|&y| {
                    nodes
                        .iter()
                        .zip(&mass)
                        .map(|(&z, &m)| m * normal_pdf((y - r * z) / s) / s)
                        .sum()
                })
                .collect();
            nodes = next_nodes;
            weights = next_weights;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_and_one_look() {
        assert!((obf_spent(1.0, 0.05) - 0.05).abs() < 1e-15);
        assert!(obf_spent(0.0, 0.05).is_nan() && obf_spent(1.5, 0.05).is_nan());
        // One look is the fixed-sample test.
        let one = obf_boundaries(&[30], 0.05).unwrap();
        assert!((one[0].z - 1.959_963_984_540_054).abs() < 1e-12);
        assert!(obf_boundaries(&[10, 10], 0.05).is_err());
        assert!(obf_boundaries(&[], 0.05).is_err());
        assert!(obf_boundaries(&[0, 10], 0.05).is_err());
    }

    #[test]
    fn boundaries_fall_and_end_near_the_fixed_test() {
        let b = obf_boundaries(&[10, 20, 30], 0.05).unwrap();
        assert!(b[0].z > b[1].z && b[1].z > b[2].z);
        // The last boundary is a little above 1.96: the early looks spent a little alpha.
        assert!(b[2].z > 1.96 && b[2].z < 2.05, "{b:?}");
        assert_eq!(b[2].spent, obf_spent(1.0, 0.05));
    }
}
