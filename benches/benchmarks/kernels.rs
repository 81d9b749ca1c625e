//! Groups `kernels` and `update`: version 2's element-wise kernels against the scalar library
//! functions version 1 calls, and a fused optimizer update against its two passes. Not paired
//! with a PyTorch twin (no such rows there): these time trainbench's own building blocks.
//!
//! - `kernels`, ids `tanh/vectorized`, `tanh/glibc_scalar`, `erf/vectorized`,
//!   `erf/libm_scalar` (the `libm` crate's `erff`: Rust's std has no erf), `sigmoid/vectorized`,
//!   `sigmoid/glibc_scalar` (1/(1 + expf(−x)), dfdx's form): one pass in place over a
//!   [256, 300] array of standard normal values (the activation rows' shape), on the path this
//!   CPU has. Throughput: elements per iteration.
//! - `update`, ids `adam_weight_decay/one_pass` and `adam_weight_decay/two_passes`: an Adam
//!   step with the `weight_decay` option on a 784 × 300 kernel, as
//!   `Optimizer::update_decayed` (one pass) and as `optim::decay` then `Optimizer::update`.
//!
//! The inputs are restored from a copy before each iteration (`iter_batched_ref` with the copy
//! outside the timing), so every iteration sees the same values.

use std::time::Duration;

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use rand_distr::{Distribution, StandardNormal};
use trainbench::zoo::optim::{decay, OptimizerConfig};

use super::{check_numerics, criterion, data_rng, ACT_ELEMENTS};

/// Standard normal values, `n` of them, from the inputs of the bench called `name`.
fn normal_values(name: &str, n: usize) -> Vec<f32> {
    StandardNormal.sample_iter(data_rng(name)).take(n).collect()
}

type InPlace = fn(&mut [f32]);

fn glibc_tanh(xs: &mut [f32]) {
    for x in xs {
        *x = x.tanh();
    }
}

fn libm_erf(xs: &mut [f32]) {
    for x in xs {
        *x = libm::erff(*x);
    }
}

fn glibc_sigmoid(xs: &mut [f32]) {
    for x in xs {
        *x = 1.0 / (1.0 + (-*x).exp());
    }
}

fn element_wise(c: &mut Criterion) {
    check_numerics("kernels");
    let mut group = c.benchmark_group("kernels");
    group.throughput(Throughput::Elements(ACT_ELEMENTS));
    let rows: [(&str, InPlace); 6] = [
        ("tanh/vectorized", kernels::tanh::tanh_in_place),
        ("tanh/glibc_scalar", glibc_tanh),
        ("erf/vectorized", kernels::erf::erf_in_place),
        ("erf/libm_scalar", libm_erf),
        ("sigmoid/vectorized", kernels::sigmoid::sigmoid_in_place),
        ("sigmoid/glibc_scalar", glibc_sigmoid),
    ];
    for (id, f) in rows {
        let xs = normal_values(id, ACT_ELEMENTS as usize);
        group.bench_function(id, |b| {
            b.iter_batched_ref(|| xs.clone(), |v| f(v), BatchSize::LargeInput)
        });
    }
    group.finish();
}

fn update(c: &mut Criterion) {
    check_numerics("update");
    let mut group = c.benchmark_group("update");
    let n = 784 * 300;
    group.throughput(Throughput::Elements(n as u64));
    let params = normal_values("update/params", n);
    let grads = normal_values("update/grads", n);
    let (lr, weight_decay) = (0.001, 0.004f32);
    let adam = OptimizerConfig::default_for("adam").expect("adam is built in");
    for fused in [true, false] {
        let id = if fused {
            "adam_weight_decay/one_pass"
        } else {
            "adam_weight_decay/two_passes"
        };
        let mut optimizer = adam.build(&[n]).expect("a valid config");
        optimizer.begin_step();
        group.bench_function(id, |b| {
            b.iter_batched_ref(
                || params.clone(),
                |p| {
                    if fused {
                        optimizer.update_decayed(0, lr, weight_decay, p, &grads);
                    } else {
                        decay(lr as f32, weight_decay, p);
                        optimizer.update(0, lr, p, &grads);
                    }
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = element_wise, update
}
