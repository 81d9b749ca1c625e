//! LeCun, truncated normal: σ² = 1/fan_in (for SELU), a preset of [variance scaling](super::VarianceScaling) under its Keras name.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::variance_scaling::{draw, variance, Distribution, FanMode};
use super::InitializerRule;
use crate::zoo::technique::Technique;

/// LeCun, truncated normal: σ² = 1/fan_in (for SELU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LecunNormal {}

impl Technique for LecunNormal {
    const NAME: &'static str = "lecun_normal";
}

impl InitializerRule for LecunNormal {
    fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        variance(1.0, FanMode::FanIn, fan_in, fan_out)
    }

    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        draw(
            1.0,
            FanMode::FanIn,
            Distribution::TruncatedNormal,
            fan_in,
            fan_out,
            rng,
        )
    }
}
