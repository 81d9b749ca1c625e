//! trainbench's criterion benchmarks (`cargo bench --bench bench_main`): the speed of a training
//! step, of the activations and batch norm alone, of inference with batch norm against the same
//! net with batch norm folded, of one real epoch, and of version 2's element-wise kernels and a
//! fused optimizer update against what they replace (no PyTorch twin for those). Groups and ids match the PyTorch twin,
//! benches/reference/pytorch_bench.py, so that benches/reference/compare.py can pair the rows.
//!
//! dfdx's matmuls run on rayon's global pool, which these benches size to 2 threads (the PyTorch
//! twin's default) unless `RAYON_NUM_THREADS` says otherwise (see `benchmarks::setup_threads`).
//! Every bench runs on one of the pool's threads, as PyTorch's main thread is one of its two: run
//! from outside, a step would keep a third thread busy on two cores while the pool's idle
//! workers spin, which measured half the speed of one thread.
//!
//! Every row computes under numerics version 2 (`benchmarks::NUMERICS`), entered on that
//! worker before the first group. `bench_main --flops` prints, instead of benchmarking, the
//! floating-point operations of one iteration of each `train_step` row and of the `peak` row as
//! JSON (benches/reference/interleaved.py reads them for GFLOP/s and % of peak).

mod benchmarks;

/// The `trainbench` binary's allocator (src/main.rs says why), so that a bench times what a
/// training run does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Criterion would reject the option, so it is handled before criterion sees the arguments.
    if std::env::args().skip(1).any(|arg| arg == "--flops") {
        println!("{}", benchmarks::flops_json());
        return;
    }
    benchmarks::setup_threads();
    // `rayon::scope` runs its body on a worker of the global pool (the caller waits, asleep).
    rayon::scope(|_| {
        // Thread-local: entered on the worker that runs every bench closure.
        let _numerics = benchmarks::enter_numerics();
        benchmarks::train_step::benches();
        benchmarks::activation::benches();
        benchmarks::batch_norm::benches();
        benchmarks::inference::benches();
        benchmarks::epoch::benches();
        benchmarks::kernels::benches();
        benchmarks::peak::benches();
        criterion::Criterion::default()
            .configure_from_args()
            .final_summary();
    });
}
