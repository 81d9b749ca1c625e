//! Group `batch_norm`, id `train_step`: trainbench's `BatchNorm` over 300 features (Keras's
//! momentum 0.99 and ε = 0.001) in training mode on x of shape [256, 300] traced on a leaky
//! tape — forward with the batch statistics, the moving statistics' update, then the backward
//! pass from a fixed upstream gradient g (as the loss (out·g).sum()) for x, γ and β; no optimizer.
//! Throughput: elements (256 × 300) per iteration.
//!
//! The id matches `batch_norm/train_step` in benches/reference/pytorch_bench.py.

use std::time::Duration;

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use dfdx::prelude::*;
use trainbench::model::{BatchNorm, BatchNormSpec, Placement};

use super::{check_numerics, criterion, data_rng, device, normal, ACT_ELEMENTS, ACT_SHAPE};

fn batch_norm(c: &mut Criterion) {
    check_numerics("batch_norm");
    let dev = device();
    let spec = BatchNormSpec {
        placement: Placement::BeforeActivation,
        input: false,
        momentum: 0.99,
        epsilon: 0.001,
    };
    let mut bn = BatchNorm::new(&dev, ACT_SHAPE.1, &spec);
    let mut rng = data_rng("batch_norm/train_step");
    let x = normal(&dev, ACT_SHAPE, &mut rng);
    let upstream = normal(&dev, ACT_SHAPE, &mut rng);
    let mut group = c.benchmark_group("batch_norm");
    // Every sample the same number of iterations, like the PyTorch twin's windows (criterion's
    // linear sampling would need 1,275 iterations for 50 samples).
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(ACT_ELEMENTS));
    group.bench_function("train_step", |b| {
        b.iter(|| {
            let (out, stats) = bn.forward_train(x.clone().traced(Gradients::leaky()));
            bn.update_moving(&stats);
            (out * upstream.clone()).sum::<(), _>().backward()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = batch_norm
}
