//! Activation functions (TECHNIQUES.md "Activations"): a plug-in family. An activation
//! ([`ActivationFn`]) gives its scalar form f(z), f′(z), and may give a composition of dfdx ops
//! ([`graph::TensorOps`]) for its tensor form; without one it runs through the generic
//! element-wise op built from the scalar form, which works on any dfdx device. The built-ins keep
//! their dfdx compositions, whose gradients are right (tests/it/activation_conformance.rs checks
//! forward values and gradients against Keras 3/JAX), and on the `Cpu` relu, elu, selu and
//! fixed-β swish run as the fused ops of `model/cpu.rs` ([`Fused`]), as do tanh, sigmoid, gelu,
//! gelu_tanh and mish under numerics version 2 (with `kernels`' vectorized tanh, erf, sigmoid). Each built-in is one file
//! here, listed in its family's `builtins()`.
//!
//! Learned activations (prelu's α, swish's β with `learned = true`) keep one parameter per unit;
//! the model owns those tensors and calls [`Activation::apply_learned`]. rrelu draws its slopes
//! from the run's noise stream while training ([`Activation::apply_rrelu_train`]) and uses the
//! mean slope otherwise.
//!
//! In a study file an activation is a name (`"selu"`) or, for those with a parameter, a table
//! (`{ name = "leaky_relu", alpha = 0.2 }`). Names without parameters are written to the canonical
//! config as plain strings, as they always were, so recorded cell ids do not change.

pub mod graph;

mod elu;
mod gelu;
mod gelu_sigmoid;
mod gelu_tanh;
mod leaky_relu;
mod linear;
mod mish;
mod prelu;
mod relu;
mod rrelu;
mod selu;
mod sigmoid;
mod silu;
mod swish;
mod tanh;

pub use elu::Elu;
pub use gelu::Gelu;
pub use gelu_sigmoid::GeluSigmoid;
pub use gelu_tanh::GeluTanh;
pub use leaky_relu::LeakyRelu;
pub use linear::Linear;
pub use mish::Mish;
pub use prelu::Prelu;
pub use relu::Relu;
pub use rrelu::Rrelu;
pub use selu::{Selu, SELU_ALPHA, SELU_LAMBDA};
pub use sigmoid::Sigmoid;
pub use silu::Silu;
pub use swish::Swish;
pub use tanh::Tanh;

use std::sync::Arc;

use dfdx::prelude::*;
use rand::RngCore;

use super::registry::Config;
use super::registry::Registry;
use super::technique::{typed, DynTechnique, Erase, Factory, Family, Technique};
use crate::error::{Error, Result};
use graph::{Node, TensorOps};

impl Registry {
    /// Adds the activation `T` (a user's own, or a built-in listed again).
    pub fn activation<T: ActivationFn>(self) -> Self {
        self.with::<Activations>(typed::<Activations, T>())
    }
}

/// An activation function: what a user's crate implements (with [`Technique`]) to add one. Only
/// [`ActivationFn::scalar`] is required; the rest have defaults for a plain, parameter-free f.
pub trait ActivationFn: Technique {
    /// f(z) and f′(z) (a learned activation at its initial parameter, rrelu at its mean slope).
    fn scalar(&self, z: f64) -> (f64, f64);
    /// Checks the parameters; the error names `model.activation.<name>.<what>` (see
    /// [`invalid`]).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// f applied to `z` element-wise in inference mode. The default is the generic element-wise
    /// op from [`ActivationFn::scalar`].
    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.elementwise(z, &|v| self.scalar(v))
    }
    /// f while training, with the run's noise stream (rrelu's random slopes); the default is
    /// [`ActivationFn::compose`].
    fn compose_train(&self, ops: &mut dyn TensorOps, z: Node, _noise: &mut dyn RngCore) -> Node {
        self.compose(ops, z)
    }
    /// The initial value of the per-unit parameter a learned activation trains, if it has one.
    fn learned_init(&self) -> Option<f64> {
        None
    }
    /// f with the learned per-unit parameter, reached through [`TensorOps::mul_param`].
    fn compose_learned(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        self.compose(ops, z)
    }
    /// The fused op the `Cpu` runs instead of [`ActivationFn::compose`] (see [`Fused`]).
    fn fused(&self) -> Option<Fused> {
        None
    }
}

/// An activation behind a trait object; implemented for every [`ActivationFn`].
pub trait DynActivationFn: DynTechnique {
    /// [`ActivationFn::scalar`].
    fn scalar(&self, z: f64) -> (f64, f64);
    /// [`ActivationFn::check`].
    fn check(&self) -> Result<()>;
    /// [`ActivationFn::compose`].
    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node;
    /// [`ActivationFn::compose_train`].
    fn compose_train(&self, ops: &mut dyn TensorOps, z: Node, noise: &mut dyn RngCore) -> Node;
    /// [`ActivationFn::learned_init`].
    fn learned_init(&self) -> Option<f64>;
    /// [`ActivationFn::compose_learned`].
    fn compose_learned(&self, ops: &mut dyn TensorOps, z: Node) -> Node;
    /// [`ActivationFn::fused`].
    fn fused(&self) -> Option<Fused>;
}

impl<T: ActivationFn> DynActivationFn for T {
    fn scalar(&self, z: f64) -> (f64, f64) {
        ActivationFn::scalar(self, z)
    }
    fn check(&self) -> Result<()> {
        ActivationFn::check(self)
    }
    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ActivationFn::compose(self, ops, z)
    }
    fn compose_train(&self, ops: &mut dyn TensorOps, z: Node, noise: &mut dyn RngCore) -> Node {
        ActivationFn::compose_train(self, ops, z, noise)
    }
    fn learned_init(&self) -> Option<f64> {
        ActivationFn::learned_init(self)
    }
    fn compose_learned(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ActivationFn::compose_learned(self, ops, z)
    }
    fn fused(&self) -> Option<Fused> {
        ActivationFn::fused(self)
    }
}

/// The activation family.
pub enum Activations {}

impl Family for Activations {
    type Dyn = dyn DynActivationFn;
    const KIND: &'static str = "activation";
    const BARE_NAME: bool = true;

    /// The built-in activations, in the order errors list them.
    fn builtins() -> Vec<Arc<dyn Factory<Self>>> {
        vec![
            typed::<Self, Linear>(),
            typed::<Self, Relu>(),
            typed::<Self, Sigmoid>(),
            typed::<Self, Tanh>(),
            typed::<Self, LeakyRelu>(),
            typed::<Self, Prelu>(),
            typed::<Self, Rrelu>(),
            typed::<Self, Elu>(),
            typed::<Self, Selu>(),
            typed::<Self, Gelu>(),
            typed::<Self, GeluTanh>(),
            typed::<Self, GeluSigmoid>(),
            typed::<Self, Swish>(),
            typed::<Self, Silu>(),
            typed::<Self, Mish>(),
        ]
    }
}

impl<T: ActivationFn> Erase<Activations> for T {
    fn erase(self) -> Arc<dyn DynActivationFn> {
        Arc::new(self)
    }
}

/// An activation the `Cpu` runs as one fused op (`model/cpu.rs`). Under numerics version 1 the
/// fused op gives the bits of the activation's dfdx composition (forward and backward written to
/// its float order); the variants for which [`Fused::since_version_2`] holds have no version-1
/// form and run only under version 2 (version 1 keeps the composition for them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fused {
    /// max(z, 0).
    Relu,
    /// elu with α, times λ for selu.
    Elu {
        /// α.
        alpha: f32,
        /// selu's λ.
        lambda: Option<f32>,
    },
    /// z·σ(βz) (silu, gelu_sigmoid, fixed-β swish).
    Swish {
        /// β.
        beta: f32,
    },
    /// tanh z (version 2 only).
    Tanh,
    /// σ(z) = 1/(1 + e⁻ᶻ) (version 2 only).
    Sigmoid,
    /// Exact GELU z·Φ(z) with the vectorized erf (version 2 only).
    Gelu,
    /// GELU's tanh approximation with the vectorized tanh (version 2 only).
    GeluTanh,
    /// Mish z·tanh(softplus(z)) (version 2 only).
    Mish,
}

impl Fused {
    /// Whether this fused op exists only under numerics version 2 (it has no bit-identical
    /// version-1 form: version 1 runs the activation's dfdx composition instead).
    pub fn since_version_2(self) -> bool {
        matches!(
            self,
            Fused::Tanh | Fused::Sigmoid | Fused::Gelu | Fused::GeluTanh | Fused::Mish
        )
    }

    /// Whether the fused op computes the activation under numerics `version`.
    pub fn serves(self, version: u32) -> bool {
        !self.since_version_2() || version >= kernels::numerics::V2
    }
}

/// `model.activation.<what>` is invalid: `why`.
pub fn invalid(what: &str, why: impl Into<String>) -> Error {
    Error::invalid(format!("model.activation.{what}"), why)
}

/// `model.activation.<what>` must be a finite number >= 0.
pub fn check_non_negative(what: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            what,
            format!("must be a finite number >= 0, got {value}"),
        ))
    }
}

/// An activation, as a model spec holds it.
pub type Activation = Config<Activations>;

impl Activation {
    /// Checks the parameters' ranges.
    pub fn check(&self) -> Result<()> {
        self.get().check()
    }

    /// f(z) and f′(z) of the scalar form.
    pub fn scalar(&self, z: f64) -> (f64, f64) {
        self.get().scalar(z)
    }

    /// The initial value of the per-unit parameter a learned activation trains, if any.
    pub fn learned_init(&self) -> Option<f64> {
        self.get().learned_init()
    }

    /// The fused `Cpu` op, if there is one (see [`Fused`]).
    pub fn fused(&self) -> Option<Fused> {
        self.get().fused()
    }

    /// Applies the activation element-wise in inference mode: rrelu with its mean slope, learned
    /// activations with their initial parameter (the model passes the learned values through
    /// [`Activation::apply_learned`]).
    pub fn apply<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
        &self,
        z: Tensor<S, f32, D, T>,
    ) -> Tensor<S, f32, D, T> {
        graph::run(z, None, |ops, z| self.get().compose(ops, z))
    }

    /// Applies a learned activation to a batch [n, units] with its per-unit parameter `param`
    /// (prelu's α, swish's β); the parameter's gradient flows through the tape. Activations
    /// without one are applied as [`Activation::apply`].
    pub fn apply_learned<D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
        &self,
        z: Tensor<(usize, usize), f32, D, T>,
        param: &Tensor<(usize,), f32, D>,
    ) -> Tensor<(usize, usize), f32, D, T> {
        if self.learned_init().is_none() {
            return self.apply(z);
        }
        let shape = *z.shape();
        let per_unit = param.clone().broadcast_like::<_, Axis<0>>(&shape);
        graph::run(z, Some(per_unit), |ops, z| {
            self.get().compose_learned(ops, z)
        })
    }

    /// The activation in training mode: rrelu's slopes drawn from `noise` (one per element,
    /// row-major order); others as [`Activation::apply`].
    pub fn apply_rrelu_train<S: Shape, D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
        &self,
        z: Tensor<S, f32, D, T>,
        noise: &mut dyn RngCore,
    ) -> Tensor<S, f32, D, T> {
        graph::run(z, None, |ops, z| self.get().compose_train(ops, z, noise))
    }
}

/// z·σ(βz), as dfdx ops: the gate from a second use of z (shared by silu, gelu_sigmoid, swish).
pub(crate) fn swish(ops: &mut dyn TensorOps, z: Node, beta: f32) -> Node {
    let shared = ops.share(&z);
    let scaled = ops.mul_scalar(shared, beta);
    let gate = ops.sigmoid(scaled);
    ops.mul(z, gate)
}

/// z·σ(βz) and its derivative σ(βz) + βz·σ(βz)(1 − σ(βz)).
pub(crate) fn swish_scalar(z: f64, beta: f64) -> (f64, f64) {
    let s = 1.0 / (1.0 + (-beta * z).exp());
    (z * s, s + beta * z * s * (1.0 - s))
}

/// relu(z) + α(e^min(z, 0) − 1), with min(z, 0) = −relu(−z) (elu and selu).
pub(crate) fn elu(ops: &mut dyn TensorOps, z: Node, alpha: f32) -> Node {
    let shared = ops.share(&z);
    let negated = ops.negate(shared);
    let relu = ops.relu(negated);
    let min = ops.negate(relu);
    let exp = ops.exp(min);
    let shifted = ops.sub_scalar(exp, 1.0);
    let negative_part = ops.mul_scalar(shifted, alpha);
    let positive_part = ops.relu(z);
    ops.add(positive_part, negative_part)
}

/// elu_α(z) and its derivative.
pub(crate) fn elu_scalar(z: f64, alpha: f64) -> (f64, f64) {
    if z > 0.0 {
        (z, 1.0)
    } else {
        (alpha * (z.exp() - 1.0), alpha * z.exp())
    }
}

/// max(αz, z) and its derivative (leaky_relu, prelu, rrelu).
pub(crate) fn leaky_scalar(z: f64, alpha: f64) -> (f64, f64) {
    if z > 0.0 {
        (z, 1.0)
    } else {
        (alpha * z, alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in's dfdx composition (values and gradients, f32) agrees with its scalar form
    /// (f64): the two are written separately, so a slip in either shows.
    #[test]
    fn compositions_match_the_scalar_forms() {
        let dev = Cpu::default();
        let zs: Vec<f32> = (0..161).map(|i| -8.0 + 0.1 * i as f32).collect();
        for name in Registry::builtin().names::<Activations>() {
            let a = Activation::default_for(name).unwrap();
            let z = dev.tensor_from_vec(zs.clone(), (zs.len(),));
            let y = a.apply(z.clone().traced(Gradients::leaky()));
            let values = y.retaped::<NoneTape>().as_vec();
            let grads = y.sum().backward().get(&z).as_vec();
            for ((&z, &v), &g) in zs.iter().zip(&values).zip(&grads) {
                let (f, df) = a.scalar(f64::from(z));
                let close = |ours: f32, exact: f64| {
                    (f64::from(ours) - exact).abs() <= 2e-6 * exact.abs().max(1.0)
                };
                // relu-like kinks: the derivative at 0 is a convention.
                assert!(close(v, f), "{name}({z}): {v} vs {f}");
                assert!(z == 0.0 || close(g, df), "{name}'({z}): {g} vs {df}");
            }
        }
    }

    /// The generic element-wise op gives the scalar form's values and derivatives, as the
    /// activation of a user's crate would run.
    #[test]
    fn the_elementwise_op_follows_the_scalar_form() {
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Cube {}
        impl Technique for Cube {
            const NAME: &'static str = "cube";
        }
        impl ActivationFn for Cube {
            fn scalar(&self, z: f64) -> (f64, f64) {
                (z * z * z, 3.0 * z * z)
            }
        }
        let a = Activation::new(Cube {});
        let dev = Cpu::default();
        let z = dev.tensor_from_vec(vec![-2.0f32, 0.5, 3.0], (3,));
        let y = a.apply(z.clone().traced(Gradients::leaky()));
        assert_eq!(y.retaped::<NoneTape>().as_vec(), [-8.0, 0.125, 27.0]);
        assert_eq!(y.sum().backward().get(&z).as_vec(), [12.0, 0.75, 27.0]);
        assert_eq!(serde_json::to_string(&a).unwrap(), r#""cube""#);
    }

    #[test]
    fn parameterless_activations_are_written_as_bare_names() {
        let json = |a: &Activation| serde_json::to_string(a).unwrap();
        assert_eq!(json(&Activation::new(Relu {})), r#""relu""#);
        assert_eq!(json(&Activation::new(Selu {})), r#""selu""#);
        assert_eq!(
            json(&Activation::new(LeakyRelu { alpha: 0.2 })),
            r#"{"name":"leaky_relu","alpha":0.2}"#
        );
        assert_eq!(
            json(&Activation::default_for("swish").unwrap()),
            r#"{"name":"swish","beta":1.0}"#
        );
        let learned: Activation = toml::from_str::<toml::Value>("name = \"swish\"\nlearned = true")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            json(&learned),
            r#"{"name":"swish","beta":1.0,"learned":true}"#
        );
    }
}
