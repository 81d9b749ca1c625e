//! Version 2's matrix product (crates/kernels, `sgemm`) sums every element as one chain of fused
//! multiply-adds in k order, so it equals, bit for bit, a plain triple loop with `f32::mul_add`:
//! on every instruction-set path this CPU has, on 1 and 2 threads, for the shapes and layouts
//! training uses (a dense layer's forward product, kernel gradient and input gradient, batch 1
//! to 256) and for random ones, overwriting C or summing into it.

use kernels::path::{self, Path};
use kernels::sgemm::{sgemm, Init, Strided};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How an m × n × k product lays out its operands: (row stride, column stride) per operand,
/// C's included, as a function of (m, n, k); plus where the chains start.
#[derive(Clone, Copy, Debug)]
struct Layout {
    a_row_major: bool,
    b_row_major: bool,
    c: CLayout,
    init: Init,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum CLayout {
    RowMajor,
    ColumnMajor,
    /// Rows and columns both strided (a padded, transposed view): through the copy.
    Padded,
}

/// C's (row stride, column stride, buffer length).
fn c_strides(c: CLayout, m: usize, n: usize) -> (isize, isize, usize) {
    match c {
        CLayout::RowMajor => (n as isize, 1, m * n),
        CLayout::ColumnMajor => (1, m as isize, m * n),
        CLayout::Padded => (2, 2 * m as isize + 1, (2 * m + 1) * n),
    }
}

/// C after the product, by the kernel on `path` and `threads` threads, or by the plain loop.
fn multiply(
    (m, n, k): (usize, usize, usize),
    l: Layout,
    by: Option<(Path, usize)>,
    seed: u64,
) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values = |len: usize| -> Vec<f32> {
        (0..len)
            .map(|_| {
                // Exact zeros and ±0 products, as ReLU outputs and images have.
                if rng.gen_bool(0.1) {
                    0.0
                } else {
                    rng.gen_range(-1.0..1.0)
                }
            })
            .collect()
    };
    let (a, b) = (values(m * k), values(k * n));
    let a_s = if l.a_row_major {
        (k as isize, 1)
    } else {
        (1, m as isize)
    };
    let b_s = if l.b_row_major {
        (n as isize, 1)
    } else {
        (1, k as isize)
    };
    let (c_rs, c_cs, c_len) = c_strides(l.c, m, n);
    let mut c = values(c_len);
    match by {
        Some((p, threads)) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let _path = path::narrow(p);
                // SAFETY: the buffers hold the matrices the strides describe.
                unsafe {
                    sgemm(
                        m,
                        n,
                        k,
                        Strided {
                            ptr: c.as_mut_ptr(),
                            rs: c_rs,
                            cs: c_cs,
                        },
                        l.init,
                        Strided {
                            ptr: a.as_ptr(),
                            rs: a_s.0,
                            cs: a_s.1,
                        },
                        Strided {
                            ptr: b.as_ptr(),
                            rs: b_s.0,
                            cs: b_s.1,
                        },
                        threads,
                    )
                }
            });
        }
        None => {
            for i in 0..m {
                for j in 0..n {
                    let ci = (i as isize * c_rs + j as isize * c_cs) as usize;
                    let mut acc = match l.init {
                        Init::Zero | Init::ZeroAdded => 0.0f32,
                        Init::Dst => c[ci],
                    };
                    for kk in 0..k {
                        let x = a[(i as isize * a_s.0 + kk as isize * a_s.1) as usize];
                        let y = b[(kk as isize * b_s.0 + j as isize * b_s.1) as usize];
                        acc = x.mul_add(y, acc);
                    }
                    c[ci] = if l.init == Init::ZeroAdded {
                        acc + 0.0
                    } else {
                        acc
                    };
                }
            }
        }
    }
    c.iter().map(|x| x.to_bits()).collect()
}

/// The paths this CPU can run.
fn paths() -> Vec<Path> {
    Path::ALL.into_iter().filter(|p| p.is_available()).collect()
}

/// Checks one product on every path and thread count against the plain loop.
fn check(shape: (usize, usize, usize), l: Layout, seed: u64) {
    let expected = multiply(shape, l, None, seed);
    for p in paths() {
        for threads in [1, 2] {
            assert!(
                multiply(shape, l, Some((p, threads)), seed) == expected,
                "{shape:?} {l:?} on {} with {threads} threads",
                p.name()
            );
        }
    }
}

#[test]
fn a_dense_layers_products_equal_the_plain_loop_on_every_path() {
    // (batch, fan_in, fan_out): the chapter MLP, the 20×100 nets, the last layers, tiny batches.
    let layers = [
        (32, 784, 300),
        (256, 784, 300),
        (32, 300, 100),
        (256, 100, 100),
        (32, 100, 10),
        (1, 784, 300),
        (2, 7, 5),
        (13, 100, 100),
    ];
    for (seed, &(batch, fan_in, fan_out)) in layers.iter().enumerate() {
        let seed = seed as u64;
        let row_major = |init| Layout {
            a_row_major: true,
            b_row_major: true,
            c: CLayout::RowMajor,
            init,
        };
        // z = x·W.
        check((batch, fan_out, fan_in), row_major(Init::Zero), seed);
        // ∂W += xᵀ·∂z: A = xᵀ has contiguous columns.
        let kernel_gradient = Layout {
            a_row_major: false,
            ..row_major(Init::Dst)
        };
        check((fan_in, fan_out, batch), kernel_gradient, seed);
        // The same into a fresh slot, as trainbench's kernel gradient writes it.
        let fresh_gradient = Layout {
            init: Init::ZeroAdded,
            ..kernel_gradient
        };
        check((fan_in, fan_out, batch), fresh_gradient, seed);
        // ∂x += ∂z·Wᵀ: B = Wᵀ has contiguous columns (packed).
        let input_gradient = Layout {
            b_row_major: false,
            ..row_major(Init::Dst)
        };
        check((batch, fan_in, fan_out), input_gradient, seed);
    }
}

#[test]
fn random_shapes_and_layouts_equal_the_plain_loop_on_every_path() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for seed in 0..150 {
        let mut dim = |most: usize| {
            if rng.gen_bool(0.3) {
                rng.gen_range(1..=4)
            } else {
                rng.gen_range(1..=most)
            }
        };
        let shape = (dim(70), dim(90), dim(600));
        let layout = Layout {
            a_row_major: rng.gen(),
            b_row_major: rng.gen(),
            c: [CLayout::RowMajor, CLayout::ColumnMajor, CLayout::Padded][rng.gen_range(0..3)],
            init: [Init::Zero, Init::Dst, Init::ZeroAdded][rng.gen_range(0..3)],
        };
        check(shape, layout, seed);
    }
}

#[test]
fn an_empty_depth_clears_or_keeps_c() {
    let l = |init| Layout {
        a_row_major: true,
        b_row_major: true,
        c: CLayout::RowMajor,
        init,
    };
    check((3, 5, 0), l(Init::Zero), 1);
    check((3, 5, 0), l(Init::Dst), 1);
    check((3, 5, 0), l(Init::ZeroAdded), 1);
    assert!(
        multiply((3, 5, 0), l(Init::Zero), Some((path::detected(), 1)), 1)
            .iter()
            .all(|&x| x == 0)
    );
}

/// A chain whose exact sum is a tiny negative number rounds to −0: `Init::Zero` keeps it,
/// `Init::ZeroAdded` stores +0 (as a product added onto a zeroed gradient), on every path and
/// for a tile's every position (full vectors and the masked tail).
#[test]
fn zero_added_turns_a_negative_zero_sum_into_plus_zero() {
    let (m, n, k) = (9, 50, 3);
    // Every product is −1e-30 · 1e-30 = −1e-60, far below the least subnormal.
    let a = vec![-1e-30f32; m * k];
    let b = vec![1e-30f32; k * n];
    for p in paths() {
        let _path = path::narrow(p);
        for (init, sign) in [(Init::Zero, true), (Init::ZeroAdded, false)] {
            let mut c = vec![f32::NAN; m * n];
            // SAFETY: the buffers hold the row-major matrices the strides describe.
            unsafe {
                sgemm(
                    m,
                    n,
                    k,
                    Strided {
                        ptr: c.as_mut_ptr(),
                        rs: n as isize,
                        cs: 1,
                    },
                    init,
                    Strided {
                        ptr: a.as_ptr(),
                        rs: k as isize,
                        cs: 1,
                    },
                    Strided {
                        ptr: b.as_ptr(),
                        rs: n as isize,
                        cs: 1,
                    },
                    1,
                )
            };
            assert!(
                c.iter().all(|x| *x == 0.0 && x.is_sign_negative() == sign),
                "{init:?} on {}: {:?}",
                p.name(),
                &c[..4]
            );
        }
    }
}
