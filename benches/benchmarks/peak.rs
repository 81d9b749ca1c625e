//! Group `peak`, id `sgemm_2048`: the machine's single-precision matrix-product peak as
//! trainbench reaches it, C = A·B for 2048 × 2048 matrices of standard normal values with
//! version 2's product (`kernels::sgemm::sgemm`, the kernel a training step's products run on)
//! on the pool's threads (2 unless `RAYON_NUM_THREADS` says otherwise). Throughput: the
//! product's floating-point operations (2 · 2048³ per iteration), so its elements/s are FLOP/s.
//!
//! The id matches `peak/sgemm_2048` in benches/reference/pytorch_bench.py (`torch.mm` into a
//! preallocated output). benches/reference/interleaved.py takes the machine's peak as the best
//! of the two sides and reports each train-step row's GFLOP/s against it.

use std::time::Duration;

use ::kernels::sgemm::{sgemm, Init, Strided};
use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use rand_distr::{Distribution, StandardNormal};

use super::{check_numerics, criterion, data_rng};

/// The side of the square matrices.
pub const SIDE: usize = 2048;

/// Floating-point operations of one product (a multiply and an add per term).
pub const FLOPS: u64 = 2 * (SIDE * SIDE * SIDE) as u64;

/// A row-major SIDE × SIDE operand.
fn plain<P>(ptr: P) -> Strided<P> {
    Strided {
        ptr,
        rs: SIDE as isize,
        cs: 1,
    }
}

fn peak(c: &mut Criterion) {
    check_numerics("peak");
    let mut rng = data_rng("peak/sgemm_2048");
    let a: Vec<f32> = StandardNormal
        .sample_iter(&mut rng)
        .take(SIDE * SIDE)
        .collect();
    let b: Vec<f32> = StandardNormal
        .sample_iter(&mut rng)
        .take(SIDE * SIDE)
        .collect();
    let mut out = vec![0.0f32; SIDE * SIDE];
    let threads = rayon::current_num_threads();
    let mut group = c.benchmark_group("peak");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(FLOPS));
    group.bench_function("sgemm_2048", |bench| {
        bench.iter(|| {
            // SAFETY: three distinct SIDE × SIDE row-major buffers of SIDE² elements each.
            unsafe {
                sgemm(
                    SIDE,
                    SIDE,
                    SIDE,
                    plain(out.as_mut_ptr()),
                    Init::Zero,
                    plain(a.as_ptr()),
                    plain(b.as_ptr()),
                    threads,
                )
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // About 0.1–0.2 s a product on 2 cores: criterion's fewest samples.
    config = criterion()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = peak
}
