//! Activation functions applied to dfdx tensors (TECHNIQUES.md "Activations"). Only activations
//! whose dfdx gradient is correct are built from dfdx ops directly; the rest of the chapter's
//! activations arrive with the technique-zoo work.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

/// An activation, named as in Keras.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// Identity (Keras "linear").
    Linear,
    /// max(0, z).
    Relu,
    /// 1 / (1 + e^−z).
    Sigmoid,
    /// tanh(z).
    Tanh,
}

impl Activation {
    /// Applies the activation element-wise.
    pub fn apply<S: Shape, D: Device<f32>, T: Tape<f32, D>>(
        self,
        z: Tensor<S, f32, D, T>,
    ) -> Tensor<S, f32, D, T> {
        match self {
            Activation::Linear => z,
            Activation::Relu => z.relu(),
            Activation::Sigmoid => z.sigmoid(),
            Activation::Tanh => z.tanh(),
        }
    }
}
