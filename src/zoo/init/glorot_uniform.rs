//! Glorot & Bengio 2010, uniform: σ² = 1/fan_avg (Keras's default), a preset of [variance scaling](super::VarianceScaling) under its Keras name.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::variance_scaling::{draw, variance, Distribution, FanMode};
use super::InitializerRule;
use crate::zoo::technique::Technique;

/// Glorot & Bengio 2010, uniform: σ² = 1/fan_avg (Keras's default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlorotUniform {}

impl Technique for GlorotUniform {
    const NAME: &'static str = "glorot_uniform";
}

impl InitializerRule for GlorotUniform {
    fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        variance(1.0, FanMode::FanAvg, fan_in, fan_out)
    }

    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        draw(
            1.0,
            FanMode::FanAvg,
            Distribution::Uniform,
            fan_in,
            fan_out,
            rng,
        )
    }
}
