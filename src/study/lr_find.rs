//! The learning-rate range test (TECHNIQUES.md "Learning-rate schedules"; Smith 2015): train the
//! study's baseline model from its seed-0 initial weights while η grows exponentially from
//! `start` to `end` over `steps` minibatches, record each minibatch loss and its bias-corrected
//! exponential moving average (β = 0.98), stop once the smoothed loss exceeds 4× its minimum (or is
//! non-finite), and suggest the η of the lowest smoothed loss divided by 10.

use dfdx::prelude::*;

use crate::config::RunConfig;
use crate::error::{Error, Result};
use crate::model::Mlp;
use crate::seed::{stream, Purpose};
use crate::train::step::StepConfig;
use crate::train::{fill_batch, shuffle, DataView, CLASSES, INPUTS};

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

/// Runs the test for `config` (its model, optimizer and batch size; its own learning rate and
/// schedule are replaced) on `data` with `seed`.
pub fn lr_find<D: Device<f32>>(
    dev: &D,
    config: &RunConfig,
    data: DataView,
    seed: u64,
    o: &LrFindOptions,
) -> Result<LrFindResult> {
    config.check()?;
    crate::train::tune_allocator();
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
    let mut order_rng = stream(seed, Purpose::DataOrder);
    let mut noise_rng = stream(seed, Purpose::Noise);
    let n = config
        .train_subset
        .map_or(data.train.labels.len(), |s| s.min(data.train.labels.len()));
    let mut order: Vec<usize> = (0..n).collect();
    let (mut bx, mut by) = (Vec::new(), Vec::new());
    let (mut learning_rates, mut losses, mut smoothed) = (Vec::new(), Vec::new(), Vec::new());
    let mut smoother = Smoother::new(o);
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for i in 0..o.steps {
        if batches.is_empty() {
            shuffle(&mut order, &mut order_rng);
            batches = order
                .chunks(config.batch_size)
                .rev()
                .map(<[usize]>::to_vec)
                .collect();
        }
        let batch = batches.pop().expect("a batch");
        fill_batch(data.train, &batch, &mut bx, &mut by);
        let x = dev.tensor_from_vec(bx.clone(), (batch.len(), INPUTS));
        let y = dev.tensor_from_vec(by.clone(), (batch.len(), CLASSES));
        let logits = model.forward_train_params(x, &mut noise_rng);
        let loss = cross_entropy_with_logits_loss(logits, y);
        let value = f64::from(loss.retaped::<NoneTape>().as_vec()[0]);
        let lr = learning_rate_at(o, i);
        let (s, exploded) = smoother.push(value);
        learning_rates.push(lr);
        losses.push(value);
        smoothed.push(s);
        if exploded {
            break;
        }
        let grads = loss.backward();
        step.apply(&mut model, grads, lr);
    }
    let suggestion = suggest(&learning_rates, &smoothed);
    Ok(LrFindResult {
        learning_rates,
        losses,
        smoothed,
        suggestion,
    })
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
