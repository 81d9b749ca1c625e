//! Version 2's vectorized exponential (crates/kernels, `exp`): within its stated maximum error
//! (`kernels::exp::MAX_ULPS` units in the last place for normal results, one subnormal step
//! below) over a dense sweep of every input range, exact at the special values, and the same
//! bits on every instruction-set path this CPU has, vector tails included.

use kernels::exp::{exp, exp_in_place, MAX_ULPS};
use kernels::path::{self, Path};

/// Every `stride`-th float from −104 to 89 (by bit pattern, so dense near 0 and at every
/// exponent), and the ends.
fn sweep(stride: usize) -> Vec<f32> {
    let negative = (0..=(-104.0f32).to_bits() & 0x7fff_ffff)
        .step_by(stride)
        .map(|b| -f32::from_bits(b));
    let positive = (0..=89.0f32.to_bits()).step_by(stride).map(f32::from_bits);
    negative.chain(positive).chain([-104.0, 89.0]).collect()
}

/// The correctly rounded eˣ (f64's exp is accurate to well under an f32 half-ulp).
fn reference(x: f32) -> f32 {
    (x as f64).exp() as f32
}

/// Units in the last place between two finite non-negative floats.
fn ulps(a: f32, b: f32) -> u32 {
    a.to_bits().abs_diff(b.to_bits())
}

#[test]
fn the_error_is_within_the_stated_bound_over_a_dense_sweep() {
    let xs = sweep(61);
    let mut worst_normal = 0;
    let mut worst_at = 0.0f32;
    for &x in &xs {
        let (got, want) = (exp(x), reference(x));
        if want.is_normal() {
            let u = ulps(got, want);
            if u > worst_normal {
                (worst_normal, worst_at) = (u, x);
            }
        } else if want.is_finite() {
            // Subnormal or zero: one subnormal step (2⁻¹⁴⁹) at most.
            assert!(
                ulps(got, want) <= 1,
                "e^{x}: {got:e}, correctly rounded {want:e}"
            );
        } else {
            assert_eq!(got, f32::INFINITY, "e^{x}");
        }
    }
    eprintln!(
        "{} points, worst {worst_normal} ulp at x = {worst_at}",
        xs.len()
    );
    assert!(
        worst_normal <= MAX_ULPS,
        "{worst_normal} ulps at x = {worst_at}, stated {MAX_ULPS}"
    );
}

#[test]
fn special_values() {
    assert_eq!(exp(0.0).to_bits(), 1.0f32.to_bits());
    assert_eq!(exp(-0.0).to_bits(), 1.0f32.to_bits());
    assert_eq!(exp(f32::NEG_INFINITY).to_bits(), 0);
    assert_eq!(exp(-1000.0).to_bits(), 0);
    assert_eq!(exp(f32::INFINITY), f32::INFINITY);
    assert_eq!(exp(88.8), f32::INFINITY);
    assert_eq!(exp(f32::MAX), f32::INFINITY);
    assert!(exp(f32::NAN).is_nan());
    // ln(f32::MAX) ≈ 88.7228: just below, finite.
    assert!(exp(88.72).is_finite());
}

#[test]
fn every_path_gives_the_same_bits_tails_included() {
    let mut xs = sweep(977);
    xs.extend([
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        1000.0,
        -1000.0,
    ]);
    let expected: Vec<u32> = xs.iter().map(|&x| exp(x).to_bits()).collect();
    let mut checked = 0;
    for p in Path::ALL.into_iter().filter(|p| p.is_available()) {
        let _path = path::narrow(p);
        // Lengths that leave every possible tail after whole vectors of 16 and of 8.
        for len in [xs.len(), 1, 7, 8, 15, 17, 33] {
            let mut got = xs[..len].to_vec();
            exp_in_place(&mut got);
            let got: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
            assert!(got == expected[..len], "{} path, {len} values", p.name());
            checked += 1;
        }
    }
    assert!(checked >= 7);
}
