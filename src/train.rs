//! The training loop of one run: seeded minibatch order reshuffled every epoch, one optimizer step
//! per minibatch, per-epoch training and validation metrics, test metrics at the end, and
//! divergence (a non-finite loss) recorded with the step it happened at instead of a crash.
//!
//! A run is single-threaded; the runner parallelises across runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use dfdx::prelude::*;
use rand::Rng;

use crate::data::Split;
use crate::error::{Error, Result};
use crate::model::{Mlp, StepRules};
use crate::study::seed::{stream, Purpose};
use crate::study::spec::RunConfig;
use crate::zoo::calibration::{scores, softmax, McAccumulator};
use crate::zoo::diagnostics;
use crate::zoo::regularize::{EarlyStoppingState, Verdict};
use crate::zoo::schedule::ScheduleState;

/// Pixels per image (28 × 28).
pub const INPUTS: usize = 784;
/// Fashion-MNIST's classes.
pub const CLASSES: usize = 10;
/// Images per forward pass when evaluating.
const EVAL_BATCH: usize = 1000;

/// The splits a run uses.
#[derive(Debug, Clone, Copy)]
pub struct DataView<'a> {
    /// Training images (a run may use only its first `train_subset`).
    pub train: &'a Split,
    /// Validation images, evaluated after every epoch.
    pub val: &'a Split,
    /// Test images, evaluated once at the end.
    pub test: &'a Split,
}

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: u32,
    /// Mean minibatch loss, weighted by minibatch size.
    pub train_loss: f64,
    /// Accuracy over the epoch's minibatches (as the model was when it saw each).
    pub train_acc: f64,
    /// Validation loss after the epoch.
    pub val_loss: f64,
    /// Validation accuracy after the epoch.
    pub val_acc: f64,
    /// Learning rate in effect.
    pub learning_rate: f64,
    /// Wall-clock seconds of the epoch (metadata, not reproducible).
    pub wall_seconds: f64,
    /// Diagnostics measured after the epoch, by name (empty unless the study asks).
    pub extra: Vec<(String, f64)>,
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Every finished epoch (a diverged epoch included, with its non-finite losses).
    pub epochs: Vec<EpochMetrics>,
    /// Test loss of the final model.
    pub test_loss: f64,
    /// Test accuracy of the final model.
    pub test_acc: f64,
    /// The 1-based step whose loss was non-finite, if any.
    pub diverged_step: Option<u64>,
    /// Wall-clock seconds of the whole run.
    pub wall_seconds: f64,
    /// Training samples processed per second.
    pub samples_per_sec: f64,
    /// Extra metrics a study asked for (e.g. MC dropout's), by name.
    pub extra: Vec<(String, f64)>,
}

/// Loss and accuracy of a set of logits against labels, with the softmax in f64 on the host so the
/// numbers do not depend on how a device reduces.
pub fn loss_and_correct(logits: &[f32], labels: &[u8]) -> (f64, usize) {
    let mut loss = 0.0;
    let mut correct = 0;
    for (row, &label) in logits.chunks_exact(CLASSES).zip(labels) {
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

/// The plain model's test ECE and MC dropout's metrics over `samples` passes with dropout on.
fn mc_dropout_metrics<D: Device<f32>>(
    dev: &D,
    model: &Mlp<D>,
    split: &Split,
    samples: u32,
    noise: &mut dyn rand::RngCore,
) -> Vec<(String, f64)> {
    let n = split.labels.len();
    let batch = |start: usize, end: usize| {
        dev.tensor_from_vec(
            split.images[start * INPUTS..end * INPUTS].to_vec(),
            (end - start, INPUTS),
        )
    };
    let probabilities =
        |logits: Vec<f32>| -> Vec<f64> { logits.chunks_exact(CLASSES).flat_map(softmax).collect() };
    let mut plain = Vec::with_capacity(n * CLASSES);
    let mut acc = McAccumulator::new(n * CLASSES);
    for start in (0..n).step_by(EVAL_BATCH) {
        let end = (start + EVAL_BATCH).min(n);
        plain.extend(probabilities(model.forward(batch(start, end)).as_vec()));
    }
    for _ in 0..samples {
        let mut pass = Vec::with_capacity(n * CLASSES);
        for start in (0..n).step_by(EVAL_BATCH) {
            let end = (start + EVAL_BATCH).min(n);
            pass.extend(probabilities(
                model.forward_mc(batch(start, end), noise).as_vec(),
            ));
        }
        acc.add(&pass);
    }
    let mut metrics = vec![(
        "test_ece".to_string(),
        scores(&plain, CLASSES, &split.labels).2,
    )];
    metrics.extend(acc.metrics(CLASSES, &split.labels));
    metrics
}

/// Trains one run of `config` with `seed`. `stop` aborts between steps with
/// [`Error::Interrupted`]; `on_epoch` is told each finished epoch (for progress).
pub fn train_run<D: Device<f32>>(
    dev: &D,
    config: &RunConfig,
    data: DataView,
    seed: u64,
    stop: &AtomicBool,
    on_epoch: &mut dyn FnMut(&EpochMetrics),
) -> Result<RunOutcome> {
    config.check()?;
    let started = Instant::now();
    let mut init_rng = stream(seed, Purpose::Init);
    let mut order_rng = stream(seed, Purpose::DataOrder);
    let mut noise_rng = stream(seed, Purpose::Noise);
    let mut model = Mlp::new(&config.model, INPUTS, CLASSES, dev, &mut init_rng)?;
    let mut optimizer = config.optimizer.build(&model.param_sizes())?;
    let base_lr = config.optimizer.learning_rate();

    let n_train = config
        .train_subset
        .map_or(data.train.labels.len(), |s| s.min(data.train.labels.len()));
    let mut order: Vec<usize> = (0..n_train).collect();
    let mut epochs = Vec::new();
    let mut diverged_step = None;
    let mut step: u64 = 0;
    let mut samples: u64 = 0;
    let mut batch_x = Vec::with_capacity(config.batch_size * INPUTS);
    let mut batch_y = Vec::with_capacity(config.batch_size * CLASSES);
    let steps_per_epoch = n_train.div_ceil(config.batch_size) as u64;
    let mut schedule = config
        .schedule
        .as_ref()
        .map(|s| ScheduleState::new(s, base_lr, steps_per_epoch * u64::from(config.epochs)));
    let mut lr = base_lr;
    let rules = StepRules {
        clipping: config.clipping.as_ref(),
        regularizer: config.kernel_regularizer.as_ref(),
        constraint: config.kernel_constraint.as_ref(),
    };
    let mut early_stopping = config.early_stopping.map(EarlyStoppingState::new);
    let diagnose = |model: &Mlp<D>| match &config.diagnostics {
        Some(d) => diagnostics::measure(dev, model, data.val, d, INPUTS, CLASSES),
        None => Vec::new(),
    };
    // At initialization, recorded with the run ("init." + name).
    let mut extra: Vec<(String, f64)> = diagnose(&model)
        .into_iter()
        .map(|(name, v)| (format!("init.{name}"), v))
        .collect();
    let mut best_params: Option<Vec<Vec<f32>>> = None;

    'epochs: for epoch in 1..=config.epochs {
        let epoch_started = Instant::now();
        shuffle(&mut order, &mut order_rng);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for batch in order.chunks(config.batch_size) {
            if stop.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            if let Some(s) = &schedule {
                // `step` updates are done: the schedule's t, as Keras's `iterations`.
                lr = s.learning_rate(step, epoch);
                optimizer.set_momentum(s.momentum(step));
            }
            step += 1;
            let labels = fill_batch(data.train, batch, &mut batch_x, &mut batch_y);
            let x = dev.tensor_from_vec(batch_x.clone(), (batch.len(), INPUTS));
            let y = dev.tensor_from_vec(batch_y.clone(), (batch.len(), CLASSES));
            let logits = model.forward_train(x.traced(Gradients::leaky()), &mut noise_rng);
            let logit_values = logits.retaped::<NoneTape>().as_vec();
            let loss = cross_entropy_with_logits_loss(logits, y);
            let batch_loss = loss.retaped::<NoneTape>().as_vec()[0] as f64;
            let (_, c) = loss_and_correct(&logit_values, &labels);
            loss_sum += batch_loss * batch.len() as f64;
            correct += c;
            samples += batch.len() as u64;
            if !batch_loss.is_finite() {
                diverged_step = Some(step);
                let metrics = EpochMetrics {
                    epoch,
                    train_loss: f64::NAN,
                    train_acc: correct as f64 / n_train as f64,
                    val_loss: f64::NAN,
                    val_acc: f64::NAN,
                    learning_rate: lr,
                    wall_seconds: epoch_started.elapsed().as_secs_f64(),
                    extra: Vec::new(),
                };
                on_epoch(&metrics);
                epochs.push(metrics);
                break 'epochs;
            }
            let grads = loss.backward();
            model.apply_gradients(&grads, &mut optimizer, lr, rules)?;
        }
        let (val_loss, val_acc) = evaluate(dev, &model, data.val);
        let wall_seconds = epoch_started.elapsed().as_secs_f64();
        let metrics = EpochMetrics {
            epoch,
            train_loss: loss_sum / n_train as f64,
            train_acc: correct as f64 / n_train as f64,
            val_loss,
            val_acc,
            learning_rate: lr,
            wall_seconds,
            extra: diagnose(&model),
        };
        on_epoch(&metrics);
        epochs.push(metrics);
        if let Some(s) = &mut schedule {
            s.end_epoch(val_loss);
        }
        if !val_loss.is_finite() {
            // The weights overflowed without a minibatch loss doing so yet.
            diverged_step = Some(step);
            break;
        }
        if let Some(es) = &mut early_stopping {
            match es.end_epoch(epoch, val_loss) {
                Verdict::Best if es.restores() => best_params = Some(model.state()),
                Verdict::Stop => break,
                _ => {}
            }
        }
    }
    // Keras restores the best epoch's weights at the end of training, stopped early or not.
    if let Some(best) = &best_params {
        if diverged_step.is_none() {
            model.restore(best);
        }
    }
    let train_seconds = started.elapsed().as_secs_f64();
    let (test_loss, test_acc) = evaluate(dev, &model, data.test);
    if let (Some(mc), None) = (&config.mc_dropout, diverged_step) {
        extra.extend(mc_dropout_metrics(
            dev,
            &model,
            data.test,
            mc.samples,
            &mut noise_rng,
        ));
    }
    Ok(RunOutcome {
        epochs,
        test_loss,
        test_acc,
        diverged_step,
        wall_seconds: started.elapsed().as_secs_f64(),
        samples_per_sec: samples as f64 / train_seconds.max(1e-9),
        extra,
    })
}

/// Copies the images `indices` of `split` into `x` and their one-hot labels into `y` (both
/// cleared first); returns the labels.
pub fn fill_batch(split: &Split, indices: &[usize], x: &mut Vec<f32>, y: &mut Vec<f32>) -> Vec<u8> {
    x.clear();
    y.clear();
    y.resize(indices.len() * CLASSES, 0.0f32);
    let mut labels = Vec::with_capacity(indices.len());
    for (row, &i) in indices.iter().enumerate() {
        x.extend_from_slice(&split.images[i * INPUTS..(i + 1) * INPUTS]);
        let label = split.labels[i];
        y[row * CLASSES + label as usize] = 1.0;
        labels.push(label);
    }
    labels
}

/// Fisher–Yates shuffle from the run's data-order stream (written here, not `rand`'s
/// `SliceRandom`, so a rand upgrade cannot change the order).
pub fn shuffle(order: &mut [usize], rng: &mut impl Rng) {
    for i in (1..order.len()).rev() {
        let j = (crate::zoo::rng::uniform01(rng) * (i + 1) as f64) as usize;
        order.swap(i, j.min(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<usize> = (0..100).collect();
        let mut b = a.clone();
        shuffle(&mut a, &mut stream(1, Purpose::DataOrder));
        shuffle(&mut b, &mut stream(1, Purpose::DataOrder));
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_ne!(a, sorted);
    }
}
