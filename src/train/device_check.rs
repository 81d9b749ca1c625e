//! `trainbench device-check`: what a device does with one training step, against the CPU and in
//! time. It is the part of the GPU check (`.ci/gpu-check.sh`) that needs trainbench's own code,
//! since the machines with a GPU have no Rust toolchain for `cargo bench`.
//!
//! - **Agreement** ([`step_agreement`]): one training step's loss and every parameter's gradient,
//!   from the same initial weights (the init stream of seed 0) and the same minibatch of real
//!   images, on the CPU and on the device. Reported as the loss's relative difference and, per
//!   parameter, the norm-wise relative difference ‖g_dev − g_cpu‖∞ / ‖g_cpu‖∞ (an element-wise
//!   relative error means nothing for the many gradients near 0), with the worst parameter named.
//! - **Rate** ([`step_rate`]): training steps per second on the device for the bench rows (the
//!   chapter MLP and the 20×100 nets, as benches/benchmarks/train_step.rs and the PyTorch twin
//!   name them), after a warm-up, in several timed windows whose median and range are reported.
//!   Each step reads its loss back to the host, as the training loop does for its metrics, which
//!   also waits for an asynchronous device to finish the step.
//!
//! - **Repeatability** ([`step_repeat`]): the same step twice on the device, bit for bit, beside
//!   what dfdx 0.13's CUDA kernels let one expect ([`cuda_repeat_expected`]): its sums add their
//!   128-thread blocks' partial sums with float `atomicAdd`, in whatever order the blocks finish,
//!   so a sum whose values span three or more blocks need not give the same bits twice.
//!
//! - **FLOPs** ([`step_flops`]): the floating-point operations of the matrix products of one
//!   training step of a bench row's net, for the benches' GFLOP/s and % of the machine's peak.
//!
//! Not here: whole runs (the GPU check runs a `--quick` study on both devices for runs/hour and
//! the accuracy comparison) and seed batching.

use std::time::Instant;

use dfdx::prelude::*;
use serde::Serialize;

use crate::data::Split;
use crate::error::{Error, Result};
use crate::model::{Matrix, Mlp, ModelSpec};
use crate::seed::{stream, Purpose};
use crate::train::step::{minibatch_loss, StepConfig};
use crate::zoo::optim::OptimizerConfig;

/// Inputs per image (28 × 28).
const INPUTS: usize = Split::FEATURES;

/// Classes of the bench rows' outputs.
const CLASSES: usize = 10;

/// A net of the bench rows: its id and its model spec, as in a study file's `[base.model]`.
#[derive(Debug, Clone)]
pub struct Net {
    /// The id the bench rows and the PyTorch twin use (`mlp`, `deep20x100_relu`, …).
    pub id: &'static str,
    /// The model spec (TOML).
    pub spec: String,
}

/// The nets of the bench rows: the chapter's 784-300-100-10 ReLU MLP, four 20×100 nets and
/// LeNet-5 (the model's default CNN: conv 6@5×5 same, pool 2, conv 16@5×5, pool 2, dense 120,
/// 84; ReLU, He normal).
pub fn nets() -> Vec<Net> {
    let deep = |activation: &str, initializer: &str, extra: &str| {
        format!(
            "hidden = {:?}\nactivation = \"{activation}\"\ninitializer = \"{initializer}\"\n{extra}",
            [100usize; 20]
        )
    };
    let bn = "batch_norm = { placement = \"before_activation\", input = false }";
    vec![
        Net {
            id: "mlp",
            spec: "hidden = [300, 100]\nactivation = \"relu\"\ninitializer = \"he_normal\"\n"
                .into(),
        },
        Net {
            id: "deep20x100_relu",
            spec: deep("relu", "he_normal", ""),
        },
        Net {
            id: "deep20x100_relu_bn",
            spec: deep("relu", "he_normal", bn),
        },
        Net {
            id: "deep20x100_selu",
            spec: deep("selu", "lecun_normal", ""),
        },
        Net {
            id: "deep20x100_swish",
            spec: deep("swish", "he_normal", ""),
        },
        Net {
            id: "lenet5",
            spec: "kind = \"cnn\"\nactivation = \"relu\"\ninitializer = \"he_normal\"\n".into(),
        },
    ]
}

/// The floating-point operations of the matrix products of one training step of `net` at
/// `batch` samples, as the bench rows count them (2 per multiply-add): for each dense layer of
/// fan-in i and fan-out o, the forward product (2·batch·i·o), the kernel's gradient
/// (2·batch·i·o) and the input's gradient (2·batch·i·o), except the first layer's input
/// gradient, which a training step does not compute (nor does PyTorch's, the batch needing no
/// gradient). A convolution counts the same three products of its im2col form (positions ×
/// patch × filters per image). Element-wise work (bias, activations, batch norm, pooling, the
/// loss, the optimizer's update) is not counted: it is a few FLOPs per element against hundreds
/// per sample in the products.
pub fn step_flops(net: &Net, batch: usize) -> Result<u64> {
    let spec = model_spec(net)?;
    let mut flops = 0u64;
    for (k, layer) in spec.layer_shapes(INPUTS, CLASSES).iter().enumerate() {
        // Multiply-adds count each output's bias add once: the product is the rest.
        let product = (layer.multiply_adds - layer.outputs) as u64;
        let products = if k == 0 { 2 } else { 3 };
        flops += products * 2 * batch as u64 * product;
    }
    Ok(flops)
}

/// One step's loss and gradients on the CPU and on the device, compared.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    /// The net's id.
    pub net: String,
    /// The minibatch size.
    pub batch: usize,
    /// The loss on the CPU.
    pub loss_cpu: f64,
    /// The loss on the device.
    pub loss_device: f64,
    /// |loss_device − loss_cpu| / |loss_cpu|.
    pub loss_relative: f64,
    /// The largest norm-wise relative gradient difference over the parameters.
    pub gradient_relative: f64,
    /// The parameter (in update order) where it is largest.
    pub worst_parameter: usize,
    /// How many parameters were compared.
    pub parameters: usize,
}

/// One step computed twice on the device, from the same weights and images, compared bit for
/// bit, beside what dfdx's CUDA sums let one expect ([`cuda_repeat_expected`]).
#[derive(Debug, Clone, Serialize)]
pub struct Repeat {
    /// The net's id.
    pub net: String,
    /// The minibatch size.
    pub batch: usize,
    /// Whether the two losses have the same bits.
    pub loss_identical: bool,
    /// Parameters whose gradients differ in any bit between the two steps.
    pub gradients_differing: usize,
    /// How many parameters were compared.
    pub parameters: usize,
    /// What dfdx 0.13's CUDA kernels let one expect: the loss's bits repeat.
    pub expected_loss_identical: bool,
    /// ... and every gradient's bits repeat.
    pub expected_gradients_identical: bool,
}

/// The training rate of one row on a device.
#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    /// The net's id.
    pub net: String,
    /// The optimizer (Keras defaults).
    pub optimizer: String,
    /// The minibatch size.
    pub batch: usize,
    /// Median over the windows of samples per second.
    pub samples_per_second: f64,
    /// The slowest window's samples per second.
    pub slowest: f64,
    /// The fastest window's samples per second.
    pub fastest: f64,
    /// Steps per timed window.
    pub steps_per_window: usize,
    /// Timed windows.
    pub windows: usize,
}

/// The first `batch` images of `split` as a [batch, 784] tensor and their one-hot labels.
fn minibatch<D: Device<f32>>(
    dev: &D,
    split: &Split,
    batch: usize,
) -> Result<(Matrix<D>, Matrix<D>)> {
    if split.len() < batch {
        return Err(Error::invalid(
            "--batch",
            format!("{batch} is more than the {} images there are", split.len()),
        ));
    }
    let x = split.images[..batch * INPUTS].to_vec();
    let mut y = vec![0.0f32; batch * 10];
    for (row, &label) in split.labels[..batch].iter().enumerate() {
        y[row * 10 + usize::from(label)] = 1.0;
    }
    Ok((
        dev.tensor_from_vec(x, (batch, INPUTS)),
        dev.tensor_from_vec(y, (batch, 10)),
    ))
}

/// The net of `spec`, its weights from the init stream of seed 0.
/// `net`'s model spec.
fn model_spec(net: &Net) -> Result<ModelSpec> {
    toml::from_str(&net.spec).map_err(|e| Error::invalid(format!("net {}", net.id), e.to_string()))
}

fn network<D: Device<f32>>(dev: &D, net: &Net) -> Result<Mlp<D>> {
    Mlp::new(
        &model_spec(net)?,
        INPUTS,
        CLASSES,
        dev,
        &mut stream(0, Purpose::Init),
    )
}

/// One step's loss and gradients of `net` on a batch of `split`'s first images.
fn loss_and_gradients<D: Device<f32>>(
    dev: &D,
    net: &Net,
    split: &Split,
    batch: usize,
) -> Result<(f64, Vec<Vec<f32>>)> {
    let mut model = network(dev, net)?;
    let (x, y) = minibatch(dev, split, batch)?;
    let mut noise = stream(0, Purpose::Noise);
    let (loss, _) = minibatch_loss(&mut model, x, Some(y), &mut noise, false);
    let value = f64::from(loss.retaped::<NoneTape>().as_vec()[0]);
    Ok((value, model.take_gradients(loss.backward())))
}

/// ‖a − b‖∞ / ‖a‖∞ (0 when both are 0; ∞ when only `a` is).
fn normwise_relative(a: &[f32], b: &[f32]) -> f64 {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
    let diff = a.iter().zip(b).fold(0.0f64, |m, (x, y)| {
        m.max((f64::from(*x) - f64::from(*y)).abs())
    });
    if diff == 0.0 {
        0.0
    } else {
        diff / scale
    }
}

/// One training step of `net` at `batch` on the CPU and on `dev`, compared.
pub fn step_agreement<D: Device<f32>>(
    dev: &D,
    net: &Net,
    split: &Split,
    batch: usize,
) -> Result<Agreement> {
    let (loss_cpu, grads_cpu) = loss_and_gradients(&Cpu::default(), net, split, batch)?;
    let (loss_device, grads_device) = loss_and_gradients(dev, net, split, batch)?;
    let (worst_parameter, gradient_relative) = grads_cpu
        .iter()
        .zip(&grads_device)
        .map(|(a, b)| normwise_relative(a, b))
        .enumerate()
        .fold((0, 0.0f64), |best, (i, r)| {
            if r > best.1 || r.is_nan() {
                (i, r)
            } else {
                best
            }
        });
    Ok(Agreement {
        net: net.id.into(),
        batch,
        loss_cpu,
        loss_device,
        loss_relative: (loss_device - loss_cpu).abs() / loss_cpu.abs(),
        gradient_relative,
        worst_parameter,
        parameters: grads_cpu.len(),
    })
}

/// The same step of `net` at `batch` twice on `dev` (each from freshly built weights), compared
/// bit for bit.
pub fn step_repeat<D: Device<f32>>(
    dev: &D,
    net: &Net,
    split: &Split,
    batch: usize,
) -> Result<Repeat> {
    let (loss_a, grads_a) = loss_and_gradients(dev, net, split, batch)?;
    let (loss_b, grads_b) = loss_and_gradients(dev, net, split, batch)?;
    let same_bits = |a: &[f32], b: &[f32]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    };
    let (expected_loss_identical, expected_gradients_identical) =
        cuda_repeat_expected(&model_spec(net)?, batch);
    Ok(Repeat {
        net: net.id.into(),
        batch,
        loss_identical: loss_a.to_bits() == loss_b.to_bits(),
        gradients_differing: grads_a
            .iter()
            .zip(&grads_b)
            .filter(|(a, b)| !same_bits(a, b))
            .count(),
        parameters: grads_a.len(),
        expected_loss_identical,
        expected_gradients_identical,
    })
}

/// Threads per block of dfdx 0.13's CUDA sums (`launch_cfg::<128>` in sum_to and in the
/// backward of a binary op with a broadcast operand).
const CUDA_SUM_BLOCK: usize = 128;

/// Whether dfdx 0.13's CUDA sum of `outputs` consecutive chunks of `len` values each (output k
/// sums values k·len .. (k+1)·len of the launch) gives the same bits every time. Each block sums
/// its share of a chunk as a tree (fixed order) and adds it into the output with `atomicAdd`;
/// chunks of 1 or 2 values are added value by value. The output starts at 0, so one or two
/// additions give the same bits in either order (0 + a = a, a + b = b + a); three or more need
/// not. So: every chunk must lie within at most two blocks. With many outputs that holds for
/// every len up to 130 and for 132, 136, 144, 160, 192 and 256 (whose chunks start where they
/// fit in two blocks), and for no other len; a single sum, for len ≤ 256.
pub fn cuda_sum_is_repeatable(len: usize, outputs: usize) -> bool {
    len <= 2
        || (0..outputs).all(|k| {
            let first = k * len;
            (first + len - 1) / CUDA_SUM_BLOCK - first / CUDA_SUM_BLOCK < 2
        })
}

/// What dfdx 0.13's CUDA kernels let one expect of a training step of `spec` at `batch`, run
/// twice: (the loss repeats, the gradients repeat), cuBLAS's products being repeatable on one
/// GPU. The sums a step makes through dfdx's generic ops (model/forward.rs, model/norm.rs):
/// - the loss (`train::step`'s row-wise cross-entropy off the `Cpu`): a sum over each row's
///   classes, then the mean over the batch's rows; its gradient does not read it, so a loss that
///   does not repeat leaves the gradients alone;
/// - log-softmax over each row's classes (10 values: repeatable);
/// - each layer's bias gradient, or batch norm's statistics and their gradients: per channel, a
///   sum over batch × positions values (positions = 1 for a dense layer);
/// - a convolution after the first: the gradient of its input goes back through dfdx's
///   `gather`, whose backward scatters each patch value's gradient with `atomicAdd`, several per
///   input value where windows overlap (the first convolution's input, the images, needs none).
pub fn cuda_repeat_expected(spec: &ModelSpec, batch: usize) -> (bool, bool) {
    let loss = cuda_sum_is_repeatable(CLASSES, batch) && cuda_sum_is_repeatable(batch, 1);
    let gradients = spec
        .layer_shapes(INPUTS, CLASSES)
        .iter()
        .enumerate()
        .all(|(k, layer)| {
            let positions = layer.outputs / layer.channels.max(1);
            let scatters = layer.patches > 0 && k > 0;
            !scatters && cuda_sum_is_repeatable(batch * positions, layer.channels)
        });
    (loss, gradients)
}

/// The rate of training `net` with `optimizer` (Keras defaults) at `batch` on `dev`: 3 warm-up
/// steps, then `windows` windows of `steps` steps, each timed.
pub fn step_rate<D: Device<f32>>(
    dev: &D,
    net: &Net,
    optimizer: &str,
    split: &Split,
    batch: usize,
    (windows, steps): (usize, usize),
) -> Result<Rate> {
    let config = OptimizerConfig::default_for(optimizer)
        .ok_or_else(|| Error::invalid("optimizer", format!("no optimizer called {optimizer:?}")))?;
    let learning_rate = config.learning_rate();
    let mut model = network(dev, net)?;
    let mut step = StepConfig::plain(config).build(&model)?;
    let (x, y) = minibatch(dev, split, batch)?;
    let mut noise = stream(0, Purpose::Noise);
    let mut one_step = || {
        let (loss, _) = minibatch_loss(&mut model, x.clone(), Some(y.clone()), &mut noise, false);
        let _host = loss.retaped::<NoneTape>().as_vec();
        step.apply(&mut model, loss.backward(), learning_rate);
    };
    for _ in 0..3 {
        one_step();
    }
    let mut rates: Vec<f64> = (0..windows.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..steps.max(1) {
                one_step();
            }
            (steps.max(1) * batch) as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    Ok(Rate {
        net: net.id.into(),
        optimizer: optimizer.into(),
        batch,
        samples_per_second: rates[rates.len() / 2],
        slowest: rates[0],
        fastest: rates[rates.len() - 1],
        steps_per_window: steps.max(1),
        windows: rates.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: usize) -> Split {
        Split {
            images: (0..n * INPUTS).map(|i| (i % 251) as f32 / 251.0).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
        }
    }

    #[test]
    fn the_cpu_agrees_with_itself_exactly() {
        let split = images(32);
        for net in nets() {
            let a = step_agreement(&Cpu::default(), &net, &split, 32).unwrap();
            assert_eq!(a.loss_relative, 0.0, "{}", net.id);
            assert_eq!(a.gradient_relative, 0.0, "{}", net.id);
            assert!(a.loss_cpu.is_finite() && a.loss_cpu > 0.0);
            assert!(a.parameters >= 6, "{}: {} parameters", net.id, a.parameters);
        }
    }

    #[test]
    fn step_flops_count_the_products_of_forward_and_backward() {
        let net = |id: &str| nets().into_iter().find(|n| n.id == id).unwrap();
        // The chapter MLP 784-300-100-10 at batch 32, by hand: forward 2·32·(784·300 + 300·100
        // + 100·10) = 17,036,800; kernel gradients the same; input gradients of the two upper
        // layers 2·32·(300·100 + 100·10) = 1,984,000 (none for the first layer).
        assert_eq!(
            step_flops(&net("mlp"), 32).unwrap(),
            17_036_800 + 17_036_800 + 1_984_000
        );
        // Linear in the batch.
        assert_eq!(step_flops(&net("mlp"), 256).unwrap(), 8 * 36_057_600);
        // 784-100×20-10: products 784·100, 19 × 100·100 and 100·10 (batch norm's dense layers
        // have no bias, the same products).
        let (first, rest) = (784 * 100u64, 19 * 100 * 100 + 100 * 10u64);
        let deep = 2 * 256 * (2 * first + 3 * rest);
        for id in ["deep20x100_relu", "deep20x100_relu_bn", "deep20x100_selu"] {
            assert_eq!(step_flops(&net(id), 256).unwrap(), deep, "{id}");
        }
        // LeNet-5 per image: conv 1 is 28·28 positions × 25·1 patch × 6 filters (no input
        // gradient); conv 2 is 10·10 × 150 × 16 on the 14×14×6 pooled map; then 400·120,
        // 120·84 and 84·10.
        let conv1 = 28 * 28 * 25 * 6u64;
        let rest = 10 * 10 * 150 * 16 + 400 * 120 + 120 * 84 + 84 * 10u64;
        assert_eq!(
            step_flops(&net("lenet5"), 32).unwrap(),
            2 * 32 * (2 * conv1 + 3 * rest)
        );
    }

    #[test]
    fn the_cpu_repeats_a_step_bit_for_bit() {
        let split = images(64);
        for net in nets() {
            let r = step_repeat(&Cpu::default(), &net, &split, 64).unwrap();
            assert!(r.loss_identical, "{}", net.id);
            assert_eq!(r.gradients_differing, 0, "{}", net.id);
            assert_eq!(r.parameters, nets_parameters(&net), "{}", net.id);
        }
    }

    /// Parameters (tensors) a net's step has gradients for, counted from its layers.
    fn nets_parameters(net: &Net) -> usize {
        let spec = model_spec(net).unwrap();
        let bn = spec.batch_norm.is_some();
        spec.layer_shapes(INPUTS, CLASSES)
            .iter()
            .map(|l| if bn && !l.is_output { 3 } else { 2 })
            .sum()
    }

    #[test]
    fn cuda_sums_repeat_when_no_chunk_spans_three_blocks() {
        // One block, two blocks, the worst alignment of two blocks: repeatable.
        assert!(cuda_sum_is_repeatable(128, 1));
        assert!(cuda_sum_is_repeatable(129, 300));
        assert!(cuda_sum_is_repeatable(32, 300));
        // 256-value chunks start on block boundaries: two partial sums each.
        assert!(cuda_sum_is_repeatable(256, 100));
        // 131 values: chunk 42 starts at 5,502 (block 42, offset 126) and ends at 5,632
        // (block 44): three blocks. Chunks 0..41 all fit in two.
        assert!(cuda_sum_is_repeatable(131, 42));
        assert!(!cuda_sum_is_repeatable(131, 43));
        // 130 values: the offsets are even, at most 126, so every chunk fits in two blocks.
        assert!(cuda_sum_is_repeatable(130, 10_000));
        // A single sum over 320 values (the loss at batch 32): blocks 0, 1 and 2.
        assert!(!cuda_sum_is_repeatable(320, 1));
        assert!(!cuda_sum_is_repeatable(1024, 1));
        // One or two values per output are added one by one: two additions onto 0 commute.
        assert!(cuda_sum_is_repeatable(2, 1000));
    }

    #[test]
    fn what_a_cuda_step_lets_one_expect_for_the_bench_nets() {
        let spec =
            |id: &str| model_spec(&nets().into_iter().find(|n| n.id == id).unwrap()).unwrap();
        for id in [
            "mlp",
            "deep20x100_relu",
            "deep20x100_relu_bn",
            "deep20x100_swish",
        ] {
            // Bias gradients, batch norm and the loss's mean sum 32 or 256 values per output:
            // repeatable; 200 values from output 1 on span three blocks (the loss's one mean
            // does not); 1,024 values span 8 blocks.
            assert_eq!(cuda_repeat_expected(&spec(id), 32), (true, true), "{id}");
            assert_eq!(cuda_repeat_expected(&spec(id), 256), (true, true), "{id}");
            assert_eq!(cuda_repeat_expected(&spec(id), 200), (true, false), "{id}");
            assert_eq!(
                cuda_repeat_expected(&spec(id), 1024),
                (false, false),
                "{id}"
            );
        }
        // LeNet-5: the convolutions' biases sum batch × 784 and batch × 100 values, and the
        // second one's input gradient is scattered with atomicAdd.
        assert_eq!(cuda_repeat_expected(&spec("lenet5"), 32), (true, false));
        assert_eq!(cuda_repeat_expected(&spec("lenet5"), 1), (true, false));
    }

    #[test]
    fn normwise_difference_is_relative_to_the_largest_gradient() {
        assert_eq!(normwise_relative(&[2.0, 0.0], &[2.0, 0.0]), 0.0);
        assert!((normwise_relative(&[2.0, 0.001], &[2.0, 0.0]) - 0.0005).abs() < 1e-9);
        assert!((normwise_relative(&[-4.0, 1.0], &[-3.0, 1.0]) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn a_rate_is_measured_and_a_too_large_batch_is_an_error() {
        let split = images(64);
        let net = &nets()[0];
        let rate = step_rate(&Cpu::default(), net, "sgd", &split, 32, (3, 2)).unwrap();
        assert!(rate.samples_per_second > 0.0);
        assert!(rate.slowest <= rate.samples_per_second && rate.samples_per_second <= rate.fastest);
        assert_eq!(rate.windows, 3);
        let err = step_rate(&Cpu::default(), net, "sgd", &split, 128, (1, 1)).unwrap_err();
        assert!(err.to_string().contains("128"), "{err}");
        let err = step_rate(&Cpu::default(), net, "sgdx", &split, 32, (1, 1)).unwrap_err();
        assert!(err.to_string().contains("sgdx"), "{err}");
    }
}
