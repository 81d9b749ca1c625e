//! The gemm stand-in (crates/gemm): its two routes, gemm 0.19's kernel and gemm 0.15's, give the
//! same bits for every product it sends to gemm 0.19, so recorded runs stay bit-identical.
//! Checked on the shapes training uses (dense layers' forward, kernel gradient and input
//! gradient, the way dfdx lays them out) and on random shapes and layouts, on 1 and 2 threads.
//! And its entry point routes by the thread's numerics version: version 1 keeps gemm 0.15's
//! bits, version 2 gives `kernels::sgemm`'s one chain per element (tests/it/kernels_sgemm.rs checks
//! that kernel itself on every path).

use gemm::{has_avx512, takes_avx512_kernel, F32Call, Parallelism};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::ThreadPool;

/// An m×n×k product: lhs and rhs as (row stride, column stride), dst row-major (as dfdx's).
#[derive(Clone, Copy, Debug)]
struct Product {
    m: usize,
    n: usize,
    k: usize,
    lhs: (isize, isize),
    rhs: (isize, isize),
    accumulate: bool,
}

/// dst after the product by one route, gemm 0.19's kernel or gemm 0.15's, on `pool`.
fn multiply(p: Product, by_0_19: bool, pool: &ThreadPool, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values =
        |len: usize| -> Vec<f32> { (0..len).map(|_| rng.gen_range(-1.0..1.0)).collect() };
    let (lhs, rhs, mut dst) = (values(p.m * p.k), values(p.k * p.n), values(p.m * p.n));
    let threads = pool.current_num_threads();
    // The call is made inside the pool: its raw pointers cannot cross threads.
    pool.install(|| {
        let call = F32Call {
            m: p.m,
            n: p.n,
            k: p.k,
            dst: dst.as_mut_ptr(),
            dst_cs: 1,
            dst_rs: p.n as isize,
            read_dst: p.accumulate,
            lhs: lhs.as_ptr(),
            lhs_cs: p.lhs.1,
            lhs_rs: p.lhs.0,
            rhs: rhs.as_ptr(),
            rhs_cs: p.rhs.1,
            rhs_rs: p.rhs.0,
            alpha: if p.accumulate { 1.0 } else { 0.0 },
            beta: 1.0,
            conj: (false, false, false),
            parallelism: Parallelism::Rayon(threads),
        };
        // SAFETY: the buffers hold m×k, k×n and m×n values laid out by the strides above.
        unsafe {
            if by_0_19 {
                call.by_gemm_0_19()
            } else {
                call.by_gemm_0_15()
            }
        }
    });
    dst.iter().map(|x| x.to_bits()).collect()
}

/// The three products of a dense layer fan_in → fan_out at `batch`, as dfdx's matmul makes them:
/// z = x·W, ∂W += xᵀ·∂z, ∂x += ∂z·Wᵀ (x, W, ∂z row-major).
fn dense_layer(batch: usize, fan_in: usize, fan_out: usize) -> [Product; 3] {
    let (i, o) = (fan_in as isize, fan_out as isize);
    [
        Product {
            m: batch,
            n: fan_out,
            k: fan_in,
            lhs: (i, 1),
            rhs: (o, 1),
            accumulate: false,
        },
        Product {
            m: fan_in,
            n: fan_out,
            k: batch,
            lhs: (1, i),
            rhs: (o, 1),
            accumulate: true,
        },
        Product {
            m: batch,
            n: fan_in,
            k: fan_out,
            lhs: (o, 1),
            rhs: (1, o),
            accumulate: true,
        },
    ]
}

/// Every product the stand-in sends to gemm 0.19 gives gemm 0.15's bits.
fn check(products: &[Product]) -> usize {
    let pools: Vec<ThreadPool> = [1, 2]
        .map(|threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
        })
        .into();
    let mut checked = 0;
    for (i, &p) in products.iter().enumerate() {
        if !takes_avx512_kernel(p.m, p.n) {
            continue;
        }
        for pool in &pools {
            let threads = pool.current_num_threads();
            assert_eq!(
                multiply(p, true, pool, i as u64),
                multiply(p, false, pool, i as u64),
                "{p:?} on {threads} threads: gemm 0.19 and gemm 0.15 differ"
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn training_shapes_give_gemm_0_15_bits() {
    // The studies' layer sizes (chapter MLP, deep 100-unit nets, autoencoder mirror, the
    // narrower transfer nets) at their batch sizes, the last partial batches, and evaluation's.
    let layers = [
        (784, 300),
        (300, 100),
        (100, 10),
        (784, 100),
        (100, 100),
        (100, 784),
        (300, 784),
        (100, 50),
        (50, 50),
        (50, 2),
        (50, 8),
        (300, 5),
    ];
    let batches = [3, 16, 32, 64, 96, 128, 256, 500, 1000];
    let products: Vec<Product> = batches
        .iter()
        .flat_map(|&b| layers.iter().flat_map(move |&(i, o)| dense_layer(b, i, o)))
        .collect();
    let checked = check(&products);
    if has_avx512() {
        // The chapter MLP's big products do take the fast kernel (the point of the stand-in).
        assert!(takes_avx512_kernel(32, 300) && takes_avx512_kernel(784, 300));
        assert!(
            checked > products.len() / 2,
            "only {checked} of {} checked",
            products.len()
        );
    } else {
        assert_eq!(checked, 0, "no AVX-512: everything must stay on gemm 0.15");
    }
}

#[test]
fn random_shapes_and_layouts_give_gemm_0_15_bits() {
    let sizes = [
        1, 2, 3, 4, 7, 9, 16, 17, 31, 32, 33, 48, 64, 100, 127, 128, 200, 256, 300, 333, 600, 784,
        1000,
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut products = Vec::new();
    while products.len() < 400 {
        let mut size = || sizes[rng.gen_range(0..sizes.len())];
        let (m, n, k) = (size(), size(), size());
        if m * n * k > 60_000_000 {
            continue;
        }
        let lhs = if rng.gen() {
            (k as isize, 1)
        } else {
            (1, m as isize)
        };
        let rhs = if rng.gen() {
            (n as isize, 1)
        } else {
            (1, k as isize)
        };
        products.push(Product {
            m,
            n,
            k,
            lhs,
            rhs,
            accumulate: rng.gen(),
        });
    }
    let checked = check(&products);
    assert_eq!(checked > 0, has_avx512());
}

/// dst after the product through the stand-in's entry point (`gemm::gemm`, as dfdx calls it)
/// under numerics `version`, on 1 thread.
fn through_entry(p: Product, version: u32, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values =
        |len: usize| -> Vec<f32> { (0..len).map(|_| rng.gen_range(-1.0..1.0)).collect() };
    let (lhs, rhs, mut dst) = (values(p.m * p.k), values(p.k * p.n), values(p.m * p.n));
    let _version = kernels::numerics::enter(version);
    // SAFETY: the buffers hold m×k, k×n and m×n values laid out by the strides.
    unsafe {
        gemm::gemm(
            p.m,
            p.n,
            p.k,
            dst.as_mut_ptr(),
            1,
            p.n as isize,
            p.accumulate,
            lhs.as_ptr(),
            p.lhs.1,
            p.lhs.0,
            rhs.as_ptr(),
            p.rhs.1,
            p.rhs.0,
            if p.accumulate { 1.0f32 } else { 0.0 },
            1.0f32,
            false,
            false,
            false,
            Parallelism::None,
        )
    };
    dst.iter().map(|x| x.to_bits()).collect()
}

/// dst after the product as version 2 defines it: one fused multiply-add chain per element in
/// k order, from dst's value when accumulating (else from +0).
fn one_chain_per_element(p: Product, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values =
        |len: usize| -> Vec<f32> { (0..len).map(|_| rng.gen_range(-1.0..1.0)).collect() };
    let (lhs, rhs, mut dst) = (values(p.m * p.k), values(p.k * p.n), values(p.m * p.n));
    for i in 0..p.m {
        for j in 0..p.n {
            let mut acc = if p.accumulate { dst[i * p.n + j] } else { 0.0 };
            for kk in 0..p.k {
                let x = lhs[(i as isize * p.lhs.0 + kk as isize * p.lhs.1) as usize];
                let y = rhs[(kk as isize * p.rhs.0 + j as isize * p.rhs.1) as usize];
                acc = x.mul_add(y, acc);
            }
            dst[i * p.n + j] = acc;
        }
    }
    dst.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn the_entry_point_follows_the_threads_numerics_version() {
    // The chapter MLP's products at batch 32 and 256, and a matrix-vector one (gemm 0.15's
    // special path under version 1).
    let mut products: Vec<Product> = [32, 256]
        .iter()
        .flat_map(|&b| [(784, 300), (300, 100), (100, 10)].map(|(i, o)| dense_layer(b, i, o)))
        .flatten()
        .collect();
    products.push(Product {
        m: 1,
        n: 100,
        k: 300,
        lhs: (300, 1),
        rhs: (100, 1),
        accumulate: true,
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut differing = 0;
    for (i, &p) in products.iter().enumerate() {
        let seed = 100 + i as u64;
        let v1 = through_entry(p, kernels::numerics::V1, seed);
        let v2 = through_entry(p, kernels::numerics::V2, seed);
        assert_eq!(
            v1,
            multiply(p, false, &pool, seed),
            "{p:?}: version 1 must keep gemm 0.15's bits"
        );
        assert_eq!(
            v2,
            one_chain_per_element(p, seed),
            "{p:?}: version 2 must sum one chain per element"
        );
        differing += usize::from(v1 != v2);
    }
    // Version 2 does change numbers (gemm sums each k block apart and adds it to dst): if no
    // product differed, the entry point would not be routing by version at all.
    assert!(differing > 0, "no product differs between versions 1 and 2");
}
