//! A run's pretraining stage (TECHNIQUES.md "Reusing layers"; the settings are
//! `zoo::reuse::Pretrain`): model A, a classifier on other classes or an autoencoder of the
//! images, trained with plain steps (no clipping, regularizer or schedule) through the same
//! minibatch loop as the run itself, before the run copies A's lower layers.

use std::sync::atomic::{AtomicBool, Ordering};

use dfdx::prelude::*;

use super::eval::{evaluate, reconstruction_loss};
use super::inputs::select_classes;
use super::minibatch::{train_minibatches, Flow, Hooks, Minibatch, Plan, Target};
use super::step::{Step, StepConfig};
use super::{DataView, Metrics, INPUTS};
use crate::config::RunConfig;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::seed::{Purpose, Seeds};
use crate::zoo::reuse::{Pretrain, PretrainKind};

/// Trains model A of the stage `p` of the run `config` on `data` (all classes) with its own
/// seed streams, so the run's own streams stay those of the same run without pretraining;
/// returns A and its `pretrain.*` metrics. `stop` aborts between steps with
/// [`Error::Interrupted`].
pub fn pretrain<D: Device<f32>>(
    dev: &D,
    config: &RunConfig,
    p: &Pretrain,
    data: DataView,
    seeds: &Seeds,
    stop: &AtomicBool,
) -> Result<(Mlp<D>, Metrics)> {
    let mut init_rng = seeds.stream(Purpose::PretrainInit);
    let mut order_rng = seeds.stream(Purpose::PretrainOrder);
    let mut noise_rng = seeds.stream(Purpose::PretrainNoise);
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
    let mut step = StepConfig::plain(
        p.optimizer
            .clone()
            .unwrap_or_else(|| config.optimizer.clone()),
    )
    .build(&model)?;
    let plan = Plan {
        split: &train,
        images: p.train_subset.map_or(train.len(), |s| s.min(train.len())),
        batch_size: p.batch_size.unwrap_or(config.batch_size),
        target: if autoencoder {
            Target::Inputs
        } else {
            Target::Classes(outputs)
        },
        epochs: p.epochs,
    };
    let mut hooks = StageHooks {
        stop,
        learning_rate: step.base_learning_rate(),
        diverged_step: None,
    };
    train_minibatches(
        dev,
        &mut model,
        &mut step,
        &plan,
        &mut order_rng,
        &mut noise_rng,
        &mut hooks,
    )?;
    let mut metrics = Vec::new();
    if let Some(at) = hooks.diverged_step {
        metrics.push(("pretrain.diverged_step".to_string(), at as f64));
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

/// The stage's hooks: a constant learning rate, interruptible, stopped by a non-finite loss.
struct StageHooks<'a> {
    stop: &'a AtomicBool,
    learning_rate: f64,
    /// The step whose loss was not finite.
    diverged_step: Option<u64>,
}

impl<D: Device<f32>> Hooks<D> for StageHooks<'_> {
    fn learning_rate(&mut self, _: u64, _: u32, _: &mut Step) -> Result<Option<f64>> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        Ok(Some(self.learning_rate))
    }

    fn after_loss(&mut self, batch: &Minibatch) -> Flow {
        if batch.loss.is_finite() {
            Flow::Continue
        } else {
            self.diverged_step = Some(batch.step);
            Flow::Stop
        }
    }
}
