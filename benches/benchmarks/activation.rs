//! Group `activation`, ids `relu`, `leaky_relu` (α = 0.2), `elu`, `selu`, `gelu` (exact),
//! `gelu_tanh`, `silu`, `mish`, `sigmoid`, `tanh`, `prelu` (one α per unit, starting at 0.25):
//! `y = f(x)` for x of shape [256, 300] traced on a leaky tape, as a training step under numerics
//! version 2 computes an activation that follows batch norm (`trainbench::model::apply_activation`),
//! then the backward pass from a fixed upstream gradient g (as the loss (y·g).sum(), whose
//! gradient with respect to y is g): the gradient for x, and for PReLU's α too. Throughput:
//! elements (256 × 300) per iteration.
//!
//! Which op each row times (checked before timing: the bench panics if the model's choice
//! changes without this list):
//! - the fused `Cpu` op (`model/cpu.rs`'s `activation`: one pass forward, one backward, version
//!   2's vectorized exp, tanh, erf and sigmoid): `relu`, `elu`, `selu`, `gelu`, `gelu_tanh`,
//!   `silu`, `mish`, `sigmoid`, `tanh`;
//! - dfdx's composition of the activation's ops, which training runs for these too:
//!   `leaky_relu` (no fused op) and `prelu` (a learned α, `Activation::apply_learned`).
//!
//! After a dense layer with a bias, training fuses the bias with the activation
//! (`cpu::bias_activation`), which these rows do not time (nor does the twin add a bias).
//!
//! Ids match `activation` in benches/reference/pytorch_bench.py (which asks autograd for the
//! gradient from the same upstream gradient, without the product and the sum).

use std::time::Duration;

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use dfdx::prelude::*;
use trainbench::model::{apply_activation, fused_activation};
use trainbench::zoo::activation::{
    Activation, Elu, Gelu, GeluTanh, LeakyRelu, Mish, Prelu, Relu, Selu, Sigmoid, Silu, Tanh,
};

use super::{check_numerics, criterion, data_rng, device, normal, ACT_ELEMENTS, ACT_SHAPE};

/// PReLU's initial α, as the PyTorch twin's.
const PRELU_ALPHA: f32 = 0.25;

/// (id, activation, whether a training step runs it as a fused op under version 2) in the
/// PyTorch twin's `ACTIVATIONS` order.
fn activations() -> Vec<(&'static str, Activation, bool)> {
    vec![
        ("relu", Activation::new(Relu {}), true),
        (
            "leaky_relu",
            Activation::new(LeakyRelu { alpha: 0.2 }),
            false,
        ),
        ("elu", Activation::new(Elu { alpha: 1.0 }), true),
        ("selu", Activation::new(Selu {}), true),
        ("gelu", Activation::new(Gelu {}), true),
        ("gelu_tanh", Activation::new(GeluTanh {}), true),
        ("silu", Activation::new(Silu {}), true),
        ("mish", Activation::new(Mish {}), true),
        ("sigmoid", Activation::new(Sigmoid {}), true),
        ("tanh", Activation::new(Tanh {}), true),
        (
            "prelu",
            Activation::new(Prelu {
                alpha: f64::from(PRELU_ALPHA),
            }),
            false,
        ),
    ]
}

fn activation(c: &mut Criterion) {
    check_numerics("activation");
    let dev = device();
    let mut group = c.benchmark_group("activation");
    // Every sample the same number of iterations, like the PyTorch twin's windows (criterion's
    // linear sampling would need 1,275 iterations for 50 samples).
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(ACT_ELEMENTS));
    for (id, f, fused) in activations() {
        let takes_fused = f.learned_init().is_none() && fused_activation::<Cpu>(&f).is_some();
        assert_eq!(
            takes_fused,
            fused,
            "activation/{id}: the module doc says it {} the fused op; update the doc",
            if fused { "takes" } else { "does not take" }
        );
        let mut rng = data_rng(id);
        let x = normal(&dev, ACT_SHAPE, &mut rng);
        let upstream = normal(&dev, ACT_SHAPE, &mut rng);
        if f.learned_init().is_some() {
            let alpha = dev.tensor_from_vec(vec![PRELU_ALPHA; ACT_SHAPE.1], (ACT_SHAPE.1,));
            group.bench_function(id, |b| {
                b.iter(|| {
                    let y = f.apply_learned(x.clone().traced(Gradients::leaky()), &alpha);
                    (y * upstream.clone()).sum::<(), _>().backward()
                })
            });
        } else {
            group.bench_function(id, |b| {
                b.iter(|| {
                    let y = apply_activation(&f, x.clone().traced(Gradients::leaky()));
                    (y * upstream.clone()).sum::<(), _>().backward()
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = activation
}
