//! The minibatch loop, the one every training in trainbench runs: a run's own training and its
//! pretraining stage, the learning-rate range test and the figures that train briefly. Each
//! epoch reshuffles the first `images` examples of a split with the order stream and walks them
//! in minibatches; each minibatch is one training step: the loss of a training-mode forward pass
//! ([`minibatch_loss`]), its backward pass and the [`Step`]'s update.
//!
//! What differs between the users is theirs, through [`Hooks`]: the learning rate of each step
//! (constant, scheduled, swept), what to do with each loss before its update (sum it for the
//! epoch's metrics, stop on a non-finite or exploding loss), and what to do at the start and the
//! end of each epoch (unfreeze layers, evaluate, stop early). Evaluation is in `eval.rs`.
//!
//! Where the minibatches are assembled depends on the device. On the `Cpu` each minibatch's
//! images are copied out of the split (the tensor is host memory anyway). On a GPU the images
//! and their one-hot labels go to the device once per loop ([`OnDevice`]) and each minibatch is
//! gathered there from its indices, so a step uploads a few hundred indices instead of its
//! images. Both give the same tensors (tested on the `Cpu`, where both paths run).

use dfdx::prelude::*;
use rand::{Rng, RngCore};

use super::step::{minibatch_loss, Step, StepReport};
use super::INPUTS;
use crate::data::Split;
use crate::error::Result;
use crate::model::Mlp;

/// What the loop trains on, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// The images and labels.
    pub split: &'a Split,
    /// Train on the first `images` of them.
    pub images: usize,
    /// Minibatch size (an epoch's last minibatch may be smaller, as in Keras).
    pub batch_size: usize,
    /// What the loss compares the outputs with.
    pub target: Target,
    /// Epochs, unless a hook stops sooner.
    pub epochs: u32,
}

/// What a minibatch's loss compares the network's outputs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The labels, one-hot over this many classes: softmax cross-entropy of the logits.
    Classes(usize),
    /// The inputs themselves: mean squared error (an autoencoder).
    Inputs,
}

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// End the loop here.
    Stop,
}

/// One minibatch's loss, before its update.
#[derive(Debug, Clone, PartialEq)]
pub struct Minibatch<'a> {
    /// Steps started so far, this one included (1-based).
    pub step: u64,
    /// 1-based epoch.
    pub epoch: u32,
    /// The minibatch's labels.
    pub labels: &'a [u8],
    /// The network's outputs (logits or reconstructions) as host values, row-major, when the
    /// hooks asked for them ([`Hooks::wants_outputs`]).
    pub outputs: Option<Vec<f32>>,
    /// The loss.
    pub loss: f64,
    /// The learning rate its update will use.
    pub learning_rate: f64,
}

/// What a user of the loop decides. Every method but [`Hooks::learning_rate`] does nothing by
/// default.
pub trait Hooks<D: Device<f32>> {
    /// Before each minibatch, with `done` steps taken so far in `epoch`'s: the learning rate of
    /// the next one (a schedule may also set the optimizer's momentum), or `None` to end the
    /// loop before it (a step budget). An error ends the loop too (e.g. an interrupt).
    fn learning_rate(&mut self, done: u64, epoch: u32, step: &mut Step) -> Result<Option<f64>>;

    /// Whether [`Minibatch::outputs`] is filled (a copy of the outputs per step).
    fn wants_outputs(&self) -> bool {
        false
    }

    /// Before epoch `epoch`'s shuffle, e.g. to unfreeze layers and restart the optimizer.
    fn begin_epoch(&mut self, _epoch: u32, _model: &mut Mlp<D>, _step: &mut Step) -> Result<()> {
        Ok(())
    }

    /// After a minibatch's loss, before its update: [`Flow::Stop`] ends the loop without the
    /// update (a non-finite or exploding loss).
    fn after_loss(&mut self, _batch: &Minibatch) -> Flow {
        Flow::Continue
    }

    /// After a minibatch's update.
    fn after_update(&mut self, _report: &StepReport) {}

    /// After epoch `epoch`'s last update: [`Flow::Stop`] ends training (early stopping, a
    /// non-finite validation loss).
    fn end_epoch(&mut self, _epoch: u32, _model: &Mlp<D>) -> Result<Flow> {
        Ok(Flow::Continue)
    }
}

/// Hooks for a constant learning rate that never stop the loop early.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstantRate(pub f64);

impl<D: Device<f32>> Hooks<D> for ConstantRate {
    fn learning_rate(&mut self, _: u64, _: u32, _: &mut Step) -> Result<Option<f64>> {
        Ok(Some(self.0))
    }
}

/// Trains `model` with `step` as `plan` says: minibatch order from `order` (reshuffled every
/// epoch), dropout masks and other training noise from `noise`, the rest decided by `hooks`.
/// Returns the number of steps started (a minibatch stopped after its loss counts).
pub fn train_minibatches<D: Device<f32>>(
    dev: &D,
    model: &mut Mlp<D>,
    step: &mut Step,
    plan: &Plan,
    order: &mut impl Rng,
    noise: &mut dyn RngCore,
    hooks: &mut impl Hooks<D>,
) -> Result<u64> {
    let gather = !crate::model::is_cpu::<D>();
    train_minibatches_from(dev, model, step, plan, order, noise, hooks, gather)
}

/// [`train_minibatches`], with the minibatches gathered on the device from one upload when
/// `gather`, else copied on the host and uploaded one by one.
#[allow(clippy::too_many_arguments)]
fn train_minibatches_from<D: Device<f32>>(
    dev: &D,
    model: &mut Mlp<D>,
    step: &mut Step,
    plan: &Plan,
    order: &mut impl Rng,
    noise: &mut dyn RngCore,
    hooks: &mut impl Hooks<D>,
    gather: bool,
) -> Result<u64> {
    let mut indices: Vec<usize> = (0..plan.images).collect();
    let classes = match plan.target {
        Target::Classes(n) => Some(n),
        Target::Inputs => None,
    };
    let on_device = gather.then(|| OnDevice::upload(dev, plan.split, plan.images, classes));
    let mut y = Vec::with_capacity(plan.batch_size * classes.unwrap_or(0));
    let mut done = 0u64;
    for epoch in 1..=plan.epochs {
        hooks.begin_epoch(epoch, model, step)?;
        shuffle(&mut indices, order);
        let mut batches = indices.chunks(plan.batch_size).peekable();
        while let Some(batch) = batches.next() {
            let Some(learning_rate) = hooks.learning_rate(done, epoch, step)? else {
                return Ok(done);
            };
            done += 1;
            let labels: Vec<u8> = batch.iter().map(|&i| plan.split.labels[i]).collect();
            let (xt, one_hot) = match &on_device {
                Some(data) => data.gather(dev, batch),
                None => {
                    let images = gather_images(plan.split, batch);
                    if let Some(next) = batches.peek() {
                        prefetch_images(plan.split, next);
                    }
                    let xt = dev.tensor_from_vec(images, (batch.len(), INPUTS));
                    let one_hot = classes.map(|n| {
                        fill_one_hot(&labels, n, &mut y);
                        dev.tensor_from_vec(y.clone(), (batch.len(), n))
                    });
                    (xt, one_hot)
                }
            };
            let (loss, outputs) = minibatch_loss(model, xt, one_hot, noise, hooks.wants_outputs());
            let seen = Minibatch {
                step: done,
                epoch,
                labels: &labels,
                outputs,
                loss: f64::from(loss.retaped::<NoneTape>().as_vec()[0]),
                learning_rate,
            };
            if hooks.after_loss(&seen) == Flow::Stop {
                return Ok(done);
            }
            let report = step.apply(model, loss.backward(), learning_rate);
            hooks.after_update(&report);
        }
        if hooks.end_epoch(epoch, model)? == Flow::Stop {
            break;
        }
    }
    Ok(done)
}

/// A loop's training images (and their one-hot labels), uploaded to the device once.
struct OnDevice<D: Device<f32>> {
    /// The first `images` images of the split, one per row.
    images: Tensor<(usize, usize), f32, D>,
    /// Their labels one-hot (a classifier's loop), one per row.
    one_hot: Option<Tensor<(usize, usize), f32, D>>,
}

impl<D: Device<f32>> OnDevice<D> {
    fn upload(dev: &D, split: &Split, images: usize, classes: Option<usize>) -> Self {
        let x = split.images[..images * INPUTS].to_vec();
        let one_hot = classes.map(|n| {
            let mut y = Vec::new();
            fill_one_hot(&split.labels[..images], n, &mut y);
            dev.tensor_from_vec(y, (images, n))
        });
        Self {
            images: dev.tensor_from_vec(x, (images, INPUTS)),
            one_hot,
        }
    }

    /// The minibatch of these rows, gathered on the device (only the indices are uploaded).
    #[allow(clippy::type_complexity)]
    fn gather(
        &self,
        dev: &D,
        rows: &[usize],
    ) -> (
        Tensor<(usize, usize), f32, D>,
        Option<Tensor<(usize, usize), f32, D>>,
    ) {
        let index = dev.tensor_from_vec(rows.to_vec(), (rows.len(),));
        let x = self.images.clone().gather(index.clone());
        let y = self.one_hot.as_ref().map(|y| y.clone().gather(index));
        (x, y)
    }
}

/// The images `indices` of `split`, one after another: a fresh buffer that becomes the
/// minibatch's tensor as it is (no copy).
fn gather_images(split: &Split, indices: &[usize]) -> Vec<f32> {
    let mut x = Vec::with_capacity(indices.len() * INPUTS);
    for &i in indices {
        x.extend_from_slice(&split.images[i * INPUTS..(i + 1) * INPUTS]);
    }
    x
}

/// Asks the CPU to start loading the images `indices` of `split` into its caches, so that the
/// next minibatch's gather, issued a step later, finds them there: the images sit at random
/// places in 172 MB, and the gather's cache and TLB misses were 5% of a study's training time
/// at batch 32. A hint only: it changes no value.
fn prefetch_images(split: &Split, indices: &[usize]) {
    #[cfg(target_arch = "x86_64")]
    for &i in indices {
        for line in split.images[i * INPUTS..(i + 1) * INPUTS].chunks(16) {
            // SAFETY: prefetching reads nothing architecturally; the address is in bounds.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                    line.as_ptr().cast(),
                );
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (split, indices);
}

/// Writes `labels` one-hot over `classes` columns into `y` (cleared first).
fn fill_one_hot(labels: &[u8], classes: usize, y: &mut Vec<f32>) {
    y.clear();
    y.resize(labels.len() * classes, 0.0f32);
    for (row, &label) in labels.iter().enumerate() {
        y[row * classes + label as usize] = 1.0;
    }
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
    use crate::data;
    use crate::model::ModelSpec;
    use crate::seed::{stream, Purpose};
    use crate::train::step::StepConfig;
    use crate::zoo::optim::OptimizerConfig;

    /// Hooks at η = 0.1 that end the loop after `loss_of` step's loss (before its update), or
    /// before step `budget + 1` starts.
    struct Until {
        loss_of: Option<u64>,
        budget: Option<u64>,
        epochs_ended: u32,
    }

    impl Hooks<Cpu> for Until {
        fn learning_rate(&mut self, done: u64, _: u32, _: &mut Step) -> Result<Option<f64>> {
            Ok((self.budget != Some(done)).then_some(0.1))
        }
        fn after_loss(&mut self, batch: &Minibatch) -> Flow {
            if Some(batch.step) == self.loss_of {
                Flow::Stop
            } else {
                Flow::Continue
            }
        }
        fn end_epoch(&mut self, _: u32, _: &Mlp<Cpu>) -> Result<Flow> {
            self.epochs_ended += 1;
            Ok(Flow::Continue)
        }
    }

    /// Trains a small network on 40 synthetic images in minibatches of 16 (3 per epoch) for two
    /// epochs with `hooks`; returns the steps started, the epochs ended and the final state.
    fn train(hooks: Until) -> (u64, u32, Vec<Vec<f32>>) {
        train_with(hooks, false)
    }

    /// [`train`], its minibatches gathered on the device from one upload when `gather`.
    fn train_with(mut hooks: Until, gather: bool) -> (u64, u32, Vec<Vec<f32>>) {
        let dev = Cpu::default();
        let data = data::synthetic(40, 4, 4, 2);
        let spec: ModelSpec =
            toml::from_str("hidden = [6]\ndropout = { name = \"dropout\", rate = 0.2 }").unwrap();
        let mut model = Mlp::new(&spec, INPUTS, 10, &dev, &mut stream(0, Purpose::Init)).unwrap();
        let mut step = StepConfig::plain(OptimizerConfig::default_for("adam").unwrap())
            .build(&model)
            .unwrap();
        let plan = Plan {
            split: &data.train,
            images: 40,
            batch_size: 16,
            target: Target::Classes(10),
            epochs: 2,
        };
        let done = train_minibatches_from(
            &dev,
            &mut model,
            &mut step,
            &plan,
            &mut stream(0, Purpose::DataOrder),
            &mut stream(0, Purpose::Noise),
            &mut hooks,
            gather,
        )
        .unwrap();
        (done, hooks.epochs_ended, model.state())
    }

    #[test]
    fn a_stop_after_a_loss_skips_its_update_and_ends_the_loop() {
        let all = Until {
            loss_of: None,
            budget: None,
            epochs_ended: 0,
        };
        let (done, epochs, trained) = train(all);
        assert_eq!((done, epochs), (6, 2), "3 minibatches per epoch, 2 epochs");
        // Stopping at step 5's loss leaves the model as a budget of 4 steps does.
        let (stopped, epochs, at_loss) = train(Until {
            loss_of: Some(5),
            budget: None,
            epochs_ended: 0,
        });
        assert_eq!(
            (stopped, epochs),
            (5, 1),
            "step 5 is the second epoch's second"
        );
        let (budget, _, after_four) = train(Until {
            loss_of: None,
            budget: Some(4),
            epochs_ended: 0,
        });
        assert_eq!(budget, 4);
        assert_eq!(at_loss, after_four, "the stopped minibatch got no update");
        assert_ne!(after_four, trained);
    }

    #[test]
    fn minibatches_gathered_on_the_device_train_as_those_copied_on_the_host() {
        let all = || Until {
            loss_of: None,
            budget: None,
            epochs_ended: 0,
        };
        let (copied_steps, _, copied) = train_with(all(), false);
        let (gathered_steps, _, gathered) = train_with(all(), true);
        assert_eq!(copied_steps, gathered_steps);
        let bits = |state: &[Vec<f32>]| -> Vec<Vec<u32>> {
            state
                .iter()
                .map(|t| t.iter().map(|v| v.to_bits()).collect())
                .collect()
        };
        assert_eq!(
            bits(&copied),
            bits(&gathered),
            "the same tensors, the same steps"
        );
        let (_, _, untrained) = train_with(
            Until {
                loss_of: None,
                budget: Some(0),
                epochs_ended: 0,
            },
            true,
        );
        assert_ne!(untrained, gathered, "the gathered minibatches trained");
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
