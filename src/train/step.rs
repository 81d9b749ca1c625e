//! The training step: a minibatch's loss ([`minibatch_loss`]: the forward pass in training mode
//! with the tape starting at the parameters, then the loss), and after its backward pass the
//! update ([`Step::apply`]): the techniques that act on the gradients and on the weights around
//! the optimizer's update, in this order: the kernel regularizer's gradient joins the loss's, the
//! gradients are clipped (global clipping needs them all at once), decoupled weight decay, the
//! optimizer updates every parameter of the unfrozen layers, then the kernel constraint.
//!
//! Config → build → step, as burn's optimizers go: a [`StepConfig`] (the optimizer's config and
//! the other techniques', taken from a run config or given) builds a [`Step`] for a model's
//! parameters, which holds the optimizer's state and applies each update. Each technique does its
//! own part through its own methods (`Regularizer::add_gradient`, `Clipping::apply`,
//! `optim::decay`, `Optimizer::update`, `Constraint::apply`); the model only hands out its
//! parameters and their gradients.

use dfdx::prelude::*;
use rand::RngCore;

use crate::config::RunConfig;
use crate::error::Result;
use crate::model::{is_cpu, softmax_cross_entropy, Kind, Matrix, Mlp};
use crate::zoo::clip::Clipping;
use crate::zoo::optim::{Optimizer, OptimizerConfig};
use crate::zoo::regularize::{Constraint, Regularizer};

/// What a training step does: the optimizer, and the techniques around its update (each
/// optional).
#[derive(Debug, Clone, PartialEq)]
pub struct StepConfig {
    /// The optimizer and its hyperparameters.
    pub optimizer: OptimizerConfig,
    /// Kernel regularizer (its gradient joins the loss's).
    pub regularizer: Option<Regularizer>,
    /// Gradient clipping.
    pub clipping: Option<Clipping>,
    /// Decoupled weight decay λ of every parameter before the update, w ← w − η·λ·w (Keras's
    /// `weight_decay` option of any optimizer).
    pub weight_decay: Option<f64>,
    /// Kernel constraint applied after each update.
    pub constraint: Option<Constraint>,
}

impl StepConfig {
    /// The step a run config asks for.
    pub fn of(config: &RunConfig) -> Self {
        StepConfig {
            optimizer: config.optimizer.clone(),
            regularizer: config.kernel_regularizer.clone(),
            clipping: config.clipping.clone(),
            weight_decay: config.weight_decay,
            constraint: config.kernel_constraint.clone(),
        }
    }

    /// A plain step: the optimizer's update and nothing else.
    pub fn plain(optimizer: OptimizerConfig) -> Self {
        StepConfig {
            optimizer,
            regularizer: None,
            clipping: None,
            weight_decay: None,
            constraint: None,
        }
    }

    /// The step for `model`'s parameters, its optimizer's state fresh.
    pub fn build<D: Device<f32>>(self, model: &Mlp<D>) -> Result<Step> {
        Ok(Step {
            optimizer: self.optimizer.build(&model.param_sizes())?,
            config: self,
        })
    }
}

/// A minibatch's loss, on the tape of the parameters.
pub type Loss<D> = Tensor<(), f32, D, OwnedTape<f32, D>>;

/// A minibatch's loss in training mode: the forward pass of `x` (dropout masks from `noise`, BN
/// on batch statistics, whose moving averages are updated) with the tape starting at the
/// parameters, so the backward pass computes no gradient for the input; then softmax
/// cross-entropy against `one_hot` labels (under numerics version 2 on the `Cpu`, the fused
/// `model::softmax_cross_entropy`; on other devices, [`rowwise_cross_entropy`]), or without labels the mean squared error against the
/// inputs (an autoencoder). Also returns the outputs' host values when `keep_outputs`.
pub fn minibatch_loss<D: Device<f32>>(
    model: &mut Mlp<D>,
    x: Matrix<D>,
    one_hot: Option<Matrix<D>>,
    noise: &mut dyn RngCore,
    keep_outputs: bool,
) -> (Loss<D>, Option<Vec<f32>>) {
    let values = |outputs: &Matrix<D, OwnedTape<f32, D>>| {
        keep_outputs.then(|| outputs.retaped::<NoneTape>().as_vec())
    };
    match one_hot {
        Some(y) => {
            let logits = model.forward_train_params(x, noise);
            let kept = values(&logits);
            // Version 2 has its own fused loss on the Cpu; version 1 keeps dfdx's bits; other
            // devices sum in two steps that repeat on CUDA.
            let loss = if !is_cpu::<D>() {
                rowwise_cross_entropy(logits, y)
            } else if kernels::numerics::current() >= kernels::numerics::V2 {
                softmax_cross_entropy(logits, y)
            } else {
                cross_entropy_with_logits_loss(logits, y)
            };
            (loss, kept)
        }
        None => {
            let reconstruction = model.forward_train_params(x.clone(), noise);
            let kept = values(&reconstruction);
            (mse_loss(reconstruction, x), kept)
        }
    }
}

/// Softmax cross-entropy on devices other than the `Cpu`: each row's sum over its classes, then
/// the mean over the rows. dfdx's `cross_entropy_with_logits_loss` takes one mean over batch ×
/// classes values instead, and on CUDA dfdx adds a sum's 128-thread blocks with `atomicAdd` in
/// whatever order they finish, so its loss at batch 32 (320 values, three blocks) need not repeat
/// bit for bit; sums of 10 and of up to 256 values do
/// (`train::device_check::cuda_sum_is_repeatable`). The gradient is the same function's.
fn rowwise_cross_entropy<D: Device<f32>>(
    logits: Matrix<D, OwnedTape<f32, D>>,
    one_hot: Matrix<D>,
) -> Loss<D> {
    let per_row = (logits.log_softmax::<Axis<1>>() * one_hot).sum::<(usize,), Axis<1>>();
    per_row.mean::<(), Axis<0>>().negate()
}

/// What a step reports besides updating the parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepReport {
    /// With clipping: the cosine between the raw and the clipped gradient (all parameters as one
    /// vector), in f64.
    pub clip_cosine: Option<f64>,
}

/// A training step with its optimizer's state.
#[derive(Debug)]
pub struct Step {
    config: StepConfig,
    optimizer: Optimizer,
}

impl Step {
    /// The optimizer's own learning rate (the base a schedule scales).
    pub fn base_learning_rate(&self) -> f64 {
        self.config.optimizer.learning_rate()
    }

    /// The optimizer, e.g. for a schedule to set its momentum.
    pub fn optimizer_mut(&mut self) -> &mut Optimizer {
        &mut self.optimizer
    }

    /// Starts the optimizer afresh for `model`, with `learning_rate` instead of its own when
    /// given (as a Keras user's recompile after unfreezing layers does).
    pub fn restart<D: Device<f32>>(
        &mut self,
        model: &Mlp<D>,
        learning_rate: Option<f64>,
    ) -> Result<()> {
        let mut fresh = self.config.optimizer.clone();
        if let Some(lr) = learning_rate {
            fresh.set_learning_rate(lr);
        }
        self.optimizer = fresh.build(&model.param_sizes())?;
        Ok(())
    }

    /// Updates `model` from the gradients of a backward pass with learning rate `lr` (see the
    /// module's header for the order).
    pub fn apply<D: Device<f32>>(
        &mut self,
        model: &mut Mlp<D>,
        grads: Gradients<f32, D>,
        lr: f64,
    ) -> StepReport {
        let rules = &self.config;
        let mut report = StepReport::default();
        // A frozen layer's parameters take part with an empty gradient, so the numbering stays.
        let mut grads = model.take_gradients(grads);
        if let Some(r) = &rules.regularizer {
            for ((_, p), g) in model.params().iter().zip(&mut grads) {
                if p.kind() == Kind::Kernel && !g.is_empty() {
                    r.add_gradient(p.values(), g);
                }
            }
        }
        if let Some(c) = &rules.clipping {
            let raw = grads.clone();
            c.apply(&mut grads);
            report.clip_cosine = Some(cosine(&raw, &grads));
        }
        let frozen: Vec<bool> = (0..model.num_layers())
            .map(|layer| model.is_frozen(layer))
            .collect();
        self.optimizer.begin_step();
        // Plain SGD with nothing after it can update each tensor in place: the same bits, without
        // the round trip through the host copy (see model/param.rs).
        let on_device = self.optimizer.is_plain_descent()
            && rules.weight_decay.is_none()
            && rules.constraint.is_none();
        for (i, ((layer, p), g)) in model.params_mut().into_iter().zip(grads).enumerate() {
            if frozen[layer] {
                continue;
            }
            let g = if on_device {
                match p.descend_on_device(g, lr as f32) {
                    Ok(()) => continue,
                    Err(g) => g,
                }
            } else {
                g
            };
            let g = &g;
            // Decoupled weight decay and the update in one pass over the parameter (the bits of
            // `optim::decay` then the update).
            match rules.weight_decay {
                Some(wd) => (self.optimizer).update_decayed(i, lr, wd as f32, p.values_mut(), g),
                None => self.optimizer.update(i, lr, p.values_mut(), g),
            }
            if let (Kind::Kernel, Some(c)) = (p.kind(), &rules.constraint) {
                let fan_out = p.columns();
                c.apply(p.values_mut(), fan_out);
            }
            p.sync();
        }
        report
    }
}

/// The cosine between two lists of tensors taken as one vector each (1 for two zero vectors).
fn cosine(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 && nb == 0.0 {
        1.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::model::{with_dfdx_only, ModelSpec};
    use crate::zoo::rng::uniform01;

    /// `n` values uniform in [-1, 1).
    fn random(n: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
        (0..n)
            .map(|_| (uniform01(rng) * 2.0 - 1.0) as f32)
            .collect()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Runs `f` on a rayon pool of `threads` (dfdx's gemm splits its work over them).
    fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn the_rowwise_loss_is_dfdx_cross_entropy_summed_in_two_steps() {
        let dev = Cpu::default();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (batch, classes) = (37, 10);
        let logits: Vec<f32> = random(batch * classes, &mut rng)
            .iter()
            .map(|v| v * 8.0)
            .collect();
        let mut one_hot = vec![0.0f32; batch * classes];
        for row in 0..batch {
            one_hot[row * classes + (row * 7) % classes] = 1.0;
        }
        let loss_and_grad = |rowwise: bool| {
            let z = dev.tensor_from_vec(logits.clone(), (batch, classes));
            let y = dev.tensor_from_vec(one_hot.clone(), (batch, classes));
            let zt = z.leaky_trace();
            let loss = if rowwise {
                rowwise_cross_entropy(zt, y)
            } else {
                cross_entropy_with_logits_loss(zt, y)
            };
            let value = loss.retaped::<NoneTape>().as_vec()[0];
            (value, loss.backward().get(&z).as_vec())
        };
        let (value, grad) = loss_and_grad(true);
        let (reference, reference_grad) = loss_and_grad(false);
        assert!(value > 1.0, "{value}");
        assert!(
            (value - reference).abs() <= 1e-6 * reference.abs(),
            "{value} vs {reference}"
        );
        for (g, r) in grad.iter().zip(&reference_grad) {
            assert!((g - r).abs() <= 1e-7, "{g} vs {r}");
        }
        // By hand for one row: −log softmax(z)[label], then the mean over the rows.
        let by_hand: f64 = (0..batch)
            .map(|row| {
                let z = &logits[row * classes..(row + 1) * classes];
                let max = z.iter().fold(f32::MIN, |m, v| m.max(*v)) as f64;
                let sum: f64 = z.iter().map(|v| (*v as f64 - max).exp()).sum();
                max + sum.ln() - z[(row * 7) % classes] as f64
            })
            .sum::<f64>()
            / batch as f64;
        assert!(
            (f64::from(value) - by_hand).abs() < 1e-5 * by_hand,
            "{value} vs {by_hand}"
        );
    }

    /// Parameters and losses after three steps of the network `spec` (its first layer frozen
    /// when asked): by dfdx's ops with a traced batch (`reference`), or through the model's fast
    /// paths with the tape starting at the parameters, as the training loop takes them.
    fn three_steps(spec: &str, opt: &str, freeze_first: bool, reference: bool) -> Vec<Vec<u32>> {
        with_dfdx_only(reference, || {
            let dev = Cpu::seed_from_u64(5);
            let spec: ModelSpec = toml::from_str(spec).unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let mut model = Mlp::new(&spec, 20, 4, &dev, &mut rng).unwrap();
            model.set_frozen(0, freeze_first).unwrap();
            let config = OptimizerConfig::default_for(opt).unwrap();
            let mut training_step = StepConfig::plain(config).build(&model).unwrap();
            let mut noise = ChaCha8Rng::seed_from_u64(4);
            let mut losses = Vec::new();
            for step in 0..3 {
                let rows = [16, 1, 2][step];
                let x = dev.tensor_from_vec(random(rows * 20, &mut rng), (rows, 20));
                let y = dev.tensor_from_vec(vec![0.25; rows * 4], (rows, 4));
                let lr = 0.05;
                if reference {
                    let logits = model.forward_train(x.traced(Gradients::leaky()), &mut noise);
                    let loss = cross_entropy_with_logits_loss(logits, y);
                    losses.push(loss.retaped::<NoneTape>().as_vec()[0]);
                    let grads = loss.backward();
                    training_step.apply(&mut model, grads, lr);
                } else {
                    let (loss, _) = minibatch_loss(&mut model, x, Some(y), &mut noise, false);
                    losses.push(loss.retaped::<NoneTape>().as_vec()[0]);
                    let grads = loss.backward();
                    training_step.apply(&mut model, grads, lr);
                }
            }
            let mut out = vec![bits(&losses)];
            out.extend(model.state().iter().map(|v| bits(v)));
            out
        })
    }

    /// Under numerics version 2, three training steps of nets with every activation version 2
    /// fuses with its own kernels give the same bits on every instruction-set path this CPU has
    /// and on 1 or 2 threads; and they differ from version 1's (the kernels are used).
    #[test]
    fn under_version_2_training_gives_the_same_bits_on_every_path_and_thread_count() {
        use kernels::path::{self, Path};
        let specs = [
            "hidden = [9, 7]\nactivation = \"tanh\"",
            "hidden = [9, 7]\nactivation = \"sigmoid\"",
            "hidden = [9, 7]\nactivation = \"gelu\"",
            "hidden = [9, 7]\nactivation = \"gelu_tanh\"",
            "hidden = [9, 7]\nactivation = \"mish\"\nbatch_norm = {}",
            "hidden = [9, 7]\nactivation = \"silu\"",
        ];
        for spec in specs {
            let run = |version: u32, path: Path, threads: usize| {
                on_threads(threads, || {
                    let _version = kernels::numerics::enter(version);
                    let _path = path::narrow(path);
                    three_steps(spec, "adam", false, false)
                })
            };
            let widest = path::detected();
            let expected = run(kernels::numerics::V2, widest, 1);
            for p in Path::ALL.into_iter().filter(|p| p.is_available()) {
                for threads in [1, 2] {
                    let got = run(kernels::numerics::V2, p, threads);
                    assert!(
                        got == expected,
                        "{spec:?}: {} path, {threads} threads",
                        p.name()
                    );
                }
            }
            assert!(
                run(kernels::numerics::V1, widest, 1) != expected,
                "{spec:?}: version 2 gave version 1's bits"
            );
        }
    }

    #[test]
    fn a_fast_training_step_matches_dfdx_bit_for_bit() {
        let specs = [
            "hidden = [9, 7]",
            "hidden = [9, 7]\nbatch_norm = {}",
            "hidden = [9, 7]\nbatch_norm = { placement = \"before_activation\", input = false }",
            "hidden = [9, 7]\nactivation = \"prelu\"\ndropout = { name = \"dropout\", rate = 0.3 }",
            "hidden = [9, 7]\nactivation = { name = \"swish\", learned = true }",
            "hidden = [9, 7]\nactivation = \"rrelu\"",
            "hidden = [9, 7]\nactivation = \"gelu\"",
            "hidden = [9, 7]\nactivation = \"selu\"\ndropout = { name = \"alpha_dropout\", rate = 0.1 }",
            "hidden = [9, 7]\nactivation = { name = \"elu\", alpha = 0.7 }\nbatch_norm = {}",
            "hidden = [9, 7]\nactivation = { name = \"swish\", beta = 0.6 }",
            "hidden = [9, 7]\nactivation = \"silu\"",
            "hidden = [9, 7]\nactivation = \"gelu_sigmoid\"",
            // Fused only under version 2: version 1 keeps their compositions' bits.
            "hidden = [9, 7]\nactivation = \"tanh\"",
            "hidden = [9, 7]\nactivation = \"sigmoid\"",
            "hidden = [9, 7]\nactivation = \"gelu_tanh\"",
            "hidden = [9, 7]\nactivation = \"mish\"",
        ];
        for threads in [1, 2] {
            on_threads(threads, || {
                for spec in specs {
                    for (opt, freeze) in [("sgd", false), ("adam", false), ("nesterov", true)] {
                        assert_eq!(
                            three_steps(spec, opt, freeze, true),
                            three_steps(spec, opt, freeze, false),
                            "{spec:?}, {opt}, first layer frozen: {freeze}, {threads} threads"
                        );
                    }
                }
            });
        }
    }
}
