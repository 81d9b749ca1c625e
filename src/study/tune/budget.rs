//! What a study costs before it runs (`--dry-run`): the tuning runs of each stage (runs an
//! earlier stage of the same length already trained are not counted again), and core-hours
//! estimated from the seconds per epoch that recorded runs took, scaled to each run's training
//! images and multiply-adds per image (each run is single-threaded: one core), plus what a run trains or
//! evaluates besides its own epochs: a pretraining stage (model A's epochs on its images and
//! weights) and MC dropout's passes over the test set. No IO here: the caller reads the
//! recorded runs.

use std::ops::Range;

use super::Tuning;
use crate::config::RunConfig;
use crate::results::RunRecord;

/// Training images of the full split.
const TRAIN_IMAGES: usize = 55_000;
/// Validation images, evaluated after every epoch.
const VALIDATION_IMAGES: usize = 5_000;

/// The default when no run is recorded: an epoch of the chapter's 784-300-100-10 MLP (266,610
/// parameters) on 55,000 images at batch 32 takes about 1.2 s on one core of this project's
/// machine (README, Speed).
pub const DEFAULT_SECONDS_PER_EPOCH: f64 = 1.2;
const DEFAULT_PARAMETERS: f64 = 266_610.0;

/// Seconds per epoch, training image and multiply-add per image (a dense layer's weights and
/// biases; a convolution's at every position): the unit run costs are scaled by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Seconds per epoch × image × multiply-add.
    pub seconds: f64,
    /// How many recorded runs it is the median of (0: the default).
    pub from_runs: usize,
}

impl Rate {
    /// The stated default ([`DEFAULT_SECONDS_PER_EPOCH`] for the chapter's MLP), for a study
    /// with no recorded runs.
    pub fn default_rate() -> Rate {
        Rate {
            seconds: DEFAULT_SECONDS_PER_EPOCH / (chapter_images() * DEFAULT_PARAMETERS),
            from_runs: 0,
        }
    }

    /// The median over `runs` (those with a readable config, epochs and a wall time) of their
    /// seconds per epoch, image and multiply-add; `None` when there is none.
    pub fn from_runs(runs: &[RunRecord]) -> Option<Rate> {
        let mut rates: Vec<f64> = runs
            .iter()
            .filter(|r| r.epochs_run > 0 && r.wall_seconds.is_finite() && r.wall_seconds > 0.0)
            .filter_map(|r| {
                let config: RunConfig = serde_json::from_str(&r.config_json).ok()?;
                let (images, work_per_image) = size(&config);
                let work = f64::from(r.epochs_run) * images * work_per_image + extra_work(&config);
                Some(r.wall_seconds / work)
            })
            .collect();
        if rates.is_empty() {
            return None;
        }
        rates.sort_by(f64::total_cmp);
        let n = rates.len();
        let median = if n % 2 == 1 {
            rates[n / 2]
        } else {
            (rates[n / 2 - 1] + rates[n / 2]) / 2.0
        };
        Some(Rate {
            seconds: median,
            from_runs: n,
        })
    }

    /// Estimated seconds of one run of `config`: all its epochs (an early-stopping run is
    /// costed at its cap: an upper bound), its pretraining stage and its MC dropout passes.
    pub fn run_seconds(&self, config: &RunConfig) -> f64 {
        let (images, work_per_image) = size(config);
        self.seconds * (f64::from(config.epochs) * images * work_per_image + extra_work(config))
    }

    /// Seconds per epoch of the chapter's MLP on 55,000 images at this rate (for messages).
    pub fn chapter_epoch_seconds(&self) -> f64 {
        self.seconds * chapter_images() * DEFAULT_PARAMETERS
    }
}

/// The images of an epoch of the chapter's study, as [`size`] counts them.
fn chapter_images() -> f64 {
    TRAIN_IMAGES as f64 + VALIDATION_IMAGES as f64 / 3.0
}

/// What a convolution's multiply-add costs, in a dense layer's: measured on one core of this
/// project's machine (2026-12-02, commit 8fcbe95, numerics 2, two runs each of 2 epochs on
/// 10,000 images with validation and test): LeNet-5 took 6.47–6.53 s a run, the chapter's MLP
/// 0.57–0.72 s, so a run of its 363,904 convolution and 59,134 dense multiply-adds per image
/// costs as much as ~10 of the MLP's 266,610: a convolution's multiply-add ~7 dense ones (the
/// im2col copies, pooling and the larger maps around each product, which a dense layer does
/// not have). Without it the estimate of a CNN run was ~6× too low.
pub const CONV_MULTIPLY_ADD_COST: f64 = 7.0;

/// A run's images per epoch, counting each validation image (a forward pass) as a third of a
/// training image (forward and backward), and its network's work per image in dense
/// multiply-adds ([`crate::model::ModelSpec::layer_shapes`]: a dense layer's weights and
/// biases; a convolution's at each of its positions, each costing
/// [`CONV_MULTIPLY_ADD_COST`]; batch norm and learned activations left out). Training images
/// are its subset, or its classes' share.
pub fn size(config: &RunConfig) -> (f64, f64) {
    let classes = config.classes.as_ref().map_or(10, Vec::len);
    let available = TRAIN_IMAGES * classes / 10;
    let validation = VALIDATION_IMAGES * classes / 10;
    let images = config.train_subset.map_or(available, |n| n.min(available)) as f64
        + validation as f64 / 3.0;
    let work: f64 = config
        .model
        .layer_shapes(784, classes)
        .iter()
        .map(|l| {
            let cost = if l.patches > 0 {
                CONV_MULTIPLY_ADD_COST
            } else {
                1.0
            };
            l.multiply_adds as f64 * cost
        })
        .sum();
    (images, work)
}

/// Test images, evaluated once (MC dropout: once per pass).
const TEST_IMAGES: usize = 10_000;

/// Work (images × multiply-adds, in [`size`]'s units) a run does besides its own epochs: model A's
/// epochs of a pretraining stage (its images: its subset or its classes' share; its weights: the
/// run's hidden layers with A's head, or an autoencoder's mirrored decoder), and MC dropout's
/// forward passes over the test set (each image a third of a training image, as validation).
pub fn extra_work(config: &RunConfig) -> f64 {
    let mut work = 0.0;
    if let Some(p) = &config.pretrain {
        let task = config.classes.as_deref();
        let (layers, images): (Vec<usize>, usize) = match p.kind {
            crate::zoo::reuse::PretrainKind::Autoencoder => {
                let mut layers = config.model.hidden.clone();
                layers.extend(config.model.hidden.iter().rev().skip(1));
                layers.push(784);
                (layers, TRAIN_IMAGES)
            }
            crate::zoo::reuse::PretrainKind::Classifier => {
                let classes = p.classes(task).len();
                let mut layers = config.model.hidden.clone();
                layers.push(classes);
                (layers, TRAIN_IMAGES * classes / 10)
            }
        };
        let images = p.train_subset.map_or(images, |n| n.min(images)) as f64;
        work += f64::from(p.epochs) * images * weights(&layers);
    }
    if let Some(mc) = &config.mc_dropout {
        let (_, work_per_image) = size(config);
        work += f64::from(mc.samples + 1) * TEST_IMAGES as f64 / 3.0 * work_per_image;
    }
    work
}

/// Weights and biases of dense layers of `units` (bottom to top) on the 784 pixels.
fn weights(units: &[usize]) -> f64 {
    let mut parameters = 0usize;
    let mut fan_in = 784;
    for &u in units {
        parameters += (fan_in + 1) * u;
        fan_in = u;
    }
    parameters as f64
}

/// One stage's budget over every arm.
#[derive(Debug, Clone, PartialEq)]
pub struct StageBudget {
    /// Candidates each arm trains in the stage.
    pub candidates: usize,
    /// The stage's tuning seeds.
    pub seeds: Range<u64>,
    /// Epochs of the stage's runs (of the first arm; arms may differ).
    pub epochs: u32,
    /// New runs per arm (runs an earlier stage of the same length trained are reused), summed
    /// over the arms.
    pub runs: usize,
    /// Estimated core-hours of those runs.
    pub core_hours: f64,
}

/// The budget of every stage of `tuning`, costed at `rate`.
pub fn stages(tuning: &Tuning, rate: &Rate) -> Vec<StageBudget> {
    let mut out = Vec::with_capacity(tuning.stages.len());
    for (k, stage) in tuning.stages.iter().enumerate() {
        let candidates = tuning.candidates_in(k);
        let (mut runs, mut seconds) = (0usize, 0.0);
        for arm in &tuning.arms {
            let epochs = stage.epochs(arm.epochs);
            let reused = (0..k)
                .filter(|&j| tuning.stages[j].epochs(arm.epochs) == epochs)
                .map(|j| tuning.stages[j].seeds)
                .max()
                .unwrap_or(0);
            let new = candidates * stage.seeds.saturating_sub(reused) as usize;
            runs += new;
            // Every candidate of an arm has its size; the first stands for them.
            if let Some(candidate) = arm.candidates.first() {
                seconds += new as f64 * rate.run_seconds(&candidate.cells[k].config);
            }
        }
        out.push(StageBudget {
            candidates,
            seeds: tuning.seeds(k),
            epochs: tuning.arms.first().map_or(0, |a| stage.epochs(a.epochs)),
            runs,
            core_hours: seconds / 3600.0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> RunConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn sizes_count_images_and_weights() {
        let mlp = config("epochs = 2\noptimizer = \"sgd\"\nmodel = { hidden = [300, 100] }");
        let third = 5000.0 / 3.0;
        assert_eq!(size(&mlp), (55_000.0 + third, 266_610.0));
        let small = config(
            "epochs = 2\noptimizer = \"sgd\"\ntrain_subset = 5000\nclasses = [5, 7]\n\
             model = { hidden = [8] }",
        );
        assert_eq!(
            size(&small),
            (5000.0 + 1000.0 / 3.0, (785.0 * 8.0 + 9.0 * 2.0))
        );
        // A CNN is costed by its multiply-adds, not its weights: LeNet-5's two convolutions
        // reuse 2,572 weights at every position, 363,904 multiply-adds per image (see
        // model::shape's test), 4× the 105,214 its dense layers would count from 784 pixels;
        // each costs CONV_MULTIPLY_ADD_COST dense ones, beside its 59,134 dense ones.
        let lenet = config("epochs = 2\noptimizer = \"sgd\"\nmodel = { kind = \"cnn\" }");
        assert_eq!(
            size(&lenet).1,
            59_134.0 + 363_904.0 * CONV_MULTIPLY_ADD_COST
        );
        let rate = Rate::default_rate();
        assert!((rate.run_seconds(&mlp) - 2.0 * DEFAULT_SECONDS_PER_EPOCH).abs() < 1e-9);
        assert!((rate.chapter_epoch_seconds() - DEFAULT_SECONDS_PER_EPOCH).abs() < 1e-12);
    }

    #[test]
    fn pretraining_and_mc_dropout_are_costed_too() {
        let plain = config("epochs = 2\noptimizer = \"sgd\"\nmodel = { hidden = [300, 100] }");
        assert_eq!(extra_work(&plain), 0.0);
        // An autoencoder 784-300-100-300-784 for 3 epochs on all 55,000 images.
        let ae = config(
            "epochs = 2\noptimizer = \"sgd\"\nmodel = { hidden = [300, 100] }\n\
             pretrain = { kind = \"autoencoder\", epochs = 3 }",
        );
        let ae_weights = (785.0 * 300.0) + (301.0 * 100.0) + (101.0 * 300.0) + (301.0 * 784.0);
        assert_eq!(extra_work(&ae), 3.0 * 55_000.0 * ae_weights);
        // A classifier A on the eight other classes (44,000 images), head of 8.
        let transfer = config(
            "epochs = 2\noptimizer = \"sgd\"\nclasses = [5, 6]\nmodel = { hidden = [100] }\n\
             pretrain = { epochs = 10 }",
        );
        assert_eq!(
            extra_work(&transfer),
            10.0 * 44_000.0 * (785.0 * 100.0 + 101.0 * 8.0)
        );
        // MC dropout: 100 passes and the plain one over 10,000 test images, a third each.
        let mc = config(
            "epochs = 2\noptimizer = \"sgd\"\nmc_dropout = {}\n\
             model = { hidden = [300, 100], dropout = { name = \"dropout\", rate = 0.2 } }",
        );
        assert!((extra_work(&mc) - 101.0 * 10_000.0 / 3.0 * 266_610.0).abs() < 1.0);
    }

    #[test]
    fn the_rate_is_the_median_of_recorded_runs() {
        let json = |hidden: &str| {
            serde_json::to_string(&config(&format!(
                "epochs = 2\noptimizer = \"sgd\"\nmodel = {{ hidden = {hidden} }}"
            )))
            .unwrap()
        };
        let mut runs = Vec::new();
        for (seconds, epochs) in [(10.0, 2), (30.0, 2), (1e9, 0)] {
            let mut r = crate::results::store::tests::run(0, false);
            r.config_json = json("[300, 100]");
            r.wall_seconds = seconds;
            r.epochs_run = epochs;
            runs.push(r);
        }
        let rate = Rate::from_runs(&runs).unwrap();
        assert_eq!(rate.from_runs, 2, "a run with no epoch is left out");
        assert!(
            (rate.chapter_epoch_seconds() - 10.0).abs() < 1e-9,
            "median of 5 and 15"
        );
        runs[0].config_json = "not json".into();
        runs[1].config_json = "{}".into();
        assert_eq!(Rate::from_runs(&runs), None);
    }
}
