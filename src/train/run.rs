//! One run of a run config with a seed ([`train_run`]): the data it asks for (standardized,
//! restricted to its classes), the network, the pretraining stage and its reused layers, then the
//! minibatch loop with the run's hooks (`RunHooks`: the schedule, per-epoch training and
//! validation metrics, diagnostics, divergence recorded with the step it happened at instead of a
//! crash, unfreezing, early stopping), and at the end the test metrics and whatever else the
//! config asks for (clipping's cosines, batch-norm folding, MC dropout), and the fastest epoch's
//! training time (`timing.epoch_seconds`, wall-clock metadata: it never changes a number).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use dfdx::prelude::*;

use super::diagnostics;
use super::eval::{evaluate, fold_metrics, loss_and_correct, mc_dropout_metrics};
use super::inputs::{select_subset, Inputs};
use super::minibatch::{train_minibatches, Flow, Hooks, Minibatch, Plan, Target};
use super::pretrain::pretrain;
use super::step::{Step, StepConfig, StepReport};
use super::{tune_allocator, DataView, EpochMetrics, Metrics, RunOutcome, CLASSES, INPUTS};
use crate::config::RunConfig;
use crate::data::Split;
use crate::error::{Error, Result};
use crate::model::{Mlp, Op};
use crate::seed::{Purpose, Seeds};
use crate::zoo::regularize::{EarlyStoppingState, Verdict};
use crate::zoo::schedule::ScheduleState;

/// Trains one run of `config` with `seeds` (a plain seed seeds every stream). `stop` aborts
/// between steps with [`Error::Interrupted`]; `on_epoch` is told each finished epoch (for
/// progress).
pub fn train_run<D: Device<f32>>(
    dev: &D,
    config: &RunConfig,
    data: DataView,
    seeds: impl Into<Seeds>,
    stop: &AtomicBool,
    on_epoch: &mut dyn FnMut(&EpochMetrics),
) -> Result<RunOutcome> {
    let seeds = seeds.into();
    config.check()?;
    // Every kernel of this run, pretraining and evaluation included, computes under its version.
    let _numerics = config.numerics.enter();
    tune_allocator();
    let started = Instant::now();
    let inputs = Inputs::new(data, config);
    let original = inputs.original();
    let data = inputs.task();
    // A drawn training subset is a copy; the first N images are used in place.
    let drawn = match config.train_subset {
        Some(n) if !config.train_subset_draw.is_first() => Some(select_subset(
            data.train,
            n,
            config.train_subset_draw,
            &mut seeds.stream(Purpose::Split),
        )),
        _ => None,
    };
    let train = drawn.as_ref().unwrap_or(data.train);
    let classes = config.classes.as_ref().map_or(CLASSES, Vec::len);
    let mut init_rng = seeds.stream(Purpose::Init);
    let mut order_rng = seeds.stream(Purpose::DataOrder);
    let mut noise_rng = seeds.stream(Purpose::Noise);
    let mut model = Mlp::new(&config.model, INPUTS, classes, dev, &mut init_rng)?;
    let mut extra = Vec::new();
    if let Some(p) = &config.pretrain {
        let (a, metrics) = pretrain(dev, config, p, original, &seeds, stop)?;
        extra.extend(metrics);
        let reused = p.reused(config.model.hidden.len());
        model.copy_lower_layers(&a, reused)?;
        for layer in 0..reused {
            model.set_frozen(layer, p.freeze_epochs > 0)?;
        }
    }
    let mut step = StepConfig::of(config).build(&model)?;
    let plan = Plan {
        split: train,
        images: config
            .train_subset
            .map_or(train.len(), |s| s.min(train.len())),
        batch_size: config.batch_size,
        target: Target::Classes(classes),
        epochs: config.epochs,
    };
    let base_learning_rate = step.base_learning_rate();
    let mut hooks = RunHooks::new(
        dev,
        config,
        &plan,
        data.val,
        base_learning_rate,
        stop,
        on_epoch,
    );
    // At initialization (after any reused layers are copied), recorded with the run.
    extra.extend(
        hooks
            .diagnose(&model)
            .into_iter()
            .map(|(name, v)| (format!("init.{name}"), v)),
    );
    if let Some(d) = &config.diagnostics {
        let mut probe_noise = seeds.stream(Purpose::ProbeNoise);
        extra.extend(
            diagnostics::measure_dropout_active(dev, &model, data.val, d, INPUTS, &mut probe_noise)
                .into_iter()
                .map(|(name, v)| (format!("init.{name}"), v)),
        );
    }
    train_minibatches(
        dev,
        &mut model,
        &mut step,
        &plan,
        &mut order_rng,
        &mut noise_rng,
        &mut hooks,
    )?;
    let RunHooks {
        epochs,
        diverged_step,
        samples,
        clip_cosines,
        best_state,
        fastest_epoch,
        ..
    } = hooks;
    // Keras restores the best epoch's weights at the end of training, stopped early or not.
    if let Some(best) = &best_state {
        if diverged_step.is_none() {
            model.restore(best);
        }
    }
    let train_seconds = started.elapsed().as_secs_f64();
    let (test_loss, test_acc) = evaluate(dev, &model, data.test);
    if fastest_epoch.is_finite() {
        extra.push(("timing.epoch_seconds".into(), fastest_epoch));
    }
    if let Some((min, mean)) = clip_cosines.min_and_mean() {
        extra.push(("clip.min_cosine".into(), min));
        extra.push(("clip.mean_cosine".into(), mean));
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
        numerics: config.numerics.get(),
        cpu_path: kernels::path::current().name(),
    })
}

/// The smallest and the sum of the cosines between raw and clipped gradients, over the steps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ClipCosines {
    min: f64,
    sum: f64,
    steps: u64,
}

impl ClipCosines {
    /// (smallest, mean), when any step was clipped.
    fn min_and_mean(&self) -> Option<(f64, f64)> {
        (self.steps > 0).then(|| (self.min, self.sum / self.steps as f64))
    }
}

/// What a run adds to the minibatch loop, and what it gathers there.
struct RunHooks<'a, D: Device<f32>> {
    dev: &'a D,
    config: &'a RunConfig,
    val: &'a Split,
    /// Output classes (for the diagnostics' labels).
    classes: usize,
    /// Training images per epoch.
    images: usize,
    /// Set: abort between steps.
    stop: &'a AtomicBool,
    /// Told each finished epoch.
    on_epoch: &'a mut dyn FnMut(&EpochMetrics),
    schedule: Option<ScheduleState>,
    /// The learning rate in effect: the optimizer's own, the unfreezing one, or the schedule's.
    learning_rate: f64,
    early_stopping: Option<EarlyStoppingState>,
    /// The epoch's start, training loss sum (weighted by minibatch size) and correct count.
    epoch_started: Instant,
    loss_sum: f64,
    correct: usize,
    /// Steps started and samples seen in the whole run.
    steps: u64,
    samples: u64,
    epochs: Vec<EpochMetrics>,
    diverged_step: Option<u64>,
    clip_cosines: ClipCosines,
    /// Early stopping's best epoch's state, to restore at the end.
    best_state: Option<Vec<Vec<f32>>>,
    /// The shortest training time of a whole epoch (its shuffle and every minibatch step, not
    /// its validation or diagnostics), over the epochs: `timing.epoch_seconds`. Each epoch is
    /// one repetition of the same work, so the minimum is the epoch's cost with the least
    /// interference from whatever else the machine was doing (as a benchmark's best-of-N);
    /// the epoch's `wall_seconds` also counts validation. Reading the clock changes no number.
    fastest_epoch: f64,
}

impl<'a, D: Device<f32>> RunHooks<'a, D> {
    fn new(
        dev: &'a D,
        config: &'a RunConfig,
        plan: &Plan,
        val: &'a Split,
        base_learning_rate: f64,
        stop: &'a AtomicBool,
        on_epoch: &'a mut dyn FnMut(&EpochMetrics),
    ) -> Self {
        let steps_per_epoch = plan.images.div_ceil(plan.batch_size) as u64;
        let total_steps = steps_per_epoch * u64::from(config.epochs);
        RunHooks {
            dev,
            config,
            val,
            classes: match plan.target {
                Target::Classes(n) => n,
                Target::Inputs => 0,
            },
            images: plan.images,
            stop,
            on_epoch,
            schedule: config
                .schedule
                .as_ref()
                .map(|s| ScheduleState::new(s, base_learning_rate, total_steps)),
            learning_rate: base_learning_rate,
            early_stopping: config.early_stopping.map(EarlyStoppingState::new),
            epoch_started: Instant::now(),
            loss_sum: 0.0,
            correct: 0,
            steps: 0,
            samples: 0,
            epochs: Vec::new(),
            diverged_step: None,
            clip_cosines: ClipCosines {
                min: f64::INFINITY,
                sum: 0.0,
                steps: 0,
            },
            best_state: None,
            fastest_epoch: f64::INFINITY,
        }
    }

    /// The diagnostics the config asks for (none: empty).
    fn diagnose(&self, model: &Mlp<D>) -> Metrics {
        match &self.config.diagnostics {
            Some(d) => diagnostics::measure(self.dev, model, self.val, d, INPUTS, self.classes),
            None => Vec::new(),
        }
    }

    /// Records a finished epoch and tells the caller.
    fn record(&mut self, metrics: EpochMetrics) {
        (self.on_epoch)(&metrics);
        self.epochs.push(metrics);
    }
}

impl<D: Device<f32>> Hooks<D> for RunHooks<'_, D> {
    fn learning_rate(&mut self, done: u64, epoch: u32, step: &mut Step) -> Result<Option<f64>> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        if let Some(s) = &self.schedule {
            // `done` updates are done: the schedule's t, as Keras's `iterations`.
            self.learning_rate = s.learning_rate(done, epoch);
            step.optimizer_mut().set_momentum(s.momentum(done));
        }
        Ok(Some(self.learning_rate))
    }

    fn wants_outputs(&self) -> bool {
        true
    }

    fn begin_epoch(&mut self, epoch: u32, model: &mut Mlp<D>, step: &mut Step) -> Result<()> {
        if let Some(p) = self
            .config
            .pretrain
            .as_ref()
            .filter(|p| p.freeze_epochs + 1 == epoch)
        {
            // Unfreeze, and start the optimizer afresh as a Keras user's recompile does.
            for layer in 0..p.reused(self.config.model.hidden.len()) {
                model.set_frozen(layer, false)?;
            }
            step.restart(model, p.unfreeze_learning_rate)?;
            if let Some(lr) = p.unfreeze_learning_rate {
                self.learning_rate = lr;
            }
        }
        self.epoch_started = Instant::now();
        self.loss_sum = 0.0;
        self.correct = 0;
        Ok(())
    }

    fn after_loss(&mut self, batch: &Minibatch) -> Flow {
        let logits = batch.outputs.as_deref().unwrap_or_default();
        let (_, correct) = loss_and_correct(logits, batch.labels);
        let size = batch.labels.len();
        self.loss_sum += batch.loss * size as f64;
        self.correct += correct;
        self.samples += size as u64;
        self.steps = batch.step;
        if batch.loss.is_finite() {
            return Flow::Continue;
        }
        self.diverged_step = Some(batch.step);
        let metrics = EpochMetrics {
            epoch: batch.epoch,
            train_loss: f64::NAN,
            train_acc: self.correct as f64 / self.images as f64,
            val_loss: f64::NAN,
            val_acc: f64::NAN,
            learning_rate: batch.learning_rate,
            wall_seconds: self.epoch_started.elapsed().as_secs_f64(),
            extra: Vec::new(),
        };
        self.record(metrics);
        Flow::Stop
    }

    fn after_update(&mut self, report: &StepReport) {
        if let Some(c) = report.clip_cosine {
            let cosines = &mut self.clip_cosines;
            cosines.min = cosines.min.min(c);
            cosines.sum += c;
            cosines.steps += 1;
        }
    }

    fn end_epoch(&mut self, epoch: u32, model: &Mlp<D>) -> Result<Flow> {
        let trained_for = self.epoch_started.elapsed().as_secs_f64();
        self.fastest_epoch = self.fastest_epoch.min(trained_for);
        let (val_loss, val_acc) = evaluate(self.dev, model, self.val);
        let wall_seconds = self.epoch_started.elapsed().as_secs_f64();
        let metrics = EpochMetrics {
            epoch,
            train_loss: self.loss_sum / self.images as f64,
            train_acc: self.correct as f64 / self.images as f64,
            val_loss,
            val_acc,
            learning_rate: self.learning_rate,
            wall_seconds,
            extra: self.diagnose(model),
        };
        self.record(metrics);
        if let Some(s) = &mut self.schedule {
            s.end_epoch(val_loss);
        }
        if !val_loss.is_finite() {
            // The weights overflowed without a minibatch loss doing so yet.
            self.diverged_step = Some(self.steps);
            return Ok(Flow::Stop);
        }
        if let Some(es) = &mut self.early_stopping {
            match es.end_epoch(epoch, val_loss) {
                Verdict::Best if es.restores() => self.best_state = Some(model.state()),
                Verdict::Stop => return Ok(Flow::Stop),
                _ => {}
            }
        }
        Ok(Flow::Continue)
    }
}
