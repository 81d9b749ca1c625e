//! Figures that train briefly on Fashion-MNIST here, with fixed seeds: the learning-rate range
//! test on the optimizers study's baseline (the library's `lr_find`), and MC dropout's spread of
//! predicted probabilities (the mc_dropout study's model, trained for 2 epochs on 5,000 images
//! with the library's model, optimizer and loss, then 100 passes with dropout on).

use dfdx::prelude::*;
use plotters::style::RGBColor;

use super::{Context, Drawn, Problem, CLASS_NAMES};
use crate::data::{FashionMnist, Split};
use crate::device::Compute;
use crate::model::Mlp;
use crate::plot::{self, colour, Axis, Figure, LegendAt, Mark, Panel, Stroke, Swatch, Ticks};
use crate::report::stats::quantile_sorted;
use crate::seed::{stream, Purpose};
use crate::study::{spec, Overrides, Study};
use crate::train::lr_find::{lr_find, LrFindOptions};
use crate::train::minibatch::{train_minibatches, ConstantRate, Plan, Target};
use crate::train::step::StepConfig;
use crate::train::{DataView, CLASSES, INPUTS};
use crate::zoo::calibration::softmax;

/// The seed of both trained figures.
pub const SEED: u64 = 0;

/// The study `name` from the study files; Missing when it is not there.
fn study(ctx: &Context, name: &str) -> Result<Study, Problem> {
    let path = spec::find(&ctx.options().studies, name)
        .map_err(|e| Problem::Missing(format!("the {name} study file: {e}")))?;
    Ok(spec::load(&path, Overrides::default())?)
}

/// The learning-rate range test of the optimizers study's baseline cell, seed 0.
pub fn lr_range_test(ctx: &mut Context, name: &str) -> Drawn {
    let study = study(ctx, "optimizers")?;
    let data = standardized(ctx.data()?, study.baseline_cell().config.standardize);
    let cell = study.baseline_cell();
    let view = DataView {
        train: &data.train,
        val: &data.val,
        test: &data.test,
    };
    let o = LrFindOptions::default();
    let result = match &ctx.options().device {
        Compute::Cpu => lr_find(&Cpu::default(), &cell.config, view, SEED, &o)?,
        #[cfg(feature = "cuda")]
        Compute::Cuda { ordinal, .. } => {
            lr_find(&open_cuda(*ordinal)?, &cell.config, view, SEED, &o)?
        }
    };
    plot::lr_range(
        &ctx.out().join(name),
        &format!(
            "Learning-rate range test: the optimizers study's baseline ({}), seed {SEED}",
            cell.label
        ),
        &result.learning_rates,
        &result.losses,
        &result.smoothed,
        result.suggestion,
    )?;
    Ok(format!(
        "trained here: {} of {} steps from η = {:.0e}; suggested η {}",
        result.learning_rates.len(),
        o.steps,
        o.start,
        result
            .suggestion
            .map_or("none (the loss never fell)".to_string(), |s| format!(
                "{s:.2e}"
            ))
    ))
}

/// The data, standardized when the config asks for it.
fn standardized(
    data: std::sync::Arc<FashionMnist>,
    standardize: bool,
) -> std::sync::Arc<FashionMnist> {
    if standardize {
        let mut d = (*data).clone();
        d.standardize();
        std::sync::Arc::new(d)
    } else {
        data
    }
}

/// Images the MC dropout model trains on.
pub const MC_TRAIN_IMAGES: usize = 5000;
/// Epochs it trains.
pub const MC_EPOCHS: u32 = 2;
/// Stochastic passes per image.
pub const MC_PASSES: usize = 100;
/// Test images considered (the first ones), of which five are shown.
pub const MC_CANDIDATES: usize = 200;

/// What the MC dropout figure shows of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct McImage {
    /// Index in the test split.
    pub index: usize,
    /// True class.
    pub label: u8,
    /// The plain model's (dropout off) probabilities.
    pub plain: Vec<f64>,
    /// Per pass, the probabilities.
    pub passes: Vec<Vec<f64>>,
}

impl McImage {
    /// The mean MC probability of each class.
    pub fn mean(&self) -> Vec<f64> {
        let n = self.passes.len().max(1) as f64;
        (0..self.plain.len())
            .map(|c| self.passes.iter().map(|p| p[c]).sum::<f64>() / n)
            .collect()
    }

    /// The mean over classes of the std over passes: how much the passes disagree.
    pub fn spread(&self) -> f64 {
        let mean = self.mean();
        let n = self.passes.len().max(1) as f64;
        mean.iter()
            .enumerate()
            .map(|(c, m)| (self.passes.iter().map(|p| (p[c] - m).powi(2)).sum::<f64>() / n).sqrt())
            .sum::<f64>()
            / mean.len().max(1) as f64
    }
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len())
        .max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

/// Trains `model` for `epochs` on the first `images` of `train` with the config's training step
/// (optimizer, its learning rate, and the techniques around its update) and batch size, through
/// the library's minibatch loop, drawing order and dropout masks from the streams of `seed`.
fn train_briefly<D: Device<f32>>(
    dev: &D,
    model: &mut Mlp<D>,
    config: &crate::study::RunConfig,
    train: &Split,
    images: usize,
    epochs: u32,
    seed: u64,
) -> Result<(), Problem> {
    let mut step = StepConfig::of(config).build(model)?;
    let plan = Plan {
        split: train,
        images: images.min(train.len()),
        batch_size: config.batch_size,
        target: Target::Classes(CLASSES),
        epochs,
    };
    let mut constant = ConstantRate(step.base_learning_rate());
    train_minibatches(
        dev,
        model,
        &mut step,
        &plan,
        &mut stream(seed, Purpose::DataOrder),
        &mut stream(seed, Purpose::Noise),
        &mut constant,
    )?;
    Ok(())
}

/// The CUDA device of `ordinal` for a trained figure.
#[cfg(feature = "cuda")]
fn open_cuda(ordinal: usize) -> Result<Cuda, Problem> {
    crate::device::open_cuda(ordinal, SEED).map_err(|e| Problem::Failed(e.to_string()))
}

/// Trains the mc_dropout study's model briefly on `device` and scores the first `candidates`
/// test images plainly and with `passes` MC dropout passes.
pub fn mc_dropout_predictions(
    config: &crate::study::RunConfig,
    data: &FashionMnist,
    candidates: usize,
    passes: usize,
    device: &Compute,
) -> Result<Vec<McImage>, Problem> {
    if config.model.dropout.is_none() {
        return Err(Problem::Failed(
            "the mc_dropout study's model has no dropout".into(),
        ));
    }
    // The training and the passes compute under the study's numerics version, as its runs did.
    let _numerics = config.numerics.enter();
    match device {
        Compute::Cpu => mc_dropout_on(&Cpu::default(), config, data, candidates, passes),
        #[cfg(feature = "cuda")]
        Compute::Cuda { ordinal, .. } => {
            mc_dropout_on(&open_cuda(*ordinal)?, config, data, candidates, passes)
        }
    }
}

/// [`mc_dropout_predictions`] on the device `dev`.
fn mc_dropout_on<D: Device<f32>>(
    dev: &D,
    config: &crate::study::RunConfig,
    data: &FashionMnist,
    candidates: usize,
    passes: usize,
) -> Result<Vec<McImage>, Problem> {
    let mut model = Mlp::new(
        &config.model,
        INPUTS,
        CLASSES,
        dev,
        &mut stream(SEED, Purpose::Init),
    )?;
    train_briefly(
        dev,
        &mut model,
        config,
        &data.train,
        MC_TRAIN_IMAGES,
        MC_EPOCHS,
        SEED,
    )?;
    let n = candidates.min(data.test.len());
    let x = || dev.tensor_from_vec(data.test.images[..n * INPUTS].to_vec(), (n, INPUTS));
    let rows =
        |logits: Vec<f32>| -> Vec<Vec<f64>> { logits.chunks_exact(CLASSES).map(softmax).collect() };
    let plain = rows(model.forward(x()).as_vec());
    // MC passes draw from their own stream, so the figure does not depend on how many masks
    // training drew.
    let mut noise = stream(SEED + 1, Purpose::Noise);
    let mut per_pass = Vec::with_capacity(passes);
    for _ in 0..passes {
        per_pass.push(rows(model.forward_mc(x(), &mut noise).as_vec()));
    }
    Ok((0..n)
        .map(|i| McImage {
            index: i,
            label: data.test.labels[i],
            plain: plain[i].clone(),
            passes: per_pass.iter().map(|p| p[i].clone()).collect(),
        })
        .collect())
}

/// Five images: the least uncertain of those the MC mean classifies right with p ≥ 0.9, then the
/// four with the largest spread, each of a different true class.
pub fn choose_images(images: &[McImage]) -> Vec<&McImage> {
    let mut chosen: Vec<&McImage> = Vec::new();
    let confident = images
        .iter()
        .filter(|im| {
            let m = im.mean();
            argmax(&m) == im.label as usize && m[im.label as usize] >= 0.9
        })
        .min_by(|a, b| {
            a.spread()
                .total_cmp(&b.spread())
                .then(a.index.cmp(&b.index))
        });
    if let Some(c) = confident {
        chosen.push(c);
    }
    let mut by_spread: Vec<&McImage> = images.iter().collect();
    by_spread.sort_by(|a, b| {
        b.spread()
            .total_cmp(&a.spread())
            .then(a.index.cmp(&b.index))
    });
    for im in by_spread {
        if chosen.len() >= 5 {
            break;
        }
        if chosen.iter().all(|c| c.label != im.label) {
            chosen.push(im);
        }
    }
    chosen
}

/// Short class names for the axis.
const SHORT_NAMES: [&str; 10] = [
    "T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot",
];

/// MC dropout: for five test images, the distribution over 100 passes of each class's
/// predicted probability.
pub fn mc_dropout_spread(ctx: &mut Context, name: &str) -> Drawn {
    let study = study(ctx, "mc_dropout")?;
    let config = study.baseline_cell().config.clone();
    let data = standardized(ctx.data()?, config.standardize);
    let device = ctx.options().device.clone();
    let images = mc_dropout_predictions(&config, &data, MC_CANDIDATES, MC_PASSES, &device)?;
    let correct = |probs: &dyn Fn(&McImage) -> Vec<f64>| {
        images
            .iter()
            .filter(|im| argmax(&probs(im)) == im.label as usize)
            .count() as f64
            / images.len().max(1) as f64
    };
    let plain_acc = correct(&|im| im.plain.clone());
    let mc_acc = correct(&|im| im.mean());
    let chosen = choose_images(&images);
    let true_colour = colour(2);
    let other_colour = colour(0);
    let mut panels = Vec::new();
    for (row, im) in chosen.iter().enumerate() {
        let mean = im.mean();
        let top = argmax(&mean);
        let plain_top = argmax(&im.plain);
        let title = format!(
            "test image {} ({}): MC-dropout mean says {} ({:.2}); plain model says {} ({:.2})",
            im.index,
            CLASS_NAMES[im.label as usize],
            CLASS_NAMES[top],
            mean[top],
            CLASS_NAMES[plain_top],
            im.plain[plain_top],
        );
        let last = row + 1 == chosen.len();
        let mut p = Panel::new(
            &title,
            Axis::categories(
                if last { "class" } else { "" },
                SHORT_NAMES.iter().map(|s| s.to_string()).collect(),
            ),
            Axis::linear("probability", -0.04, 1.04),
        );
        p.y.ticks = Ticks::Auto(5);
        for c in 0..CLASSES {
            let col = if c == im.label as usize {
                true_colour
            } else {
                other_colour
            };
            let mut v: Vec<f64> = im.passes.iter().map(|pass| pass[c]).collect();
            p.mark(Mark::Dots {
                points: v
                    .iter()
                    .enumerate()
                    .map(|(i, &pr)| (c as f64 + plot::jitter(i as u64, 0.44), pr))
                    .collect(),
                colour: col,
                radius: 2,
                alpha: 0.35,
            });
            v.sort_by(f64::total_cmp);
            p.mark(Mark::Box {
                x: c as f64,
                width: 0.5,
                low: quantile_sorted(&v, 0.05),
                q1: quantile_sorted(&v, 0.25),
                median: quantile_sorted(&v, 0.5),
                q3: quantile_sorted(&v, 0.75),
                high: quantile_sorted(&v, 0.95),
                colour: col,
            });
            p.mark(Mark::Line {
                points: vec![
                    (c as f64 + 0.3, im.plain[c]),
                    (c as f64 + 0.42, im.plain[c]),
                ],
                stroke: Stroke::solid(RGBColor(0, 0, 0), 3),
            });
        }
        p.image = Some((data.test.image(im.index).to_vec(), 28, 28));
        if row == 0 {
            p.entry(
                format!("true class: {MC_PASSES} MC passes (dots), box: quartiles, median; whiskers 5–95%"),
                Swatch::Box(true_colour),
            );
            p.entry("other classes", Swatch::Box(other_colour));
            p.entry(
                "plain model (dropout off)",
                Swatch::Line(Stroke::solid(RGBColor(0, 0, 0), 3)),
            );
            p.legend_at = LegendAt::UpperRight;
        }
        panels.push(p);
    }
    let rows = panels.len().max(1);
    let fig = Figure {
        title: format!(
            "MC dropout: how {MC_PASSES} stochastic passes spread the predicted probabilities"
        ),
        size: (1150, 70 + 270 * rows as u32),
        grid: (rows, 1),
        panels,
        note: format!(
            "The mc_dropout study's model ({}, dropout on) trained {MC_EPOCHS} epochs on {MC_TRAIN_IMAGES} \
             images, seed {SEED}. On the first {} test images: plain accuracy {:.1}%, MC mean {:.1}%.",
            model_text(&config),
            images.len(),
            plain_acc * 100.0,
            mc_acc * 100.0
        ),
    };
    fig.write(ctx.out(), name)?;
    Ok(format!(
        "trained here: images {}; plain accuracy {:.3}, MC {:.3} on {} test images",
        chosen
            .iter()
            .map(|c| c.index.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        plain_acc,
        mc_acc,
        images.len()
    ))
}

/// `300-100 relu, dropout 0.2, nesterov`.
fn model_text(config: &crate::study::RunConfig) -> String {
    let hidden: Vec<String> = config.model.hidden.iter().map(|h| h.to_string()).collect();
    format!(
        "{} {}{}, {}",
        hidden.join("-"),
        config.model.activation.name(),
        config
            .model
            .dropout
            .map_or(String::new(), |d| format!(", dropout {}", d.rate())),
        config.optimizer.name()
    )
}
