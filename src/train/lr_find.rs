//! The learning-rate range test (TECHNIQUES.md "Learning-rate schedules"; Smith 2015): train the
//! study's baseline model from its seed-0 initial weights while η grows exponentially from
//! `start` to `end` over `steps` minibatches, record each minibatch loss and its bias-corrected
//! exponential moving average (β = 0.98), stop once the smoothed loss exceeds 4× its minimum (or is
//! non-finite), and suggest the η of the lowest smoothed loss divided by 10. It trains through the
//! one minibatch loop; the sweep is its hooks.

use dfdx::prelude::*;

use super::minibatch::{train_minibatches, Flow, Hooks, Minibatch, Plan, Target};
use super::step::{Step, StepConfig};
use super::{tune_allocator, DataView, CLASSES, INPUTS};
use crate::config::RunConfig;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::seed::{stream, Purpose};

/// The test's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrFindOptions {
    /// First η.
    pub start: f64,
    /// Last η.
    pub end: f64,
    /// Minibatches (η values).
    pub steps: usize,
    /// Smoothing of the loss curve.
    pub beta: f64,
    /// Stop once the smoothed loss exceeds this multiple of its minimum.
    pub explode: f64,
}

impl Default for LrFindOptions {
    fn default() -> Self {
        LrFindOptions {
            start: 1e-5,
            end: 10.0,
            steps: 300,
            beta: 0.98,
            explode: 4.0,
        }
    }
}

/// What the test measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LrFindResult {
    /// η of each step taken.
    pub learning_rates: Vec<f64>,
    /// The minibatch loss at each step.
    pub losses: Vec<f64>,
    /// Its smoothed curve.
    pub smoothed: Vec<f64>,
    /// η of the lowest smoothed loss / 10.
    pub suggestion: Option<f64>,
}

/// η at step `i` of `steps`: start·(end/start)^(i/(steps−1)).
pub fn learning_rate_at(o: &LrFindOptions, i: usize) -> f64 {
    let frac = i as f64 / (o.steps.max(2) - 1) as f64;
    o.start * (o.end / o.start).powf(frac)
}

/// The bias-corrected moving average of the losses, fed one loss at a time.
#[derive(Debug, Clone)]
struct Smoother {
    beta: f64,
    explode: f64,
    avg: f64,
    best: f64,
    seen: i32,
}

impl Smoother {
    fn new(o: &LrFindOptions) -> Self {
        Smoother {
            beta: o.beta,
            explode: o.explode,
            avg: 0.0,
            best: f64::INFINITY,
            seen: 0,
        }
    }

    /// The smoothed value after `loss`, and whether the curve has exploded with it.
    fn push(&mut self, loss: f64) -> (f64, bool) {
        self.seen += 1;
        self.avg = self.beta * self.avg + (1.0 - self.beta) * loss;
        let s = self.avg / (1.0 - self.beta.powi(self.seen));
        let exploded = !s.is_finite() || s > self.explode * self.best;
        self.best = self.best.min(s);
        (s, exploded)
    }
}

/// The smoothed curve of raw losses (pure, for tests), up to and including the step where it
/// exploded.
pub fn smooth(losses: &[f64], o: &LrFindOptions) -> Vec<f64> {
    let mut smoother = Smoother::new(o);
    let mut out = Vec::with_capacity(losses.len());
    for &loss in losses {
        let (s, exploded) = smoother.push(loss);
        out.push(s);
        if exploded {
            break;
        }
    }
    out
}

/// η of the lowest smoothed loss, divided by 10.
pub fn suggest(learning_rates: &[f64], smoothed: &[f64]) -> Option<f64> {
    smoothed
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_finite())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| learning_rates[i] / 10.0)
}

/// Runs the test for `config` (its model, optimizer, batch size and the techniques of its step;
/// its own learning rate and schedule are replaced) on `data` with `seed`, through the minibatch
/// loop: the sweep sets each step's η and stops it after `steps` minibatches or once the smoothed
/// loss explodes (that minibatch gets no update).
pub fn lr_find<D: Device<f32>>(
    dev: &D,
    config: &RunConfig,
    data: DataView,
    seed: u64,
    o: &LrFindOptions,
) -> Result<LrFindResult> {
    config.check()?;
    let _numerics = config.numerics.enter();
    tune_allocator();
    if !(o.start > 0.0 && o.end > o.start && o.steps >= 2) {
        return Err(Error::invalid(
            "lr-find",
            "needs 0 < start < end and at least 2 steps",
        ));
    }
    let mut model = Mlp::new(
        &config.model,
        INPUTS,
        CLASSES,
        dev,
        &mut stream(seed, Purpose::Init),
    )?;
    let mut step = StepConfig::of(config).build(&model)?;
    let plan = Plan {
        split: data.train,
        images: config
            .train_subset
            .map_or(data.train.len(), |s| s.min(data.train.len())),
        batch_size: config.batch_size,
        target: Target::Classes(CLASSES),
        // As many epochs as the sweep's steps take.
        epochs: u32::MAX,
    };
    let mut sweep = Sweep {
        options: o,
        smoother: Smoother::new(o),
        result: LrFindResult {
            learning_rates: Vec::new(),
            losses: Vec::new(),
            smoothed: Vec::new(),
            suggestion: None,
        },
    };
    train_minibatches(
        dev,
        &mut model,
        &mut step,
        &plan,
        &mut stream(seed, Purpose::DataOrder),
        &mut stream(seed, Purpose::Noise),
        &mut sweep,
    )?;
    let mut result = sweep.result;
    result.suggestion = suggest(&result.learning_rates, &result.smoothed);
    Ok(result)
}

/// The test's hooks: η grows step by step; each loss is recorded and smoothed, and the sweep
/// stops after its last step or once the smoothed loss explodes.
struct Sweep<'a> {
    options: &'a LrFindOptions,
    smoother: Smoother,
    result: LrFindResult,
}

impl<D: Device<f32>> Hooks<D> for Sweep<'_> {
    fn learning_rate(&mut self, done: u64, _: u32, _: &mut Step) -> Result<Option<f64>> {
        let i = done as usize;
        Ok((i < self.options.steps).then(|| learning_rate_at(self.options, i)))
    }

    fn after_loss(&mut self, batch: &Minibatch) -> Flow {
        let (s, exploded) = self.smoother.push(batch.loss);
        self.result.learning_rates.push(batch.learning_rate);
        self.result.losses.push(batch.loss);
        self.result.smoothed.push(s);
        if exploded {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_rates_grow_exponentially_from_start_to_end() {
        let o = LrFindOptions {
            steps: 7,
            ..Default::default()
        };
        let lrs: Vec<f64> = (0..7).map(|i| learning_rate_at(&o, i)).collect();
        assert!((lrs[0] - 1e-5).abs() < 1e-20);
        assert!((lrs[6] - 10.0).abs() < 1e-12);
        assert!((lrs[3] - 1e-5 * 1e3).abs() < 1e-12, "{lrs:?}");
    }

    #[test]
    fn smoothing_is_bias_corrected_and_stops_when_the_loss_explodes() {
        let o = LrFindOptions::default();
        let flat = smooth(&[2.0; 5], &o);
        assert!(flat.iter().all(|s| (s - 2.0).abs() < 1e-12), "{flat:?}");
        // Falls to 1, then explodes: the curve stops at the first smoothed value over 4.
        let mut losses: Vec<f64> = (0..50).map(|i| 2.0 - i as f64 / 50.0).collect();
        losses.extend((0..200).map(|i| 1.0 + (i as f64) * 2.0));
        let s = smooth(&losses, &o);
        assert!(s.len() < losses.len());
        assert!(*s.last().unwrap() > 4.0 * s.iter().cloned().fold(f64::INFINITY, f64::min));
        let lrs: Vec<f64> = (0..s.len()).map(|i| i as f64).collect();
        let best = suggest(&lrs, &s).unwrap() * 10.0;
        assert!((49.0..60.0).contains(&best), "lowest near the turn: {best}");
    }
}
