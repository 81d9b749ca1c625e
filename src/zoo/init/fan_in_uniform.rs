//! U(±1/sqrt(fan_in)), the default of dfdx's and PyTorch's Linear.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::variance_scaling::draw_uniform;
use super::InitializerRule;
use crate::zoo::technique::Technique;

/// U(±1/sqrt(fan_in)), the default of dfdx's and PyTorch's Linear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FanInUniform {}

impl Technique for FanInUniform {
    const NAME: &'static str = "fan_in_uniform";
}

impl InitializerRule for FanInUniform {
    fn variance(&self, fan_in: usize, _fan_out: usize) -> f64 {
        // U(±a) has variance a²/3.
        1.0 / (3.0 * fan_in as f64)
    }

    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        let limit = 1.0 / (fan_in as f64).sqrt();
        (0..fan_in * fan_out)
            .map(|_| draw_uniform(limit, rng))
            .collect()
    }
}
