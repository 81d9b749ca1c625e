//! Group `train_step`, ids `{net}/{opt}/{batch}`: one training step exactly as
//! `trainbench::train::train_run` takes it under numerics version 2 — `minibatch_loss`
//! (`forward_train_params`: the tape starts at the parameters, so no gradient is computed for
//! the batch; then version 2's fused softmax cross-entropy, the mean over the batch), backward,
//! `Step::apply` with the optimizer at its Keras defaults (SGD η = 0.01, Adam η = 0.001) — on a
//! fixed random batch made once, with the allocator tuned as `train_run` tunes it. Throughput:
//! samples (the batch size) per iteration. `bench_main --flops` prints each row's FLOPs per
//! step (`device_check::step_flops`).
//!
//! Rows and ids match `train_step` in benches/reference/pytorch_bench.py (compare.py pairs
//! `{net}/adam/{batch}` with the fastest of PyTorch's three Adam variants).
//!
//! Not timed, unlike in `train_run`: building the batch tensors from the data and copying the
//! logits and loss to the host for the epoch's metrics (the PyTorch twin does neither).

use std::time::Duration;

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use dfdx::prelude::*;
use rand_chacha::ChaCha8Rng;
use trainbench::model::{Matrix, Mlp};
use trainbench::seed::{stream, Purpose};
use trainbench::train::device_check;
use trainbench::train::step::{minibatch_loss, Step, StepConfig};
use trainbench::zoo::optim::OptimizerConfig;

use super::{batch, check_numerics, criterion, data_rng, device, network};

/// (net id, model spec) in the PyTorch twin's `NETS` order: the chapter's 784-300-100-10 ReLU
/// MLP, the 20×100 nets and LeNet-5, as `trainbench device-check` times them on any device.
fn nets() -> Vec<(&'static str, String)> {
    device_check::nets()
        .into_iter()
        .map(|net| (net.id, net.spec))
        .collect()
}

/// (net, optimizer, batch) in the PyTorch twin's `TRAIN_ROWS` order (without its extra Adam
/// variants, which are PyTorch implementations of the same `adam`).
pub fn rows() -> Vec<(&'static str, &'static str, usize)> {
    let mut rows = Vec::new();
    for batch in [32, 256] {
        for opt in ["sgd", "adam"] {
            rows.push(("mlp", opt, batch));
        }
    }
    for net in [
        "deep20x100_relu",
        "deep20x100_relu_bn",
        "deep20x100_selu",
        "deep20x100_swish",
        "lenet5",
    ] {
        rows.push((net, "sgd", 256));
    }
    rows.push(("lenet5", "sgd", 32));
    rows
}

/// A network training on one fixed batch.
struct Trainer {
    model: Mlp<Cpu>,
    step: Step,
    learning_rate: f64,
    noise: ChaCha8Rng,
    x: Matrix<Cpu>,
    y: Matrix<Cpu>,
}

impl Trainer {
    fn new(dev: &Cpu, spec: &str, opt: &str, batch_size: usize, data: &mut ChaCha8Rng) -> Self {
        let model = network(dev, spec);
        let config = OptimizerConfig::default_for(opt)
            .unwrap_or_else(|| panic!("no optimizer called {opt:?}"));
        let step = StepConfig::plain(config.clone())
            .build(&model)
            .unwrap_or_else(|e| panic!("{e}"));
        let (x, y) = batch(dev, batch_size, data);
        Trainer {
            model,
            step,
            learning_rate: config.learning_rate(),
            noise: stream(0, Purpose::Noise),
            x,
            y,
        }
    }

    /// One step, as `train_run` takes it.
    fn step(&mut self) {
        let (loss, _) = minibatch_loss(
            &mut self.model,
            self.x.clone(),
            Some(self.y.clone()),
            &mut self.noise,
            false,
        );
        let grads = loss.backward();
        self.step.apply(&mut self.model, grads, self.learning_rate);
    }
}

fn train_step(c: &mut Criterion) {
    check_numerics("train_step");
    let dev = device();
    let nets = nets();
    let mut group = c.benchmark_group("train_step");
    // Every sample the same number of iterations, like the PyTorch twin's windows (criterion's
    // linear sampling would need 1,275 iterations for 50 samples).
    group.sampling_mode(SamplingMode::Flat);
    for (net, opt, batch_size) in rows() {
        let id = format!("{net}/{opt}/{batch_size}");
        let spec = &nets.iter().find(|(name, _)| *name == net).unwrap().1;
        let mut trainer = Trainer::new(&dev, spec, opt, batch_size, &mut data_rng(&id));
        group.throughput(Throughput::Elements(batch_size as u64));
        group.bench_function(id.as_str(), |b| b.iter(|| trainer.step()));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = train_step
}
