//! Quantities a claim names that follow from definitions, not from runs (e.g. act-5's "GELU ≈
//! z·σ(1.702z)": the largest gap between the two functions), computed here in f64.

/// The value of the computed quantity `name`.
pub fn value(name: &str) -> Result<f64, String> {
    match name {
        "max_abs_gelu_minus_gelu_sigmoid" => Ok(max_gap(gelu, |z| z * sigmoid(1.702 * z))),
        "max_abs_gelu_minus_gelu_tanh" => Ok(max_gap(gelu, gelu_tanh)),
        other => Err(format!(
            "unknown computed quantity {other}; known: max_abs_gelu_minus_gelu_sigmoid, \
             max_abs_gelu_minus_gelu_tanh"
        )),
    }
}

/// max |f(z) − g(z)| over z ∈ [−10, 10] in steps of 1e-4 (both functions meet outside it).
fn max_gap(f: impl Fn(f64) -> f64, g: impl Fn(f64) -> f64) -> f64 {
    (0..=200_000)
        .map(|i| -10.0 + i as f64 * 1e-4)
        .map(|z| (f(z) - g(z)).abs())
        .fold(0.0, f64::max)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// z·Φ(z).
pub fn gelu(z: f64) -> f64 {
    0.5 * z * (1.0 + libm::erf(z / std::f64::consts::SQRT_2))
}

/// The tanh approximation.
pub fn gelu_tanh(z: f64) -> f64 {
    let c = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * z * (1.0 + (c * (z + 0.044715 * z.powi(3))).tanh())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sigmoid_approximation_of_gelu_is_within_two_hundredths() {
        // Hendrycks & Gimpel (2016): z·σ(1.702z) approximates GELU to about 0.02.
        let gap = value("max_abs_gelu_minus_gelu_sigmoid").unwrap();
        assert!(gap > 0.01 && gap < 0.03, "{gap}");
        let tanh_gap = value("max_abs_gelu_minus_gelu_tanh").unwrap();
        assert!(tanh_gap < 1e-3, "{tanh_gap}");
        assert!(value("nonsense").is_err());
    }
}
