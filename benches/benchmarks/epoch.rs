//! Group `epoch`: one whole run of one epoch on the real Fashion-MNIST, through
//! `trainbench::train::train_run` with seed 0: building the model, 1,719 shuffled minibatch
//! steps over the 55,000 training images, the validation pass and the final test pass.
//! Throughput: training samples (55,000) per iteration. Ids:
//!
//! - `optimizers_sgd_32`: studies/optimizers.toml's `sgd` cell (784-300-100-10 ReLU, He
//!   normal, SGD η = 0.01, batch 32);
//! - `lenet5_sgd_32`: the same cell with LeNet-5 as its model (the model's default CNN, ReLU,
//!   He normal: `device_check::nets`' `lenet5`), the "LeNet-sized epoch" of the CNN workload.
//!
//! The cell is recorded under numerics version 1; the run here computes under version 2, as
//! every bench row does (`train_run` enters its config's version, set to [`super::NUMERICS`]).
//!
//! The data are loaded (fetched into the cache if they are nowhere, as `trainbench study` does)
//! the first time the bench runs, not timed; without them the bench panics with the reason.
//! The PyTorch twin (benches/reference/pytorch_bench.py, group `epoch`) trains the same nets for
//! one epoch of 55,000 images (random ones: the time does not depend on the pixels) with the same
//! passes.
//!
//! Unlike `trainbench study`, which runs each run on a one-thread rayon pool, the run here uses
//! the benches' global pool (2 threads unless `RAYON_NUM_THREADS` says otherwise).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use trainbench::config::RunConfig;
use trainbench::data::{self, DataOptions, FashionMnist};
use trainbench::study::spec;
use trainbench::study::Overrides;
use trainbench::train::{train_run, DataView};

use super::{check_numerics, criterion, device, NUMERICS};

/// Training images in an epoch (60,000 less the 5,000 held out for validation).
const TRAIN_IMAGES: usize = 55_000;

/// The rows: (id, the bench net whose model replaces the cell's, if any).
const ROWS: [(&str, Option<&str>); 2] = [
    ("optimizers_sgd_32", None),
    ("lenet5_sgd_32", Some("lenet5")),
];

/// The `sgd` cell of studies/optimizers.toml with one epoch (its model replaced by the bench net
/// `net`), and the study's first seed.
fn sgd_cell(net: Option<&str>) -> (RunConfig, u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies/optimizers.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let overrides = Overrides {
        epochs: Some(1),
        ..Overrides::default()
    };
    let study = spec::parse(&path, &text, overrides).unwrap_or_else(|e| panic!("{e}"));
    let cell = study
        .cells
        .iter()
        .find(|cell| cell.config.optimizer.name() == "sgd")
        .unwrap_or_else(|| panic!("{} has no sgd cell", path.display()));
    let mut config = cell.config.clone();
    if let Some(net) = net {
        let spec = trainbench::train::device_check::nets()
            .into_iter()
            .find(|n| n.id == net)
            .unwrap_or_else(|| panic!("no bench net called {net}"))
            .spec;
        config.model = toml::from_str(&spec).unwrap_or_else(|e| panic!("{net}: {e}"));
    }
    config.epochs = 1;
    config.numerics = NUMERICS;
    assert_eq!(config.batch_size, 32, "the bench's id says batch 32");
    (config, study.seeds[0])
}

fn load_data() -> FashionMnist {
    let options = DataOptions {
        fetch: true,
        ..DataOptions::default()
    };
    let data = data::load(&options)
        .unwrap_or_else(|e| panic!("the epoch rows need the real Fashion-MNIST: {e}"));
    assert_eq!(data.train.len(), TRAIN_IMAGES);
    data
}

fn epoch(c: &mut Criterion) {
    check_numerics("epoch");
    let dev = device();
    let stop = AtomicBool::new(false);
    let mut data: Option<FashionMnist> = None;
    let mut group = c.benchmark_group("epoch");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(TRAIN_IMAGES as u64));
    for (id, net) in ROWS {
        let (config, seed) = sgd_cell(net);
        group.bench_function(id, |b| {
            let data = data.get_or_insert_with(load_data);
            let view = DataView {
                train: &data.train,
                val: &data.val,
                test: &data.test,
            };
            b.iter(|| {
                train_run(&dev, &config, view, seed, &stop, &mut |_| {})
                    .unwrap_or_else(|e| panic!("{e}"))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // 2.5 to 3.5 s an iteration on 2 cores (the MLP; LeNet-5 longer): criterion's fewest
    // samples, one iteration each (criterion warns when 10 samples do not fit in 25 s).
    config = criterion()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(25));
    targets = epoch
}
