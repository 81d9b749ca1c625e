//! Variance scaling (Keras `VarianceScaling`): σ² = scale/fan with any fan and distribution, and
//! the draw the Keras-named presets (glorot_*, he_*, lecun_*) share. Kernels are
//! [fan_in, fan_out] row-major (Keras layout).

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::InitializerRule;
use crate::error::{Error, Result};
use crate::zoo::rng::{standard_normal, uniform01};
use crate::zoo::technique::Technique;

/// Keras's truncated normal keeps draws within ±2 std; dividing by this constant (the std of a
/// standard normal truncated to [-2, 2]) makes the truncated variance equal the target variance.
pub const TRUNCATED_NORMAL_STD: f64 = 0.879_625_661_034_239_8;

/// Which fan the variance is divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FanMode {
    /// Inputs of the layer.
    FanIn,
    /// Outputs of the layer.
    FanOut,
    /// (fan_in + fan_out) / 2.
    FanAvg,
}

/// The distribution a variance-scaling initializer draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Normal cut at ±2 std, rescaled so its variance is the target (Keras's "normal").
    TruncatedNormal,
    /// Plain normal with the target variance.
    UntruncatedNormal,
    /// U(−r, r) with r = sqrt(3σ²).
    Uniform,
}

/// σ² = scale/fan with any fan and distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarianceScaling {
    /// Multiplier of the variance.
    #[serde(default = "one")]
    pub scale: f64,
    /// Which fan divides it.
    #[serde(default = "fan_in")]
    pub mode: FanMode,
    /// What to draw from.
    #[serde(default = "truncated")]
    pub distribution: Distribution,
}

fn one() -> f64 {
    1.0
}
fn fan_in() -> FanMode {
    FanMode::FanIn
}
fn truncated() -> Distribution {
    Distribution::TruncatedNormal
}

impl Technique for VarianceScaling {
    const NAME: &'static str = "variance_scaling";
}

impl InitializerRule for VarianceScaling {
    fn check(&self) -> Result<()> {
        if self.scale.is_finite() && self.scale > 0.0 {
            Ok(())
        } else {
            Err(Error::invalid(
                "initializer.scale",
                format!("must be a finite number > 0, got {}", self.scale),
            ))
        }
    }

    fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        variance(self.scale, self.mode, fan_in, fan_out)
    }

    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        draw(
            self.scale,
            self.mode,
            self.distribution,
            fan_in,
            fan_out,
            rng,
        )
    }
}

/// scale / fan.
pub(super) fn variance(scale: f64, mode: FanMode, fan_in: usize, fan_out: usize) -> f64 {
    scale / fan(mode, fan_in, fan_out)
}

/// A [fan_in, fan_out] kernel with variance scale/fan from `distribution`.
pub(super) fn draw(
    scale: f64,
    mode: FanMode,
    distribution: Distribution,
    fan_in: usize,
    fan_out: usize,
    rng: &mut dyn RngCore,
) -> Vec<f32> {
    let n = fan_in * fan_out;
    let variance = variance(scale, mode, fan_in, fan_out);
    match distribution {
        Distribution::Uniform => {
            let limit = (3.0 * variance).sqrt();
            (0..n).map(|_| draw_uniform(limit, rng)).collect()
        }
        Distribution::UntruncatedNormal => {
            let std = variance.sqrt();
            (0..n)
                .map(|_| (std * standard_normal(rng)) as f32)
                .collect()
        }
        Distribution::TruncatedNormal => {
            let std = variance.sqrt() / TRUNCATED_NORMAL_STD;
            (0..n)
                .map(|_| (std * truncated_standard_normal(rng)) as f32)
                .collect()
        }
    }
}

/// U(−limit, limit) as f32.
pub(super) fn draw_uniform(limit: f64, rng: &mut dyn RngCore) -> f32 {
    ((2.0 * uniform01(rng) - 1.0) * limit) as f32
}

fn fan(mode: FanMode, fan_in: usize, fan_out: usize) -> f64 {
    match mode {
        FanMode::FanIn => fan_in as f64,
        FanMode::FanOut => fan_out as f64,
        FanMode::FanAvg => (fan_in + fan_out) as f64 / 2.0,
    }
}

/// A standard normal draw rejected outside [-2, 2] (resampled, as Keras does).
fn truncated_standard_normal(rng: &mut dyn RngCore) -> f64 {
    loop {
        let x = standard_normal(rng);
        if x.abs() <= 2.0 {
            return x;
        }
    }
}
