//! GFLOP/s of version 2's matrix product against gemm 0.19 (what version 1 uses on AVX-512) on
//! the products of a training step, and the 2048² square product (the peak the benches compare
//! against): `cargo run --release -p kernels --example sgemm_speed [threads]`. Best of several
//! timings each, interleaved, in the thread's CPU time with one thread (robust on a machine
//! shared with other work), wall time with more; a quick check while writing kernels, not the
//! committed benches.

use std::time::Instant;

/// Seconds of CPU time the calling thread has used.
fn thread_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

use kernels::sgemm::{sgemm, Init, Strided};

/// (label, m, n, k, A row-major, B row-major, accumulate)
const SHAPES: &[(&str, usize, usize, usize, bool, bool, bool)] = &[
    ("fwd 32x784x300", 32, 300, 784, true, true, false),
    ("dW 784x300 k32", 784, 300, 32, false, true, true),
    ("fwd 32x300x100", 32, 100, 300, true, true, false),
    ("dW 300x100 k32", 300, 100, 32, false, true, true),
    ("dx 32x300 k100", 32, 300, 100, true, false, true),
    ("fwd 256x784x300", 256, 300, 784, true, true, false),
    ("dW 784x300 k256", 784, 300, 256, false, true, true),
    ("fwd 256x300x100", 256, 100, 300, true, true, false),
    ("dx 256x300 k100", 256, 300, 100, true, false, true),
    ("fwd 256x100x100", 256, 100, 100, true, true, false),
    ("dW 100x100 k256", 100, 100, 256, false, true, true),
    ("dx 256x100 k100", 256, 100, 100, true, false, true),
    ("square 2048", 2048, 2048, 2048, true, true, false),
    ("cached 64x48x128", 64, 48, 128, true, true, false),
    ("cached 64x96x128", 64, 96, 128, true, true, false),
];

fn main() {
    let threads: usize = std::env::args()
        .nth(1)
        .map_or(1, |t| t.parse().expect("threads"));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    println!(
        "{threads} thread(s), path {}",
        kernels::path::detected().name()
    );
    pool.install(|| {
        for &(label, m, n, k, a_rm, b_rm, acc) in SHAPES {
            let a: Vec<f32> = (0..m * k).map(|i| (i % 17) as f32 * 0.01).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i % 13) as f32 * 0.01).collect();
            let mut c = vec![0.0f32; m * n];
            let (a_rs, a_cs) = if a_rm {
                (k as isize, 1)
            } else {
                (1, m as isize)
            };
            let (b_rs, b_cs) = if b_rm {
                (n as isize, 1)
            } else {
                (1, k as isize)
            };
            let flops = 2.0 * (m * n * k) as f64;
            let reps = ((5e8 / flops) as usize).clamp(1, 20000);
            let mut best = [f64::INFINITY; 2];
            for _round in 0..25 {
                for (which, slot) in best.iter_mut().enumerate() {
                    let (t, cpu) = (Instant::now(), thread_seconds());
                    for _ in 0..reps {
                        unsafe {
                            if which == 0 {
                                sgemm(
                                    m,
                                    n,
                                    k,
                                    Strided {
                                        ptr: c.as_mut_ptr(),
                                        rs: n as isize,
                                        cs: 1,
                                    },
                                    if acc { Init::Dst } else { Init::Zero },
                                    Strided {
                                        ptr: a.as_ptr(),
                                        rs: a_rs,
                                        cs: a_cs,
                                    },
                                    Strided {
                                        ptr: b.as_ptr(),
                                        rs: b_rs,
                                        cs: b_cs,
                                    },
                                    threads,
                                )
                            } else {
                                gemm19::gemm(
                                    m,
                                    n,
                                    k,
                                    c.as_mut_ptr(),
                                    1,
                                    n as isize,
                                    acc,
                                    a.as_ptr(),
                                    a_cs,
                                    a_rs,
                                    b.as_ptr(),
                                    b_cs,
                                    b_rs,
                                    if acc { 1.0 } else { 0.0 },
                                    1.0,
                                    false,
                                    false,
                                    false,
                                    if threads > 1 {
                                        gemm19::Parallelism::Rayon(threads)
                                    } else {
                                        gemm19::Parallelism::None
                                    },
                                )
                            }
                        }
                    }
                    let seconds = if threads == 1 {
                        thread_seconds() - cpu
                    } else {
                        t.elapsed().as_secs_f64()
                    };
                    *slot = slot.min(seconds / reps as f64);
                }
            }
            println!(
                "{label:18} v2 {:7.1} GFLOP/s  gemm0.19 {:7.1} GFLOP/s  ratio {:.2}",
                flops / best[0] / 1e9,
                flops / best[1] / 1e9,
                best[1] / best[0]
            );
        }
    });
}
