//! He, truncated normal: σ² = 2/fan_in, a preset of [variance scaling](super::VarianceScaling) under its Keras name.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::variance_scaling::{draw, variance, Distribution, FanMode};
use super::InitializerRule;
use crate::zoo::technique::Technique;

/// He, truncated normal: σ² = 2/fan_in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeNormal {}

impl Technique for HeNormal {
    const NAME: &'static str = "he_normal";
}

impl InitializerRule for HeNormal {
    fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        variance(2.0, FanMode::FanIn, fan_in, fan_out)
    }

    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        draw(
            2.0,
            FanMode::FanIn,
            Distribution::TruncatedNormal,
            fan_in,
            fan_out,
            rng,
        )
    }
}
