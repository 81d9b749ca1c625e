//! N(0, 1) whatever the layer size: the pre-2010 practice the chapter argues against.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::InitializerRule;
use crate::zoo::rng::standard_normal;
use crate::zoo::technique::Technique;

/// N(0, 1) whatever the layer size (pre-2010 practice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardNormal {}

impl Technique for StandardNormal {
    const NAME: &'static str = "standard_normal";
}

impl InitializerRule for StandardNormal {
    fn variance(&self, _fan_in: usize, _fan_out: usize) -> f64 {
        1.0
    }

    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        (0..fan_in * fan_out)
            .map(|_| standard_normal(rng) as f32)
            .collect()
    }
}
