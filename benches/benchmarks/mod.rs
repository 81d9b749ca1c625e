//! What the bench groups share: the thread pool, the criterion settings' starting point, seeded
//! random inputs and building a network from a model spec written as in a study file.
//!
//! Every input is made once, before timing, from a fixed seed, so no data generation is timed.
//!
//! Every row computes under numerics version 2 ([`NUMERICS`], entered once by
//! [`enter_numerics`] on the thread that runs all the benches), the version new studies train
//! under: its matrix products (crates/kernels' sgemm), its fused activations and loss.

pub mod activation;
pub mod batch_norm;
pub mod epoch;
pub mod inference;
pub mod kernels;
pub mod peak;
pub mod train_step;

use std::sync::Once;

use criterion::Criterion;
use dfdx::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};
use trainbench::config::Numerics;
use trainbench::model::{Matrix, Mlp, ModelSpec};
use trainbench::seed::{stream, Purpose};
use trainbench::train::{CLASSES, INPUTS};

/// Threads of rayon's global pool (dfdx's matmuls) when `RAYON_NUM_THREADS` is not set: the
/// PyTorch twin's default `torch.set_num_threads(2)`.
pub const DEFAULT_THREADS: usize = 2;

/// The shape the activation and batch norm benches work on (as the PyTorch twin's `ACT_SHAPE`).
pub const ACT_SHAPE: (usize, usize) = (256, 300);

/// Elements of an [`ACT_SHAPE`] tensor: the throughput of the activation and batch norm rows.
pub const ACT_ELEMENTS: u64 = (ACT_SHAPE.0 * ACT_SHAPE.1) as u64;

/// The numerics version every row computes under: version 2, which new studies train under
/// (the default of every study since the fair re-run).
pub const NUMERICS: Numerics = Numerics::V2;

/// Makes the calling thread compute under [`NUMERICS`] until the scope is dropped. The version
/// is thread-local and criterion runs every bench closure on the thread that called it, so
/// `bench_main` enters it once, on the rayon worker that runs all the groups (inside
/// `rayon::scope`); a matrix product split over the pool decides its version on that thread.
pub fn enter_numerics() -> ::kernels::numerics::Scope {
    NUMERICS.enter()
}

/// Panics unless the calling thread computes under [`NUMERICS`]: every group checks this
/// before it times anything, so that a bench run from elsewhere cannot time version 1 silently.
pub fn check_numerics(group: &str) {
    let current = ::kernels::numerics::current();
    assert_eq!(
        current,
        NUMERICS.get(),
        "bench group {group} would run under numerics version {current}, not {}: run it from \
         bench_main, which enters the version (benchmarks::enter_numerics)",
        NUMERICS.get()
    );
}

/// The floating-point operations of one iteration of each `train_step` row (its matrix
/// products, as `trainbench::train::device_check::step_flops` counts them) and of the `peak` row,
/// as a JSON object from `group/id` to the count (what `bench_main --flops` prints).
pub fn flops_json() -> String {
    let nets = trainbench::train::device_check::nets();
    let mut flops = serde_json::Map::new();
    for (net, opt, batch) in train_step::rows() {
        let spec = nets
            .iter()
            .find(|n| n.id == net)
            .unwrap_or_else(|| panic!("no bench net called {net}"));
        let count = trainbench::train::device_check::step_flops(spec, batch)
            .unwrap_or_else(|e| panic!("{e}"));
        flops.insert(format!("train_step/{net}/{opt}/{batch}"), count.into());
    }
    flops.insert("peak/sgemm_2048".into(), peak::FLOPS.into());
    serde_json::Value::Object(flops).to_string()
}

/// The seed of every random input.
const DATA_SEED: u64 = 20_240_601;

/// The criterion settings every group starts from (command-line options such as
/// `--measurement-time` still override them: `criterion_group!` applies the arguments after
/// this). Also tunes the allocator as `train_run` does.
pub fn criterion() -> Criterion {
    trainbench::train::tune_allocator();
    Criterion::default()
}

/// Sizes rayon's global pool, once, before any bench touches it: `RAYON_NUM_THREADS` or
/// [`DEFAULT_THREADS`].
pub fn setup_threads() {
    static THREADS: Once = Once::new();
    THREADS.call_once(|| {
        let threads = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_THREADS);
        match rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            Ok(()) => eprintln!("trainbench benches: {threads} rayon threads"),
            Err(e) => eprintln!("trainbench benches: rayon's pool was already set up ({e})"),
        }
    });
}

/// The CPU device.
pub fn device() -> Cpu {
    Cpu::default()
}

/// The random generator of the inputs of the bench called `name` (a fixed seed per name, so a
/// bench's inputs do not depend on which others run).
pub fn data_rng(name: &str) -> ChaCha8Rng {
    let salt = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    ChaCha8Rng::seed_from_u64(DATA_SEED ^ salt)
}

/// A [rows, cols] matrix of standard normal values.
pub fn normal(dev: &Cpu, (rows, cols): (usize, usize), rng: &mut ChaCha8Rng) -> Matrix<Cpu> {
    let values: Vec<f32> = StandardNormal.sample_iter(rng).take(rows * cols).collect();
    dev.tensor_from_vec(values, (rows, cols))
}

/// A [batch, 784] batch of standard normal "images" (as the PyTorch twin's `torch.randn`) and
/// [batch, 10] one-hot labels of uniformly random classes.
pub fn batch(dev: &Cpu, batch: usize, rng: &mut ChaCha8Rng) -> (Matrix<Cpu>, Matrix<Cpu>) {
    let x = normal(dev, (batch, INPUTS), rng);
    let classes = Uniform::new(0, CLASSES);
    let mut y = vec![0.0f32; batch * CLASSES];
    for row in y.chunks_exact_mut(CLASSES) {
        row[classes.sample(rng)] = 1.0;
    }
    (x, dev.tensor_from_vec(y, (batch, CLASSES)))
}

/// A 784-…-10 network from a model spec written as in a study file's `[base.model]`, its
/// weights drawn from the init stream of seed 0 (as a run with seed 0 would draw them).
pub fn network(dev: &Cpu, spec_toml: &str) -> Mlp<Cpu> {
    let spec: ModelSpec =
        toml::from_str(spec_toml).unwrap_or_else(|e| panic!("bad model spec {spec_toml:?}: {e}"));
    Mlp::new(&spec, INPUTS, CLASSES, dev, &mut stream(0, Purpose::Init))
        .unwrap_or_else(|e| panic!("cannot build {spec_toml:?}: {e}"))
}
