//! Nanoseconds per value of version 2's vectorized exponential against glibc's scalar `expf`
//! (version 1's) on the calling thread, over an activation-sized buffer (batch 256 × 300
//! units): `cargo run --release -p kernels --example exp_speed`. Best of several timings each,
//! interleaved; a quick check while writing kernels, not the committed benches.

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let len = 256 * 300;
    let xs: Vec<f32> = (0..len)
        .map(|i| (i as f32 / len as f32) * 16.0 - 12.0)
        .collect();
    let mut buffer = xs.clone();
    let (mut scalar, mut vector) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..30 {
        buffer.copy_from_slice(&xs);
        let start = Instant::now();
        for x in buffer.iter_mut() {
            *x = x.exp();
        }
        black_box(&buffer);
        scalar = scalar.min(start.elapsed().as_secs_f64());
        buffer.copy_from_slice(&xs);
        let start = Instant::now();
        kernels::exp::exp_in_place(&mut buffer);
        black_box(&buffer);
        vector = vector.min(start.elapsed().as_secs_f64());
    }
    let per = |t: f64| t * 1e9 / len as f64;
    println!(
        "path {}: glibc expf {:.2} ns/value, kernels::exp {:.2} ns/value, {:.1}× faster",
        kernels::path::current().name(),
        per(scalar),
        per(vector),
        scalar / vector
    );
}
