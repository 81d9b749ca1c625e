//! Activation functions applied to dfdx tensors (TECHNIQUES.md "Activations"), each composed from
//! dfdx ops whose gradients are right (tests/activation_conformance.rs checks forward values and
//! gradients against Keras 3/JAX): leaky_relu(α) is dfdx's scalar prelu, elu through
//! exp(−relu(−z)) − 1, softplus (for mish) in the stable form relu(z) + ln(1 + e^−|z|), gelu_tanh
//! is dfdx's fast_gelu. A product like z·σ(βz) reuses z through `with_empty_tape`, so the gradient
//! flows through both factors.
//!
//! Exact GELU has its own backward: dfdx's `accurate_gelu` gradient is wrong (see
//! ../shared/notes), so the value z·Φ(z) and the derivative Φ(z) + z·φ(z) are computed on the host
//! in f64 and joined to the tape as `y + (z − z̄)·y'` with z̄ a tape-free copy of z: the second
//! term is exactly zero in value and carries the gradient.
//!
//! Learned activations (prelu's α, swish's β with `learned = true`) keep one parameter per unit;
//! the model owns those tensors and calls [`Activation::apply_learned`]. rrelu draws its slopes
//! from the run's noise stream while training ([`Activation::apply_rrelu_train`]) and uses the
//! mean slope otherwise.
//!
//! In a study file an activation is a name (`"selu"`) or, for those with a parameter, a table
//! (`{ name = "leaky_relu", alpha = 0.2 }`). Names without parameters are written to the canonical
//! config as plain strings, as they always were, so recorded cell ids do not change.

use dfdx::prelude::*;
use rand::RngCore;
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
    /// max(αz, z) with α learned per unit.
    Prelu {
        /// Initial α of every unit (Keras: 0).
        #[serde(default)]
        alpha: f64,
    },
    /// max(αz, z) with α ~ U(lower, upper) per element while training, (lower + upper)/2 else.
    Rrelu {
        /// Lowest slope (1/8).
        #[serde(default = "rrelu_lower")]
        lower: f64,
        /// Highest slope (1/3).
        #[serde(default = "rrelu_upper")]
        upper: f64,
    },
    /// z if z > 0 else α(e^z − 1).
    Elu {
        /// α (1).
        #[serde(default = "one")]
        alpha: f64,
    },
    /// λ·elu_α(z) with the self-normalizing constants.
    Selu,
    /// z·Φ(z) = 0.5z(1 + erf(z/√2)), exact.
    Gelu,
    /// 0.5z(1 + tanh(√(2/π)(z + 0.044715z³))).
    GeluTanh,
    /// z·σ(1.702z).
    GeluSigmoid,
    /// z·σ(βz), β fixed or learned per unit.
    Swish {
        /// β, or its initial value when learned (1: silu).
        #[serde(default = "one")]
        beta: f64,
        /// Learn β per unit (written only when true, so fixed-β cell ids stay as they were).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        learned: bool,
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
fn rrelu_lower() -> f64 {
    1.0 / 8.0
}
fn rrelu_upper() -> f64 {
    1.0 / 3.0
}

/// The names accepted in a study file.
pub const NAMES: [&str; 15] = [
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "leaky_relu",
    "prelu",
    "rrelu",
    "elu",
    "selu",
    "gelu",
    "gelu_tanh",
    "gelu_sigmoid",
    "swish",
    "silu",
    "mish",
];

/// Writes an activation as its bare name when it has no parameters, else as a table.
pub fn serialize<S: Serializer>(a: &Activation, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Activation::LeakyRelu { .. }
        | Activation::Prelu { .. }
        | Activation::Rrelu { .. }
        | Activation::Elu { .. }
        | Activation::Swish { .. } => a.serialize(s),
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
            Activation::Prelu { .. } => "prelu",
            Activation::Rrelu { .. } => "rrelu",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::GeluSigmoid => "gelu_sigmoid",
            Activation::Swish { .. } => "swish",
            Activation::Silu => "silu",
            Activation::Mish => "mish",
        }
    }

    /// The initial value of the per-unit parameter a learned activation trains, if any.
    pub fn learned_init(&self) -> Option<f64> {
        match *self {
            Activation::Prelu { alpha } => Some(alpha),
            Activation::Swish {
                beta,
                learned: true,
            } => Some(beta),
            _ => None,
        }
    }

    /// Checks the parameter's range.
    pub fn check(&self) -> crate::Result<()> {
        let invalid = |what: &str, why: String| {
            Err(crate::Error::invalid(
                format!("model.activation.{what}"),
                why,
            ))
        };
        let (what, v) = match *self {
            Activation::LeakyRelu { alpha } => ("leaky_relu.alpha", alpha),
            Activation::Elu { alpha } => ("elu.alpha", alpha),
            Activation::Swish { beta, .. } => ("swish.beta", beta),
            Activation::Prelu { alpha } if !alpha.is_finite() => {
                return invalid(
                    "prelu.alpha",
                    format!("must be a finite number, got {alpha}"),
                )
            }
            Activation::Rrelu { lower, upper } => {
                if lower.is_finite() && upper.is_finite() && 0.0 <= lower && lower <= upper {
                    return Ok(());
                }
                return invalid(
                    "rrelu",
                    format!("needs finite 0 <= lower <= upper, got lower {lower}, upper {upper}"),
                );
            }
            _ => return Ok(()),
        };
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            invalid(what, format!("must be a finite number >= 0, got {v}"))
        }
    }

    /// Applies the activation element-wise in inference mode: rrelu with its mean slope, learned
    /// activations with their initial parameter (the model passes the learned values through
    /// [`Activation::apply_learned`]).
    pub fn apply<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
        self,
        z: Tensor<S, f32, D, T>,
    ) -> Tensor<S, f32, D, T> {
        match self {
            Activation::Linear => z,
            Activation::Relu => z.relu(),
            Activation::Sigmoid => z.sigmoid(),
            Activation::Tanh => z.tanh(),
            Activation::LeakyRelu { alpha } | Activation::Prelu { alpha } => z.prelu(alpha as f32),
            Activation::Rrelu { lower, upper } => z.prelu(((lower + upper) / 2.0) as f32),
            Activation::Elu { alpha } => elu(z, alpha as f32),
            Activation::Selu => elu(z, SELU_ALPHA as f32) * SELU_LAMBDA as f32,
            Activation::Gelu => gelu_exact(z),
            Activation::GeluTanh => z.fast_gelu(),
            Activation::GeluSigmoid => swish(z, 1.702),
            Activation::Swish { beta, .. } => swish(z, beta as f32),
            Activation::Silu => swish(z, 1.0),
            Activation::Mish => {
                let softplus = softplus(z.with_empty_tape());
                z * softplus.tanh()
            }
        }
    }
}

impl Activation {
    /// Applies a learned activation to a batch [n, units] with its per-unit parameter `param`
    /// (prelu's α, swish's β); the parameter's gradient flows through the tape.
    pub fn apply_learned<D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
        self,
        z: Tensor<(usize, usize), f32, D, T>,
        param: &Tensor<(usize,), f32, D>,
    ) -> Tensor<(usize, usize), f32, D, T> {
        let shape = *z.shape();
        let per_unit = param.clone().broadcast_like::<_, Axis<0>>(&shape);
        match self {
            // As Keras: relu(z) − α·relu(−z).
            Activation::Prelu { .. } => {
                let negative = z.with_empty_tape().negate().relu() * per_unit;
                z.relu() - negative
            }
            Activation::Swish { .. } => {
                let gate = (z.with_empty_tape() * per_unit).sigmoid();
                z * gate
            }
            other => other.apply(z),
        }
    }

    /// rrelu in training mode: each element's negative slope drawn from U(lower, upper) with
    /// `noise` (row-major order); other activations as [`Activation::apply`].
    pub fn apply_rrelu_train<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
        self,
        z: Tensor<S, f32, D, T>,
        noise: &mut dyn RngCore,
    ) -> Tensor<S, f32, D, T> {
        let Activation::Rrelu { lower, upper } = self else {
            return self.apply(z);
        };
        let shape = *z.shape();
        let slopes: Vec<f32> = (0..shape.num_elements())
            .map(|_| (lower + (upper - lower) * crate::zoo::rng::uniform01(noise)) as f32)
            .collect();
        let slopes = z.device().tensor_from_vec(slopes, shape);
        let negative = z.with_empty_tape().negate().relu() * slopes;
        z.relu() - negative
    }
}

/// Exact GELU z·Φ(z) with the derivative Φ(z) + z·φ(z), both from f64 on the host (see the
/// module header for how the gradient joins the tape).
fn gelu_exact<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
    z: Tensor<S, f32, D, T>,
) -> Tensor<S, f32, D, T> {
    let shape = *z.shape();
    let dev = z.device().clone();
    let values = z.retaped::<NoneTape>().as_vec();
    let (mut y, mut dy) = (
        Vec::with_capacity(values.len()),
        Vec::with_capacity(values.len()),
    );
    for &v in &values {
        let x = v as f64;
        let cdf = 0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2));
        let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        y.push((x * cdf) as f32);
        dy.push((cdf + x * pdf) as f32);
    }
    let detached = dev.tensor_from_vec(values, shape);
    (z - detached) * dev.tensor_from_vec(dy, shape) + dev.tensor_from_vec(y, shape)
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
