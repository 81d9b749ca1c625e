//! Activation functions applied to dfdx tensors (TECHNIQUES.md "Activations"), each composed from
//! dfdx ops whose gradients are right (tests/activation_conformance.rs checks forward values and
//! gradients against Keras 3/JAX): leaky_relu(α) is dfdx's scalar prelu, elu through
//! exp(−relu(−z)) − 1, softplus (for mish) in the stable form relu(z) + ln(1 + e^−|z|), gelu_tanh
//! is dfdx's fast_gelu. A product like z·σ(βz) reuses z through `with_empty_tape`, so the gradient
//! flows through both factors.
//!
//! In a study file an activation is a name (`"selu"`) or, for those with a parameter, a table
//! (`{ name = "leaky_relu", alpha = 0.2 }`). Names without parameters are written to the canonical
//! config as plain strings, as they always were, so recorded cell ids do not change.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize, Serializer};

/// SELU's α and λ (Klambauer et al. 2017), as Keras.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
/// SELU's scale λ.
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

/// An activation, named as in Keras.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Activation {
    /// Identity (Keras "linear").
    Linear,
    /// max(0, z).
    Relu,
    /// 1 / (1 + e^−z).
    Sigmoid,
    /// tanh(z).
    Tanh,
    /// max(αz, z).
    LeakyRelu {
        /// α (Keras's default 0.3; the chapter uses 0.2 and compares 0.01).
        #[serde(default = "leaky_alpha")]
        alpha: f64,
    },
    /// z if z > 0 else α(e^z − 1).
    Elu {
        /// α (1).
        #[serde(default = "one")]
        alpha: f64,
    },
    /// λ·elu_α(z) with the self-normalizing constants.
    Selu,
    /// 0.5z(1 + tanh(√(2/π)(z + 0.044715z³))).
    GeluTanh,
    /// z·σ(1.702z).
    GeluSigmoid,
    /// z·σ(βz) with a fixed β.
    Swish {
        /// β (1: silu).
        #[serde(default = "one")]
        beta: f64,
    },
    /// z·σ(z).
    Silu,
    /// z·tanh(softplus(z)).
    Mish,
}

fn leaky_alpha() -> f64 {
    0.3
}
fn one() -> f64 {
    1.0
}

/// The names accepted in a study file.
pub const NAMES: [&str; 12] = [
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "leaky_relu",
    "elu",
    "selu",
    "gelu_tanh",
    "gelu_sigmoid",
    "swish",
    "silu",
    "mish",
];

/// Writes an activation as its bare name when it has no parameters, else as a table.
pub fn serialize<S: Serializer>(a: &Activation, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Activation::LeakyRelu { .. } | Activation::Elu { .. } | Activation::Swish { .. } => {
            a.serialize(s)
        }
        _ => s.serialize_str(a.name()),
    }
}

impl Activation {
    /// The Keras name.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::GeluSigmoid => "gelu_sigmoid",
            Activation::Swish { .. } => "swish",
            Activation::Silu => "silu",
            Activation::Mish => "mish",
        }
    }

    /// Checks the parameter's range.
    pub fn check(&self) -> crate::Result<()> {
        let (what, v) = match *self {
            Activation::LeakyRelu { alpha } => ("leaky_relu.alpha", alpha),
            Activation::Elu { alpha } => ("elu.alpha", alpha),
            Activation::Swish { beta } => ("swish.beta", beta),
            _ => return Ok(()),
        };
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err(crate::Error::invalid(
                format!("model.activation.{what}"),
                format!("must be a finite number >= 0, got {v}"),
            ))
        }
    }

    /// Applies the activation element-wise.
    pub fn apply<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
        self,
        z: Tensor<S, f32, D, T>,
    ) -> Tensor<S, f32, D, T> {
        match self {
            Activation::Linear => z,
            Activation::Relu => z.relu(),
            Activation::Sigmoid => z.sigmoid(),
            Activation::Tanh => z.tanh(),
            Activation::LeakyRelu { alpha } => z.prelu(alpha as f32),
            Activation::Elu { alpha } => elu(z, alpha as f32),
            Activation::Selu => elu(z, SELU_ALPHA as f32) * SELU_LAMBDA as f32,
            Activation::GeluTanh => z.fast_gelu(),
            Activation::GeluSigmoid => swish(z, 1.702),
            Activation::Swish { beta } => swish(z, beta as f32),
            Activation::Silu => swish(z, 1.0),
            Activation::Mish => {
                let softplus = softplus(z.with_empty_tape());
                z * softplus.tanh()
            }
        }
    }
}

/// relu(z) + α(e^min(z, 0) − 1), with min(z, 0) = −relu(−z).
fn elu<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
    z: Tensor<S, f32, D, T>,
    alpha: f32,
) -> Tensor<S, f32, D, T> {
    let negative_part = (z.with_empty_tape().negate().relu().negate().exp() - 1.0) * alpha;
    z.relu() + negative_part
}

/// z·σ(βz).
fn swish<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
    z: Tensor<S, f32, D, T>,
    beta: f32,
) -> Tensor<S, f32, D, T> {
    let gate = (z.with_empty_tape() * beta).sigmoid();
    z * gate
}

/// ln(1 + e^z) as relu(z) + ln(1 + e^−|z|), finite for every finite z.
fn softplus<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
    z: Tensor<S, f32, D, T>,
) -> Tensor<S, f32, D, T> {
    let tail = (z.with_empty_tape().abs().negate().exp() + 1.0).ln();
    z.relu() + tail
}
