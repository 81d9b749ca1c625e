//! LeCun 1998, uniform: σ² = 1/fan_in, a preset of [variance scaling](super::VarianceScaling) under its Keras name.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::variance_scaling::{draw, variance, Distribution, FanMode};
use super::InitializerRule;
use crate::zoo::technique::Technique;

/// LeCun 1998, uniform: σ² = 1/fan_in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LecunUniform {}

impl Technique for LecunUniform {
    const NAME: &'static str = "lecun_uniform";
}

impl InitializerRule for LecunUniform {
    fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        variance(1.0, FanMode::FanIn, fan_in, fan_out)
    }

    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        draw(
            1.0,
            FanMode::FanIn,
            Distribution::Uniform,
            fan_in,
            fan_out,
            rng,
        )
    }
}
