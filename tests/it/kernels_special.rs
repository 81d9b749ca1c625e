//! Version 2's vectorized tanh, erf and logistic sigmoid (crates/kernels: `tanh`, `erf`,
//! `sigmoid`): within their stated maximum errors over a dense sweep of every input, exact at
//! the special values, odd where the function is, and the same bits on every instruction-set
//! path this CPU has (vector tails included) and on every thread.

use kernels::erf::{erf, erf_in_place};
use kernels::exp::exp;
use kernels::path::{self, Path};
use kernels::sigmoid::{sigmoid, sigmoid_in_place};
use kernels::tanh::{tanh, tanh_in_place};

/// Every `stride`-th float of magnitude up to `limit`, both signs (by bit pattern, so dense
/// near 0 and at every exponent), and ±limit.
fn sweep(limit: f32, stride: usize) -> Vec<f32> {
    let magnitudes: Vec<f32> = (0..=limit.to_bits())
        .step_by(stride)
        .map(f32::from_bits)
        .chain([limit])
        .collect();
    magnitudes
        .iter()
        .map(|&m| -m)
        .chain(magnitudes.iter().copied())
        .collect()
}

/// Units in the last place between two finite floats of the same sign (or zeros).
fn ulps(a: f32, b: f32) -> u32 {
    if a == b {
        return 0;
    }
    assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{a} vs {b}");
    a.to_bits().abs_diff(b.to_bits())
}

/// The worst ulp error of `f` against the correctly rounded `reference` over `xs` where the
/// reference is a normal float or zero, and where it is.
fn worst(xs: &[f32], f: impl Fn(f32) -> f32, reference: impl Fn(f64) -> f64) -> (u32, f32) {
    let mut worst = (0, 0.0);
    for &x in xs {
        let want = reference(f64::from(x)) as f32;
        if !(want.is_normal() || want == 0.0) {
            continue;
        }
        let u = ulps(f(x), want);
        if u > worst.0 {
            worst = (u, x);
        }
    }
    worst
}

fn sigmoid_reference(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn tanh_is_within_its_stated_error_over_a_dense_sweep() {
    let xs = sweep(12.0, 61);
    let (u, at) = worst(&xs, tanh, f64::tanh);
    eprintln!("tanh: {} points, worst {u} ulp at x = {at}", xs.len());
    assert!(u <= kernels::tanh::MAX_ULPS, "{u} ulps at {at}");
}

#[test]
fn erf_is_within_its_stated_error_over_a_dense_sweep() {
    let xs = sweep(6.0, 61);
    let (u, at) = worst(&xs, erf, libm::erf);
    eprintln!("erf: {} points, worst {u} ulp at x = {at}", xs.len());
    assert!(u <= kernels::erf::MAX_ULPS, "{u} ulps at {at}");
}

#[test]
fn sigmoid_is_within_its_stated_error_over_a_dense_sweep() {
    let xs = sweep(104.0, 61);
    let (u, at) = worst(&xs, sigmoid, sigmoid_reference);
    eprintln!("sigmoid: {} points, worst {u} ulp at x = {at}", xs.len());
    assert!(u <= kernels::sigmoid::MAX_ULPS, "{u} ulps at {at}");
    // Where σ(x) is subnormal: within 2⁻¹²⁶ (+0 once e⁻ˣ overflows).
    for x in sweep(104.0, 61).into_iter().filter(|&x| x < -87.0) {
        let (got, want) = (sigmoid(x), sigmoid_reference(f64::from(x)));
        assert!(
            (f64::from(got) - want).abs() <= f64::from(f32::MIN_POSITIVE),
            "σ({x})"
        );
    }
}

#[test]
fn special_values_and_symmetry() {
    for (f, name) in [(tanh as fn(f32) -> f32, "tanh"), (erf, "erf")] {
        assert_eq!(f(0.0).to_bits(), 0.0f32.to_bits(), "{name}(+0)");
        assert_eq!(f(-0.0).to_bits(), (-0.0f32).to_bits(), "{name}(-0)");
        assert_eq!(f(f32::INFINITY), 1.0, "{name}(∞)");
        assert_eq!(f(f32::NEG_INFINITY), -1.0, "{name}(-∞)");
        assert_eq!(f(f32::MAX), 1.0, "{name}(max)");
        assert!(f(f32::NAN).is_nan(), "{name}(NaN)");
        for x in sweep(8.0, 4099) {
            assert_eq!(f(-x).to_bits(), (-f(x)).to_bits(), "{name} is odd at {x}");
        }
    }
    // tanh of a subnormal is itself; erf x ≈ 1.128x there.
    assert_eq!(tanh(1e-40), 1e-40);
    assert_eq!(tanh(9.5), 1.0);
    assert_eq!(erf(4.0), 1.0);
    assert_eq!(sigmoid(0.0), 0.5);
    assert_eq!(sigmoid(-0.0), 0.5);
    assert_eq!(sigmoid(f32::INFINITY), 1.0);
    assert_eq!(sigmoid(f32::NEG_INFINITY).to_bits(), 0);
    assert_eq!(sigmoid(-89.0).to_bits(), 0);
    assert!(sigmoid(f32::NAN).is_nan());
}

#[test]
fn sigmoid_is_the_gate_version_2s_swish_computed_before() {
    // Version 2's fused swish gate was exp_in_place(−βz) then 1/(1 + e): the kernel must keep
    // those bits.
    for x in sweep(104.0, 997) {
        assert_eq!(
            sigmoid(x).to_bits(),
            (1.0 / (1.0 + exp(-x))).to_bits(),
            "σ({x})"
        );
    }
}

/// The sweeps of every kernel plus values that exercise every branch and the special cases.
fn inputs() -> Vec<f32> {
    let mut xs = sweep(104.0, 1543);
    xs.extend([
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        0.625,
        -0.625,
        0.875,
        4.0,
        1e-40,
        -1e-40,
        1000.0,
        -1000.0,
    ]);
    xs
}

/// A kernel over a slice.
type InPlace = fn(&mut [f32]);
/// A kernel on one value.
type OneValue = fn(f32) -> f32;

const KERNELS: [(&str, InPlace, OneValue); 3] = [
    ("tanh", tanh_in_place, tanh),
    ("erf", erf_in_place, erf),
    ("sigmoid", sigmoid_in_place, sigmoid),
];

#[test]
fn every_path_gives_the_same_bits_tails_included() {
    let xs = inputs();
    let mut checked = 0;
    for (name, in_place, one) in KERNELS {
        let expected: Vec<u32> = xs.iter().map(|&x| one(x).to_bits()).collect();
        for p in Path::ALL.into_iter().filter(|p| p.is_available()) {
            let _path = path::narrow(p);
            // Lengths that leave every possible tail after whole vectors of 16 and of 8.
            for len in [xs.len(), 1, 7, 8, 15, 17, 33] {
                let mut got = xs[..len].to_vec();
                in_place(&mut got);
                let got: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
                assert!(
                    got == expected[..len],
                    "{name}, {} path, {len} values",
                    p.name()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 21);
}

#[test]
fn every_thread_gives_the_same_bits() {
    let xs = inputs();
    for (name, in_place, _) in KERNELS {
        let mut here = xs.clone();
        in_place(&mut here);
        let there = std::thread::spawn({
            let mut xs = xs.clone();
            move || {
                in_place(&mut xs);
                xs
            }
        })
        .join()
        .unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&here), bits(&there), "{name}");
    }
}
