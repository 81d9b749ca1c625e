//! Multiple-testing adjustments: Holm's step-down (family-wise error, within a claim's checks)
//! and Benjamini–Hochberg (false discovery rate, across claims). Adjusted p-values in the
//! input's order, so a check is significant at level α when its adjusted p-value is ≤ α.

use super::{InferenceError, Result};

/// Refuses a p-value that is NaN or outside [0, 1].
fn check_p_values(p: &[f64]) -> Result<()> {
    for (index, &v) in p.iter().enumerate() {
        if v.is_nan() {
            return Err(InferenceError::NotANumber {
                what: "the p-values to adjust",
                index,
            });
        }
        if !(0.0..=1.0).contains(&v) {
            return Err(InferenceError::OutOfRange {
                what: "a p-value",
                valid: "between 0 and 1",
                value: v,
            });
        }
    }
    Ok(())
}

/// The indices of `p` by ascending p-value (stable: equal p-values keep their order, which
/// changes no adjusted value).
fn ascending(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

/// Holm's step-down adjusted p-values (Holm 1979), as
/// `statsmodels.stats.multitest.multipletests(p, method='holm')[1]`: with p₍₁₎ ≤ … ≤ p₍m₎,
/// p̃₍ᵢ₎ = min(1, max_{j ≤ i} (m − j + 1)·p₍ⱼ₎). Rejecting where p̃ ≤ α keeps the family-wise
/// error at α under any dependence. An empty input gives an empty output.
pub fn holm(p: &[f64]) -> Result<Vec<f64>> {
    check_p_values(p)?;
    let m = p.len();
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in ascending(p).iter().enumerate() {
        running = running.max((m - rank) as f64 * p[i]);
        adjusted[i] = running.min(1.0);
    }
    Ok(adjusted)
}

/// Benjamini–Hochberg adjusted p-values (Benjamini & Hochberg 1995), as
/// `multipletests(p, method='fdr_bh')[1]`: p̃₍ᵢ₎ = min(1, min_{j ≥ i} m·p₍ⱼ₎/j). Rejecting where
/// p̃ ≤ q keeps the false discovery rate at q for independent or positively dependent tests.
/// An empty input gives an empty output.
pub fn benjamini_hochberg(p: &[f64]) -> Result<Vec<f64>> {
    check_p_values(p)?;
    let m = p.len();
    let order = ascending(p);
    let mut adjusted = vec![0.0; m];
    let mut running = f64::INFINITY;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(m as f64 * p[i] / (rank + 1) as f64);
        adjusted[i] = running.min(1.0);
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // Sorted 0.01, 0.03, 0.04, 0.2 → Holm 0.04, 0.09, max(0.09, 0.08), 0.2.
        let h = holm(&[0.01, 0.04, 0.03, 0.2]).unwrap();
        let expected = [0.04, 0.09, 0.09, 0.2];
        for (a, b) in h.iter().zip(expected) {
            assert!((a - b).abs() < 1e-15, "{h:?}");
        }
        // BH: 4·0.2/4 = 0.2; 4·0.04/3 = 0.0533; min(4·0.03/2, 0.0533) = 0.0533; 4·0.01 = 0.04.
        let b = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.2]).unwrap();
        let expected = [0.04, 0.16 / 3.0, 0.16 / 3.0, 0.2];
        for (a, e) in b.iter().zip(expected) {
            assert!((a - e).abs() < 1e-15, "{b:?}");
        }
        assert_eq!(holm(&[0.6, 0.7]).unwrap(), [1.0, 1.0], "capped at 1");
        assert!(holm(&[]).unwrap().is_empty());
        assert!(matches!(
            holm(&[0.1, f64::NAN]),
            Err(InferenceError::NotANumber { index: 1, .. })
        ));
        assert!(benjamini_hochberg(&[1.5]).is_err());
    }
}
