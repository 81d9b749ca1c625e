//! Exact GELU (Hendrycks & Gimpel 2016): z·Φ(z) = 0.5z(1 + erf(z/√2)), with the derivative
//! Φ(z) + z·φ(z), both from f64 on the host through the generic element-wise op: dfdx's
//! `accurate_gelu` gradient is wrong (see ../shared/notes).

use serde::{Deserialize, Serialize};

use super::{ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// z·Φ(z), exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gelu {}

impl Technique for Gelu {
    const NAME: &'static str = "gelu";
}

impl ActivationFn for Gelu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        let cdf = 0.5 * (1.0 + libm::erf(z / std::f64::consts::SQRT_2));
        let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        (z * cdf, cdf + z * pdf)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Gelu)
    }
}
