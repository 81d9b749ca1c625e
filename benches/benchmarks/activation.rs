//! Group `activation`, ids `relu`, `leaky_relu` (α = 0.2), `elu`, `selu`, `gelu` (exact),
//! `gelu_tanh`, `silu`, `mish`, `sigmoid`, `tanh`, `prelu` (one α per unit, starting at 0.25):
//! `y = f(x)` with trainbench's `Activation` for x of shape [256, 300] traced on a leaky tape,
//! then the backward pass from a fixed upstream gradient g (as the loss (y·g).sum(), whose
//! gradient with respect to y is g): the gradient for x, and for PReLU's α too. Throughput:
//! elements (256 × 300) per iteration.
//!
//! Ids match `activation` in benches/reference/pytorch_bench.py (which asks autograd for the
//! gradient from the same upstream gradient, without the product and the sum).

use std::time::Duration;

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use dfdx::prelude::*;
use trainbench::zoo::activation::{
    Activation, Elu, Gelu, GeluTanh, LeakyRelu, Mish, Prelu, Relu, Selu, Sigmoid, Silu, Tanh,
};

use super::{criterion, data_rng, device, normal, ACT_ELEMENTS, ACT_SHAPE};

/// PReLU's initial α, as the PyTorch twin's.
const PRELU_ALPHA: f32 = 0.25;

/// (id, activation) in the PyTorch twin's `ACTIVATIONS` order.
fn activations() -> Vec<(&'static str, Activation)> {
    vec![
        ("relu", Activation::new(Relu {})),
        ("leaky_relu", Activation::new(LeakyRelu { alpha: 0.2 })),
        ("elu", Activation::new(Elu { alpha: 1.0 })),
        ("selu", Activation::new(Selu {})),
        ("gelu", Activation::new(Gelu {})),
        ("gelu_tanh", Activation::new(GeluTanh {})),
        ("silu", Activation::new(Silu {})),
        ("mish", Activation::new(Mish {})),
        ("sigmoid", Activation::new(Sigmoid {})),
        ("tanh", Activation::new(Tanh {})),
        (
            "prelu",
            Activation::new(Prelu {
                alpha: f64::from(PRELU_ALPHA),
            }),
        ),
    ]
}

fn activation(c: &mut Criterion) {
    let dev = device();
    let mut group = c.benchmark_group("activation");
    // Every sample the same number of iterations, like the PyTorch twin's windows (criterion's
    // linear sampling would need 1,275 iterations for 50 samples).
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(ACT_ELEMENTS));
    for (id, f) in activations() {
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
                    let y = f.apply(x.clone().traced(Gradients::leaky()));
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
