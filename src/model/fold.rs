//! Batch norm folded into the neighbouring dense layers for inference (TECHNIQUES.md "Batch
//! normalization"): the same function without the BN ops.

use dfdx::prelude::*;

use super::{Dense, Kind, Mlp, Op, Param, Trainable};

impl<D: Device<f32>> Mlp<D> {
    /// The same function for inference with every BN layer folded into a neighbouring dense
    /// layer (TECHNIQUES.md): a BN right after a dense layer scales its columns, W′ = W·diag(s),
    /// b′ = s⊙b + t; a BN before a dense layer (on the input or after an activation) scales its
    /// rows, W′ = diag(s)·W, b′ = b + tW; with s = γ/√(v̂ + ε), t = β − μ̂·s. Dropout ops stay
    /// (identity at inference). Sums are in f64.
    pub fn folded(&self) -> Mlp<D> {
        let mut out = Mlp {
            ops: Vec::new(),
            layer_of: Vec::new(),
            frozen: vec![false; self.frozen.len()],
        };
        let mut pending: Option<(Vec<f32>, Vec<f32>)> = None;
        for (op, &layer) in self.ops.iter().zip(&self.layer_of) {
            match op {
                Op::Norm(bn) => {
                    let (s, t) = bn.affine();
                    match out.ops.last_mut() {
                        Some(Op::Dense(d)) => fold_after(d, &s, &t),
                        _ => pending = Some((s, t)),
                    }
                }
                Op::Dense(d) => {
                    let mut d = d.clone();
                    if let Some((s, t)) = pending.take() {
                        fold_before(&mut d, &s, &t);
                    }
                    out.push(layer, Op::Dense(d));
                }
                other => out.push(layer, other.clone()),
            }
        }
        out
    }
}

/// Folds a BN that follows `d` into it: columns scaled by `s`, bias s⊙b + t.
fn fold_after<D: Device<f32>>(d: &mut Dense<D>, s: &[f32], t: &[f32]) {
    let fan_out = d.fan_out();
    let kernel = &mut d.kernel;
    for row in kernel.values_mut().chunks_exact_mut(fan_out) {
        for (w, &sj) in row.iter_mut().zip(s) {
            *w = (*w as f64 * sj as f64) as f32;
        }
    }
    kernel.sync();
    let old = d.bias.as_ref().map(|b| b.values().to_vec());
    let bias: Vec<f32> = (0..fan_out)
        .map(|j| {
            let b = old.as_ref().map_or(0.0, |b| b[j] as f64);
            (s[j] as f64 * b + t[j] as f64) as f32
        })
        .collect();
    d.bias = Some(Param::new(
        kernel.tensor.device(),
        bias,
        (fan_out,),
        Kind::Bias,
    ));
}

/// Folds a BN that precedes `d` into it: rows scaled by `s`, bias b + tW.
fn fold_before<D: Device<f32>>(d: &mut Dense<D>, s: &[f32], t: &[f32]) {
    let (fan_in, fan_out) = (d.fan_in(), d.fan_out());
    let old = d.kernel.values().to_vec();
    let mut bias: Vec<f64> = match &d.bias {
        Some(b) => b.values().iter().map(|&v| v as f64).collect(),
        None => vec![0.0; fan_out],
    };
    for i in 0..fan_in {
        for j in 0..fan_out {
            bias[j] += t[i] as f64 * old[i * fan_out + j] as f64;
        }
    }
    let kernel: Vec<f32> = old
        .iter()
        .enumerate()
        .map(|(k, &w)| (w as f64 * s[k / fan_out] as f64) as f32)
        .collect();
    let dev = d.kernel.tensor.device().clone();
    d.kernel = Param::new(&dev, kernel, (fan_in, fan_out), Kind::Kernel);
    let bias = bias.into_iter().map(|b| b as f32).collect();
    d.bias = Some(Param::new(&dev, bias, (fan_out,), Kind::Bias));
}
