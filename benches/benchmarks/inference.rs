//! Group `inference`, ids `bn` and `folded`: the logits of a batch of 1000 in inference mode
//! (no tape) from 784-300-100-10 ReLU with batch norm before each hidden activation (dense
//! layers without bias), `Mlp::forward` with the moving statistics (`bn`), against the same
//! network after `Mlp::folded` folded every batch norm into its dense layer (`folded`).
//! Throughput: samples (1000) per iteration.
//!
//! As in the PyTorch twin, γ, β and the moving statistics are given non-trivial values first
//! (so folding is not folding an identity), and the two networks are checked to give the same
//! logits before timing. Ids match `inference` in benches/reference/pytorch_bench.py.

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use dfdx::prelude::*;
use rand_distr::{Distribution, Normal, Uniform};
use trainbench::model::{Kind, Mlp};
use trainbench::seed::{stream, Purpose};
use trainbench::train::INPUTS;

use super::{check_numerics, criterion, data_rng, device, network, normal};

/// Images per forward pass (trainbench's evaluation batch).
const BATCH: usize = 1000;

/// The chapter's MLP with batch norm between each hidden dense layer and its activation. The
/// momentum of 0 makes one training-mode forward pass set the moving statistics to that batch's.
const BN_MLP: &str = r#"
hidden = [300, 100]
activation = "relu"
initializer = "he_normal"
batch_norm = { placement = "before_activation", input = false, momentum = 0.0 }
"#;

/// The batch-norm network with non-trivial values everywhere, as in the PyTorch twin: the moving
/// statistics those of a batch of N(0.3, 1.5²) inputs (one training-mode forward pass), γ ~
/// U(0.5, 1.5) and β ~ N(0, 0.1²).
fn bn_network(dev: &Cpu) -> Mlp<Cpu> {
    let mut model = network(dev, BN_MLP);
    let mut rng = data_rng("inference/bn_network");
    let stats_batch = normal(dev, (BATCH, INPUTS), &mut rng) * 1.5 + 0.3;
    model.forward_train(stats_batch, &mut stream(0, Purpose::Noise));
    let gamma = Uniform::new(0.5f32, 1.5);
    let beta = Normal::new(0.0f32, 0.1).unwrap();
    let mut params = model.param_values();
    for (values, (_, p)) in params.iter_mut().zip(model.params()) {
        match p.kind() {
            Kind::Gamma => values.iter_mut().for_each(|v| *v = gamma.sample(&mut rng)),
            Kind::Beta => values.iter_mut().for_each(|v| *v = beta.sample(&mut rng)),
            _ => {}
        }
    }
    model.restore(&params);
    model
}

fn inference(c: &mut Criterion) {
    check_numerics("inference");
    let dev = device();
    let bn = bn_network(&dev);
    let folded = bn.folded();
    let x = normal(&dev, (BATCH, INPUTS), &mut data_rng("inference/x"));
    let difference = bn
        .forward(x.clone())
        .as_vec()
        .iter()
        .zip(folded.forward(x.clone()).as_vec())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        difference < 1e-3,
        "the folded network's logits differ from the batch-norm network's by {difference}"
    );
    let mut group = c.benchmark_group("inference");
    // Every sample the same number of iterations, like the PyTorch twin's windows (criterion's
    // linear sampling would need 1,275 iterations for 50 samples).
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH as u64));
    for (id, model) in [("bn", &bn), ("folded", &folded)] {
        group.bench_function(id, |b| b.iter(|| model.forward(x.clone())));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = criterion().sample_size(50);
    targets = inference
}
