//! The training loop of one run: seeded minibatch order reshuffled every epoch, one optimizer step
//! per minibatch, per-epoch training and validation metrics, test metrics at the end, and
//! divergence (a non-finite loss) recorded with the step it happened at instead of a crash.
//!
//! A run is single-threaded; the runner parallelises across runs.

pub mod diagnostics;
pub mod step;

use step::StepConfig;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use dfdx::prelude::*;
use rand::Rng;

use crate::config::RunConfig;
use crate::data::{Split, Standardizer};
use crate::error::{Error, Result};
use crate::model::{Mlp, Op};
use crate::seed::{stream, Purpose};
use crate::zoo::calibration::{scores, softmax, McAccumulator};
use crate::zoo::regularize::{EarlyStoppingState, Verdict};
use crate::zoo::reuse::{Pretrain, PretrainKind};
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

/// The plain model's test ECE and MC dropout's metrics over `samples` passes with dropout on.
fn mc_dropout_metrics<D: Device<f32>>(
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
    let mut metrics = vec![(
        "test_ece".to_string(),
        scores(&plain, classes, &split.labels).2,
    )];
    metrics.extend(acc.metrics(classes, &split.labels));
    metrics.extend(checkpoints);
    metrics
}

/// Tells the C allocator (glibc's) to keep freed memory for reuse: a training step allocates
/// and frees a buffer per tensor op, and those of a dense layer's size (about 1 MB) would
/// otherwise be mapped afresh from the OS and page-faulted in every time (a third of a step's
/// time for the chapter's MLP at batch 32). Blocks under 32 MiB come from the heap, which is
/// trimmed only when 256 MiB lie free at its top. Process-wide, done once; [`train_run`] and
/// the learning-rate finder call it. Changes no number.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static TUNED: std::sync::Once = std::sync::Once::new();
        TUNED.call_once(|| {
            // SAFETY: mallopt only sets allocator parameters; any value is valid to pass.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
            }
        });
    }
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
    tune_allocator();
    let started = Instant::now();
    let inputs = Inputs::new(data, config);
    let original = inputs.original();
    let data = inputs.task();
    let classes = config.classes.as_ref().map_or(CLASSES, Vec::len);
    let mut init_rng = stream(seed, Purpose::Init);
    let mut order_rng = stream(seed, Purpose::DataOrder);
    let mut noise_rng = stream(seed, Purpose::Noise);
    let mut model = Mlp::new(&config.model, INPUTS, classes, dev, &mut init_rng)?;
    let mut extra = Vec::new();
    if let Some(p) = &config.pretrain {
        let (a, metrics) = pretrain(dev, config, p, original, seed, stop)?;
        extra.extend(metrics);
        let reused = p.reused(config.model.hidden.len());
        model.copy_lower_layers(&a, reused)?;
        for layer in 0..reused {
            model.set_frozen(layer, p.freeze_epochs > 0)?;
        }
    }
    let mut step_rule = StepConfig::of(config).build(&model)?;
    let base_lr = step_rule.base_learning_rate();

    let n_train = config
        .train_subset
        .map_or(data.train.labels.len(), |s| s.min(data.train.labels.len()));
    let mut order: Vec<usize> = (0..n_train).collect();
    let mut epochs = Vec::new();
    let mut diverged_step = None;
    let mut step: u64 = 0;
    let mut samples: u64 = 0;
    let mut batch_x = Vec::with_capacity(config.batch_size * INPUTS);
    let mut batch_y = Vec::with_capacity(config.batch_size * classes);
    let steps_per_epoch = n_train.div_ceil(config.batch_size) as u64;
    let mut schedule = config
        .schedule
        .as_ref()
        .map(|s| ScheduleState::new(s, base_lr, steps_per_epoch * u64::from(config.epochs)));
    let mut lr_now = base_lr;
    // With clipping: the smallest and the mean cosine between raw and clipped gradients.
    let (mut clip_min, mut clip_sum, mut clip_steps) = (f64::INFINITY, 0.0f64, 0u64);
    let mut early_stopping = config.early_stopping.map(EarlyStoppingState::new);
    let diagnose = |model: &Mlp<D>| match &config.diagnostics {
        Some(d) => diagnostics::measure(dev, model, data.val, d, INPUTS, classes),
        None => Vec::new(),
    };
    // At initialization (after any reused layers are copied), recorded with the run.
    extra.extend(
        diagnose(&model)
            .into_iter()
            .map(|(name, v)| (format!("init.{name}"), v)),
    );
    let mut best_params: Option<Vec<Vec<f32>>> = None;

    'epochs: for epoch in 1..=config.epochs {
        if let Some(p) = config
            .pretrain
            .as_ref()
            .filter(|p| p.freeze_epochs + 1 == epoch)
        {
            // Unfreeze, and start the optimizer afresh as a Keras user's recompile does.
            for layer in 0..p.reused(config.model.hidden.len()) {
                model.set_frozen(layer, false)?;
            }
            step_rule.restart(&model, p.unfreeze_learning_rate)?;
            if let Some(lr) = p.unfreeze_learning_rate {
                lr_now = lr;
            }
        }
        let epoch_started = Instant::now();
        shuffle(&mut order, &mut order_rng);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for batch in order.chunks(config.batch_size) {
            if stop.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            if let Some(s) = &schedule {
                // `step` updates are done: the schedule's t, as Keras's `iterations`.
                lr_now = s.learning_rate(step, epoch);
                step_rule.optimizer_mut().set_momentum(s.momentum(step));
            }
            step += 1;
            let labels = fill_batch_of(data.train, batch, &mut batch_x, &mut batch_y, classes);
            let x = dev.tensor_from_vec(batch_x.clone(), (batch.len(), INPUTS));
            let y = dev.tensor_from_vec(batch_y.clone(), (batch.len(), classes));
            let logits = model.forward_train_params(x, &mut noise_rng);
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
                    learning_rate: lr_now,
                    wall_seconds: epoch_started.elapsed().as_secs_f64(),
                    extra: Vec::new(),
                };
                on_epoch(&metrics);
                epochs.push(metrics);
                break 'epochs;
            }
            let grads = loss.backward();
            let report = step_rule.apply(&mut model, grads, lr_now);
            if let Some(c) = report.clip_cosine {
                clip_min = clip_min.min(c);
                clip_sum += c;
                clip_steps += 1;
            }
        }
        let (val_loss, val_acc) = evaluate(dev, &model, data.val);
        let wall_seconds = epoch_started.elapsed().as_secs_f64();
        let metrics = EpochMetrics {
            epoch,
            train_loss: loss_sum / n_train as f64,
            train_acc: correct as f64 / n_train as f64,
            val_loss,
            val_acc,
            learning_rate: lr_now,
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
    if clip_steps > 0 {
        extra.push(("clip.min_cosine".into(), clip_min));
        extra.push(("clip.mean_cosine".into(), clip_sum / clip_steps as f64));
    }
    if config.fold_check
        && diverged_step.is_none()
        && model.ops().iter().any(|op| matches!(op, Op::Norm(_)))
    {
        extra.extend(fold_metrics(dev, &model, data.test));
    }
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

/// Batch norm folded into the dense layers (TECHNIQUES.md): the largest |Δ logit| between the
/// folded and the unfolded network over a split (`bn.fold_max_abs_diff`), and the folded
/// network's inference speedup (`timing.fold_speedup`, best of 3 passes each; wall-clock, so
/// never compared bit for bit).
fn fold_metrics<D: Device<f32>>(dev: &D, model: &Mlp<D>, split: &Split) -> Metrics {
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

/// Named extra metrics of a run.
pub type Metrics = Vec<(String, f64)>;

/// A run's inputs: the study's data, standardized when the run asks, and restricted to the run's
/// classes (relabelled 0, 1, …) when it names them. Owns the copies it had to make.
struct Inputs<'a> {
    given: DataView<'a>,
    standardized: Option<[Split; 3]>,
    task: Option<[Split; 3]>,
}

impl<'a> Inputs<'a> {
    fn new(given: DataView<'a>, config: &RunConfig) -> Self {
        let standardized = config.standardize.then(|| {
            let s = Standardizer::fit(given.train);
            [given.train, given.val, given.test].map(|split| {
                let mut copy = split.clone();
                s.apply(&mut copy);
                copy
            })
        });
        let mut inputs = Inputs {
            given,
            standardized,
            task: None,
        };
        if let Some(classes) = &config.classes {
            let base = inputs.original();
            inputs.task =
                Some([base.train, base.val, base.test].map(|s| select_classes(s, classes)));
        }
        inputs
    }

    /// All classes (standardized if asked): what a pretraining stage starts from.
    fn original(&self) -> DataView<'_> {
        match &self.standardized {
            Some([train, val, test]) => DataView { train, val, test },
            None => self.given,
        }
    }

    /// The run's own task.
    fn task(&self) -> DataView<'_> {
        match &self.task {
            Some([train, val, test]) => DataView { train, val, test },
            None => self.original(),
        }
    }
}

/// The images of `classes` in `split`, in their order, labelled by their position in `classes`.
pub fn select_classes(split: &Split, classes: &[u8]) -> Split {
    let mut out = Split {
        images: Vec::new(),
        labels: Vec::new(),
    };
    for (i, &label) in split.labels.iter().enumerate() {
        if let Some(new) = classes.iter().position(|&c| c == label) {
            out.images
                .extend_from_slice(&split.images[i * INPUTS..(i + 1) * INPUTS]);
            out.labels.push(new as u8);
        }
    }
    out
}

/// Trains model A of a pretraining stage (plain steps: no clipping, regularizer or schedule) on
/// `data` (all classes) with its own seed streams, so the run's own streams stay those of the
/// same run without pretraining; returns A and its `pretrain.*` metrics.
fn pretrain<D: Device<f32>>(
    dev: &D,
    config: &RunConfig,
    p: &Pretrain,
    data: DataView,
    seed: u64,
    stop: &AtomicBool,
) -> Result<(Mlp<D>, Metrics)> {
    let mut init_rng = stream(seed, Purpose::PretrainInit);
    let mut order_rng = stream(seed, Purpose::PretrainOrder);
    let mut noise_rng = stream(seed, Purpose::PretrainNoise);
    let autoencoder = p.kind == PretrainKind::Autoencoder;
    let mut spec = config.model.clone();
    let (train, val, outputs) = if autoencoder {
        // The decoder mirrors the encoder: hidden [300, 100] → [300, 100, 300] → 784.
        let encoder = spec.hidden.clone();
        spec.hidden.extend(encoder.iter().rev().skip(1));
        (data.train.clone(), data.val.clone(), INPUTS)
    } else {
        let classes = p.classes(config.classes.as_deref());
        let n = classes.len();
        (
            select_classes(data.train, &classes),
            select_classes(data.val, &classes),
            n,
        )
    };
    let mut model = Mlp::new(&spec, INPUTS, outputs, dev, &mut init_rng)?;
    let mut step_rule = StepConfig::plain(p.optimizer.unwrap_or(config.optimizer)).build(&model)?;
    let lr = step_rule.base_learning_rate();
    let batch_size = p.batch_size.unwrap_or(config.batch_size);
    let n_train = p.train_subset.map_or(train.len(), |s| s.min(train.len()));
    let mut order: Vec<usize> = (0..n_train).collect();
    let (mut bx, mut by) = (Vec::new(), Vec::new());
    let mut metrics = Vec::new();
    let mut step = 0u64;
    'epochs: for _ in 0..p.epochs {
        shuffle(&mut order, &mut order_rng);
        for batch in order.chunks(batch_size) {
            if stop.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            step += 1;
            fill_batch_of(&train, batch, &mut bx, &mut by, outputs.min(CLASSES));
            let x = dev.tensor_from_vec(bx.clone(), (batch.len(), INPUTS));
            let out = model.forward_train_params(x.clone(), &mut noise_rng);
            let loss = if autoencoder {
                mse_loss(out, x)
            } else {
                let y = dev.tensor_from_vec(by.clone(), (batch.len(), outputs));
                cross_entropy_with_logits_loss(out, y)
            };
            if !loss.retaped::<NoneTape>().as_vec()[0].is_finite() {
                metrics.push(("pretrain.diverged_step".to_string(), step as f64));
                break 'epochs;
            }
            let grads = loss.backward();
            step_rule.apply(&mut model, grads, lr);
        }
    }
    let (val_loss, val_acc) = if autoencoder {
        (reconstruction_loss(dev, &model, &val), f64::NAN)
    } else {
        evaluate(dev, &model, &val)
    };
    metrics.push(("pretrain.val_loss".to_string(), val_loss));
    if !autoencoder {
        metrics.push(("pretrain.val_acc".to_string(), val_acc));
    }
    Ok((model, metrics))
}

/// Mean squared reconstruction error of an autoencoder over a split.
fn reconstruction_loss<D: Device<f32>>(dev: &D, model: &Mlp<D>, split: &Split) -> f64 {
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

/// Copies the images `indices` of `split` into `x` and their one-hot labels into `y` (both
/// cleared first); returns the labels.
pub fn fill_batch(split: &Split, indices: &[usize], x: &mut Vec<f32>, y: &mut Vec<f32>) -> Vec<u8> {
    fill_batch_of(split, indices, x, y, CLASSES)
}

/// [`fill_batch`] with `classes` one-hot columns.
pub fn fill_batch_of(
    split: &Split,
    indices: &[usize],
    x: &mut Vec<f32>,
    y: &mut Vec<f32>,
    classes: usize,
) -> Vec<u8> {
    x.clear();
    y.clear();
    y.resize(indices.len() * classes, 0.0f32);
    let mut labels = Vec::with_capacity(indices.len());
    for (row, &i) in indices.iter().enumerate() {
        x.extend_from_slice(&split.images[i * INPUTS..(i + 1) * INPUTS]);
        let label = split.labels[i];
        y[row * classes + label as usize] = 1.0;
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
