//! trainbench's criterion benchmarks (`cargo bench --bench bench_main`): the speed of a training
//! step, of the activations and batch norm alone, of inference with batch norm against the same
//! net with batch norm folded, and of one real epoch. Groups and ids match the PyTorch twin,
//! benches/reference/pytorch_bench.py, so that benches/reference/compare.py can pair the rows.
//!
//! dfdx's matmuls run on rayon's global pool, which these benches size to 2 threads (the PyTorch
//! twin's default) unless `RAYON_NUM_THREADS` says otherwise (see `benchmarks::criterion`).

use criterion::criterion_main;

mod benchmarks;

criterion_main!(
    benchmarks::train_step::benches,
    benchmarks::activation::benches,
    benchmarks::batch_norm::benches,
    benchmarks::inference::benches,
    benchmarks::epoch::benches,
);
