//! The vectorized gradient-descent update (crates/kernels, `descent`) gives the bits of the
//! scalar loop it replaced, `*p -= *p * λ * η` (with decay) then `*p -= g * η`, on every
//! instruction-set path this CPU has, for lengths that leave every tail size, with and without
//! weight decay, and for values that take each operation to its edges (zeros of both signs,
//! subnormals, overflow to infinity, NaN).

use kernels::descent::descend;
use kernels::path::{self, Path};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The update as trainbench's SGD computed it before this kernel, one element at a time.
fn scalar(values: &mut [f32], grads: &[f32], lr: f32, decay: Option<f32>) {
    for (p, &g) in values.iter_mut().zip(grads) {
        if let Some(wd) = decay {
            *p -= *p * wd * lr;
        }
        *p -= g * lr;
    }
}

/// A value from a mix of ordinary magnitudes and edge cases.
fn value(rng: &mut ChaCha8Rng) -> f32 {
    match rng.gen_range(0..12) {
        0 => 0.0,
        1 => -0.0,
        2 => f32::from_bits(rng.gen_range(1..0x0080_0000)) * if rng.gen() { 1.0 } else { -1.0 },
        3 => f32::MAX * if rng.gen() { 0.9 } else { -0.9 },
        4 => f32::NAN,
        5 => f32::INFINITY,
        _ => rng.gen_range(-4.0f32..4.0) * 10f32.powi(rng.gen_range(-8..4)),
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn descend_gives_the_scalar_loops_bits_on_every_path() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let paths: Vec<Path> = Path::ALL.into_iter().filter(|p| p.is_available()).collect();
    for len in (0..70).chain([235_200, 1000]) {
        let values: Vec<f32> = (0..len).map(|_| value(&mut rng)).collect();
        let grads: Vec<f32> = (0..len).map(|_| value(&mut rng)).collect();
        for (lr, decay) in [
            (0.01, None),
            (0.13, Some(0.004)),
            (3e-39, Some(1e30)),
            (1e30, None),
        ] {
            let mut expected = values.clone();
            scalar(&mut expected, &grads, lr, decay);
            for &p in &paths {
                let _path = path::narrow(p);
                let mut got = values.clone();
                descend(&mut got, &grads, lr, decay);
                assert_eq!(
                    bits(&got),
                    bits(&expected),
                    "length {len}, lr {lr}, decay {decay:?} on {}",
                    p.name()
                );
            }
        }
    }
}

#[test]
#[should_panic(expected = "one gradient per value")]
fn descend_refuses_mismatched_lengths() {
    descend(&mut [1.0, 2.0], &[1.0], 0.1, None);
}
