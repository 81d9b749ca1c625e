//! `trainbench figures`: the chapter's figures, regenerated from code into `<out>/<name>.png` and
//! `<name>.svg`. Three kinds:
//! - analytic ([`analytic`]): activation functions and their derivatives through the library's own
//!   activations, optimizer paths on an elongated quadratic bowl run by the library's own
//!   optimizers, the 1cycle schedule from the library's schedule;
//! - recorded ([`recorded`]): from the studies' Parquet results (learning curves at several
//!   learning rates, activation statistics and gradient norms through depth, the transfer study's
//!   gains and what a cherry-picker would report);
//! - trained here ([`trained`]): the learning-rate range test and MC dropout's spread of
//!   predictions, each a short, fixed-seed training run on Fashion-MNIST.
//!
//! A figure whose results (or data) are missing is skipped with a message naming what is missing;
//! the others are still drawn. Nothing reads the clock and every random draw is seeded, so the
//! same results give byte-identical files.

pub mod analytic;
pub mod recorded;
pub mod trained;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::data::{self, DataOptions, FashionMnist};
use crate::error::Error;
use crate::results::{store, EpochRecord, RunRecord};
use crate::study::grid::AxisValues;

/// Every figure: (name, what it shows, where its numbers come from).
pub const FIGURES: [(&str, &str, &str); 14] = [
    (
        "sigmoid_saturation",
        "the sigmoid and its derivative: saturation at both ends",
        "analytic",
    ),
    (
        "leaky_relu",
        "leaky ReLU (α = 0.2, 0.01) against ReLU",
        "analytic",
    ),
    ("elu_selu", "ELU and SELU against ReLU", "analytic"),
    (
        "gelu_swish_mish",
        "GELU, Swish, Swish(β = 0.6) and Mish against ReLU",
        "analytic",
    ),
    (
        "optimizer_paths",
        "six optimizers on an elongated quadratic bowl",
        "analytic (trainbench's optimizers)",
    ),
    (
        "learning_rate_curves",
        "validation loss per epoch at three constant learning rates",
        "results/v1/schedules (version 1's fixed rates)",
    ),
    (
        "one_cycle_schedule",
        "the 1cycle learning rate and momentum",
        "analytic (trainbench's schedule)",
    ),
    (
        "lr_range_test",
        "the learning-rate range test on the optimizers study's baseline",
        "trained here (Fashion-MNIST)",
    ),
    (
        "activation_std_depth",
        "per-layer activation std through 100 layers: SELU vs ReLU",
        "results/selu",
    ),
    (
        "sigmoid_saturation_depth",
        "per-layer activation mean and std of sigmoid with N(0, 1) init",
        "results/initializers",
    ),
    (
        "grad_norms_init",
        "per-layer gradient norms at initialization",
        "results/initializers",
    ),
    (
        "mc_dropout_spread",
        "MC dropout's spread of predicted probabilities for five test images",
        "trained here (Fashion-MNIST)",
    ),
    (
        "transfer_gains",
        "the per-seed gain from reusing layers, per class pair",
        "results/transfer",
    ),
    (
        "transfer_best_of_k",
        "what a cherry-picker keeping the best of k tries would report",
        "results/transfer",
    ),
];

/// Fashion-MNIST's class names.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

/// Where the trained figures get Fashion-MNIST.
#[derive(Debug, Clone)]
pub enum DataSource {
    /// Find (and, if allowed, fetch) it.
    Load(DataOptions),
    /// Use this (tests: synthetic data).
    Given(Arc<FashionMnist>),
}

/// What to draw, from what, to where.
#[derive(Debug, Clone)]
pub struct Options {
    /// Results root (each study in `<results>/<study>/`); only read.
    pub results: PathBuf,
    /// Where the figures are written.
    pub out: PathBuf,
    /// The study files (the lr range test and MC dropout take their model from them).
    pub studies: PathBuf,
    /// The data of the trained figures.
    pub data: DataSource,
    /// Draw only these figures (empty: all).
    pub only: Vec<String>,
    /// The device the trained figures train on.
    pub device: crate::device::Compute,
}

/// What became of one figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Written: the files, and a note (seeds used, anything incomplete).
    Written {
        /// The PNG and SVG.
        files: Vec<PathBuf>,
        /// What it was drawn from.
        note: String,
    },
    /// Not drawn: what is missing.
    Skipped(String),
    /// Drawing failed.
    Failed(String),
}

/// Why a figure was not drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Its results or data are missing: skipped.
    Missing(String),
    /// Something else went wrong.
    Failed(String),
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem::Failed(e.to_string())
    }
}

/// What a figure function returns: a note on what it was drawn from, or why not.
pub type Drawn = std::result::Result<String, Problem>;

/// One study's recorded results, runs sorted by (cell label, seed).
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Study name.
    pub study: String,
    /// The runs.
    pub runs: Vec<RunRecord>,
    /// The epochs.
    pub epochs: Vec<EpochRecord>,
}

impl Tables {
    /// The runs whose grid axes include every `(axis, value)` of `selector`, by seed.
    pub fn cell(&self, selector: &[(&str, &str)]) -> Vec<&RunRecord> {
        let pick = AxisValues::of(selector);
        let mut runs: Vec<&RunRecord> =
            self.runs.iter().filter(|r| pick.matches(&r.axes)).collect();
        runs.sort_by_key(|r| r.seed);
        runs.dedup_by_key(|r| r.seed);
        runs
    }

    /// The runs of each selector; Missing naming every selector without a run.
    pub fn cells(&self, selectors: &[&[(&str, &str)]]) -> Result<Vec<Vec<&RunRecord>>, Problem> {
        let found: Vec<Vec<&RunRecord>> = selectors.iter().map(|s| self.cell(s)).collect();
        let missing: Vec<String> = selectors
            .iter()
            .zip(&found)
            .filter(|(_, runs)| runs.is_empty())
            .map(|(s, _)| selector_label(s))
            .collect();
        if missing.is_empty() {
            Ok(found)
        } else {
            Err(Problem::Missing(format!(
                "{}: no runs for {}",
                self.study,
                missing.join("; ")
            )))
        }
    }

    /// The epochs of `run`, in order.
    pub fn epochs_of(&self, run: &RunRecord) -> Vec<&EpochRecord> {
        crate::results::epochs_of(&self.epochs, &run.cell_id, run.seed)
    }
}

/// `a=x, b=y`.
pub fn selector_label(selector: &[(&str, &str)]) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per-seed counts of a set of cells, for notes: `label: n seeds`.
pub fn seed_counts(labels: &[String], cells: &[Vec<&RunRecord>]) -> String {
    labels
        .iter()
        .zip(cells)
        .map(|(l, runs)| format!("{l}: {} seed{}", runs.len(), plural(runs.len())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What the figure functions share: the options, and the results and data loaded so far.
pub struct Context {
    options: Options,
    tables: BTreeMap<String, Result<Arc<Tables>, Problem>>,
    data: Option<Result<Arc<FashionMnist>, Problem>>,
}

impl Context {
    /// A context for `options`; nothing is loaded yet.
    pub fn new(options: Options) -> Context {
        Context {
            options,
            tables: BTreeMap::new(),
            data: None,
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Where figures go.
    pub fn out(&self) -> &Path {
        &self.options.out
    }

    /// The recorded results of `study`; Missing when there are none.
    pub fn study(&mut self, study: &str) -> Result<Arc<Tables>, Problem> {
        let results = self.options.results.clone();
        self.tables
            .entry(study.to_string())
            .or_insert_with(|| {
                let dir = results.join(study);
                // `v1/NAME` is version 1's study of that name, kept in results/v1.
                let hint = match study.strip_prefix("v1/") {
                    Some(name) => format!(
                        "trainbench --studies studies/v1 study {name} --results {}",
                        results.join("v1").display()
                    ),
                    None => format!("trainbench study {study}"),
                };
                if !store::runs_path(&dir).is_file() {
                    return Err(Problem::Missing(format!(
                        "no results in {} (run `{hint}`)",
                        dir.display()
                    )));
                }
                let (mut runs, epochs) = store::load(&dir).map_err(|e| {
                    Problem::Missing(format!("the results of {study} cannot be read: {e}"))
                })?;
                if runs.is_empty() {
                    return Err(Problem::Missing(format!(
                        "no recorded runs in {} (run `{hint}`)",
                        dir.display()
                    )));
                }
                runs.sort_by(|a, b| (&a.cell_label, a.seed).cmp(&(&b.cell_label, b.seed)));
                Ok(Arc::new(Tables {
                    study: study.to_string(),
                    runs,
                    epochs,
                }))
            })
            .clone()
    }

    /// Fashion-MNIST; Missing when it cannot be found (or fetched).
    pub fn data(&mut self) -> Result<Arc<FashionMnist>, Problem> {
        let source = self.options.data.clone();
        self.data
            .get_or_insert_with(|| match source {
                DataSource::Given(d) => Ok(d),
                DataSource::Load(o) => data::load(&o)
                    .map(Arc::new)
                    .map_err(|e| Problem::Missing(format!("Fashion-MNIST is not available: {e}"))),
            })
            .clone()
    }
}

/// Draws figure `name`.
fn make(ctx: &mut Context, name: &str) -> Drawn {
    match name {
        "sigmoid_saturation" => analytic::sigmoid_saturation(ctx.out(), name),
        "leaky_relu" => analytic::leaky_relu(ctx.out(), name),
        "elu_selu" => analytic::elu_selu(ctx.out(), name),
        "gelu_swish_mish" => analytic::gelu_swish_mish(ctx.out(), name),
        "optimizer_paths" => analytic::optimizer_paths(ctx.out(), name),
        "one_cycle_schedule" => analytic::one_cycle_schedule(ctx.out(), name),
        "learning_rate_curves" => recorded::learning_rate_curves(ctx, name),
        "activation_std_depth" => recorded::activation_std_depth(ctx, name),
        "sigmoid_saturation_depth" => recorded::sigmoid_saturation_depth(ctx, name),
        "grad_norms_init" => recorded::grad_norms_init(ctx, name),
        "transfer_gains" => recorded::transfer_gains(ctx, name),
        "transfer_best_of_k" => recorded::transfer_best_of_k(ctx, name),
        "lr_range_test" => trained::lr_range_test(ctx, name),
        "mc_dropout_spread" => trained::mc_dropout_spread(ctx, name),
        other => Err(Problem::Failed(format!("no figure named {other}"))),
    }
}

/// The figures `only` names, in [`FIGURES`] order (all when empty); an unknown name is an error
/// listing the known ones.
pub fn select(only: &[String]) -> crate::Result<Vec<&'static str>> {
    let known: Vec<&str> = FIGURES.iter().map(|f| f.0).collect();
    if let Some(bad) = only.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(Error::invalid(
            "--only",
            format!("no figure named '{bad}'; known: {}", known.join(", ")),
        ));
    }
    Ok(known
        .into_iter()
        .filter(|k| only.is_empty() || only.iter().any(|o| o == k))
        .collect())
}

/// Draws the selected figures into `options.out` (created), calling `progress` after each with
/// its name and outcome; returns every outcome in order.
pub fn run(
    options: Options,
    mut progress: impl FnMut(&str, &Outcome),
) -> crate::Result<Vec<(&'static str, Outcome)>> {
    let names = select(&options.only)?;
    std::fs::create_dir_all(&options.out).map_err(|e| Error::io("creating", &options.out, e))?;
    let mut ctx = Context::new(options);
    let mut outcomes = Vec::new();
    for name in names {
        let outcome = match make(&mut ctx, name) {
            Ok(note) => {
                let files: Vec<PathBuf> = ["png", "svg"]
                    .iter()
                    .map(|ext| ctx.out().join(format!("{name}.{ext}")))
                    .collect();
                match files.iter().find(|f| !f.is_file()) {
                    None => Outcome::Written { files, note },
                    Some(f) => Outcome::Failed(format!("{} was not written", f.display())),
                }
            }
            Err(Problem::Missing(why)) => Outcome::Skipped(why),
            Err(Problem::Failed(why)) => Outcome::Failed(why),
        };
        progress(name, &outcome);
        outcomes.push((name, outcome));
    }
    Ok(outcomes)
}
