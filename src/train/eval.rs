//! Evaluating a network: loss and accuracy over a split (the softmax in f64 on the host, so the
//! numbers do not depend on how a device reduces), an autoencoder's reconstruction error, and the
//! end-of-run measurements a study can ask for: MC dropout's metrics and batch-norm folding's.
//! Everything here runs in inference mode (MC dropout: dropout on) and never updates the model.

use std::time::Instant;

use dfdx::prelude::*;

use super::{Metrics, INPUTS};
use crate::data::Split;
use crate::model::Mlp;
use crate::zoo::calibration::{
    reliability_metrics, scores, signed_calibration_error, softmax, McAccumulator,
};

/// Images per forward pass when evaluating.
const EVAL_BATCH: usize = 1000;

/// Loss and accuracy of a set of logits against labels, with the softmax in f64 on the host so the
/// numbers do not depend on how a device reduces.
pub fn loss_and_correct(logits: &[f32], labels: &[u8]) -> (f64, usize) {
    let mut loss = 0.0;
    let mut correct = 0;
    let classes = logits.len() / labels.len().max(1);
    for (row, &label) in logits.chunks_exact(classes.max(1)).zip(labels) {
        let max = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
        let sum: f64 = row.iter().map(|&z| (z as f64 - max).exp()).sum();
        loss += max + sum.ln() - row[label as usize] as f64;
        // NaN logits never count as correct.
        let best = row
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                if v > bv {
                    (i, v)
                } else {
                    (bi, bv)
                }
            });
        if best.0 == label as usize && best.1.is_finite() {
            correct += 1;
        }
    }
    (loss, correct)
}

/// Evaluates the model on a split: (mean loss, accuracy).
pub fn evaluate<D: Device<f32>>(dev: &D, model: &Mlp<D>, split: &Split) -> (f64, f64) {
    let n = split.labels.len();
    let (mut loss, mut correct) = (0.0, 0);
    let mut start = 0;
    while start < n {
        let end = (start + EVAL_BATCH).min(n);
        let x = dev.tensor_from_vec(
            split.images[start * INPUTS..end * INPUTS].to_vec(),
            (end - start, INPUTS),
        );
        let logits = model.forward(x).as_vec();
        let (l, c) = loss_and_correct(&logits, &split.labels[start..end]);
        loss += l;
        correct += c;
        start = end;
    }
    (loss / n as f64, correct as f64 / n as f64)
}

/// The plain model's test ECE and signed calibration error (`test_signed_ce`), MC dropout's
/// metrics over `samples` passes with dropout on (`mc_signed_ce` among them), and both
/// predictions' reliability-diagram bins (`reliability.test.*`, `reliability.mc.*`).
pub fn mc_dropout_metrics<D: Device<f32>>(
    dev: &D,
    model: &Mlp<D>,
    split: &Split,
    samples: u32,
    noise: &mut dyn rand::RngCore,
) -> Vec<(String, f64)> {
    let n = split.labels.len();
    let classes = model.outputs();
    let batch = |start: usize, end: usize| {
        dev.tensor_from_vec(
            split.images[start * INPUTS..end * INPUTS].to_vec(),
            (end - start, INPUTS),
        )
    };
    let probabilities =
        |logits: Vec<f32>| -> Vec<f64> { logits.chunks_exact(classes).flat_map(softmax).collect() };
    let mut plain = Vec::with_capacity(n * classes);
    let mut acc = McAccumulator::new(n * classes);
    for start in (0..n).step_by(EVAL_BATCH) {
        let end = (start + EVAL_BATCH).min(n);
        plain.extend(probabilities(model.forward(batch(start, end)).as_vec()));
    }
    let mut checkpoints = Vec::new();
    for done in 1..=samples {
        let mut pass = Vec::with_capacity(n * classes);
        for start in (0..n).step_by(EVAL_BATCH) {
            let end = (start + EVAL_BATCH).min(n);
            pass.extend(probabilities(
                model.forward_mc(batch(start, end), noise).as_vec(),
            ));
        }
        acc.add(&pass);
        // The same metrics after 1 and 10 passes, for "how many samples are enough".
        if (done == 1 || done == 10) && done < samples {
            checkpoints.extend(
                acc.metrics(classes, &split.labels)
                    .into_iter()
                    .map(|(name, v)| (format!("{name}_{done}"), v)),
            );
        }
    }
    let labels = &split.labels;
    let mean = acc.mean();
    let mut metrics = vec![
        ("test_ece".to_string(), scores(&plain, classes, labels).2),
        (
            "test_signed_ce".to_string(),
            signed_calibration_error(&plain, classes, labels),
        ),
        (
            "mc_signed_ce".to_string(),
            signed_calibration_error(&mean, classes, labels),
        ),
    ];
    metrics.extend(acc.metrics(classes, labels));
    metrics.extend(checkpoints);
    metrics.extend(reliability_metrics(
        "reliability.test",
        &plain,
        classes,
        labels,
    ));
    metrics.extend(reliability_metrics(
        "reliability.mc",
        &mean,
        classes,
        labels,
    ));
    metrics
}

/// Batch norm folded into the dense layers (TECHNIQUES.md): the largest |Δ logit| between the
/// folded and the unfolded network over a split (`bn.fold_max_abs_diff`), and the folded
/// network's inference speedup (`timing.fold_speedup`, best of 3 passes each; wall-clock, so
/// never compared bit for bit).
pub fn fold_metrics<D: Device<f32>>(dev: &D, model: &Mlp<D>, split: &Split) -> Metrics {
    let folded = model.folded();
    let n = split.labels.len();
    let x = dev.tensor_from_vec(split.images.clone(), (n, INPUTS));
    let time = |m: &Mlp<D>| -> (Vec<f32>, f64) {
        let mut best = f64::INFINITY;
        let mut out = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            out = m.forward(x.clone()).as_vec();
            best = best.min(started.elapsed().as_secs_f64());
        }
        (out, best)
    };
    let (a, t_bn) = time(model);
    let (b, t_folded) = time(&folded);
    let diff = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (f64::from(*p) - f64::from(*q)).abs())
        .fold(0.0, f64::max);
    vec![
        ("bn.fold_max_abs_diff".into(), diff),
        ("timing.fold_speedup".into(), t_bn / t_folded.max(1e-12)),
    ]
}

/// Mean squared reconstruction error of an autoencoder over a split.
pub fn reconstruction_loss<D: Device<f32>>(dev: &D, model: &Mlp<D>, split: &Split) -> f64 {
    let n = split.labels.len();
    let mut sum = 0.0f64;
    for start in (0..n).step_by(EVAL_BATCH) {
        let end = (start + EVAL_BATCH).min(n);
        let images = &split.images[start * INPUTS..end * INPUTS];
        let x = dev.tensor_from_vec(images.to_vec(), (end - start, INPUTS));
        let out = model.forward(x).as_vec();
        sum += out
            .iter()
            .zip(images)
            .map(|(&o, &t)| (o as f64 - t as f64).powi(2))
            .sum::<f64>();
    }
    sum / (n * INPUTS).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::CLASSES;

    #[test]
    fn loss_of_uniform_logits_is_ln_10() {
        let logits = vec![0.0f32; 2 * CLASSES];
        let (loss, _) = loss_and_correct(&logits, &[3, 7]);
        assert!((loss / 2.0 - (10f64).ln()).abs() < 1e-12);
    }

    #[test]
    fn nan_logits_are_never_correct() {
        let logits = vec![f32::NAN; CLASSES];
        let (loss, correct) = loss_and_correct(&logits, &[0]);
        assert!(loss.is_nan());
        assert_eq!(correct, 0);
    }
}
