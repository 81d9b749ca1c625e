//! The two result tables as flat records: one struct per table, one field per Parquet column, so
//! the schema is visible in one place. `store.rs` maps these to and from Parquet; nothing here does IO.

use serde::{Deserialize, Serialize};

/// Version of the table layout; a table written under another version is refused with a message.
pub const SCHEMA_VERSION: u32 = 1;

/// One finished run (one cell × one seed): a row of `runs.parquet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Study name (file stem of the study TOML).
    pub study: String,
    /// Stable hash of the cell's canonical resolved config (16 hex digits).
    pub cell_id: String,
    /// Human-readable cell label, e.g. `optimizer=adam`.
    pub cell_label: String,
    /// The grid axes' values for this cell, as (axis name, label); one Parquet column `axis.<name>` each.
    pub axes: Vec<(String, String)>,
    /// The run's seed (with `seed_streams`, the run's index in its cell).
    pub seed: u64,
    /// The seed of each source of randomness (`init`, `order`, `noise`, `subset`) when the study
    /// varies them apart (`seed_axes`); one Parquet column `seed.<source>` each. Empty: every
    /// stream is seeded with `seed`.
    pub seed_streams: Vec<(String, u64)>,
    /// The values of the tuned keys this run trained with (`[tune]`), as (dotted key, value);
    /// one Parquet column `tuned.<key>` each, NaN where a run has none. Empty for an untuned
    /// study.
    pub tuned: Vec<(String, f64)>,
    /// The cell's full resolved config as canonical JSON.
    pub config_json: String,
    /// Dataset name, e.g. `fashion-mnist`.
    pub dataset: String,
    /// SHA-256 over the four decompressed IDX files' checksums (see `data::Dataset::fingerprint`).
    pub dataset_sha256: String,
    /// Epochs actually trained (fewer than asked when the run diverged).
    pub epochs_run: u32,
    /// 1-based epoch with the lowest validation loss (0 if none finished).
    pub best_epoch: u32,
    /// Training loss of the last epoch (mean over its minibatches).
    pub final_train_loss: f64,
    /// Training accuracy of the last epoch.
    pub final_train_acc: f64,
    /// Validation loss after the last epoch.
    pub final_val_loss: f64,
    /// Validation accuracy after the last epoch.
    pub final_val_acc: f64,
    /// Lowest validation loss over the epochs.
    pub best_val_loss: f64,
    /// Highest validation accuracy over the epochs.
    pub best_val_acc: f64,
    /// Test loss of the final model.
    pub test_loss: f64,
    /// Test accuracy of the final model.
    pub test_acc: f64,
    /// Whether a non-finite loss stopped the run.
    pub diverged: bool,
    /// The 1-based optimizer step at which the loss became non-finite.
    pub diverged_step: Option<u64>,
    /// Wall-clock seconds the run took (not part of the reproducible numbers).
    pub wall_seconds: f64,
    /// Training samples per second (not part of the reproducible numbers).
    pub samples_per_sec: f64,
    /// trainbench's crate version.
    pub trainbench_version: String,
    /// The git commit of the code that made the run (`unknown` outside a checkout).
    pub git_commit: String,
    /// The dfdx version.
    pub dfdx_version: String,
    /// The device the run trained on, e.g. `cpu`.
    pub device: String,
    /// When the run started, UTC, RFC 3339 (metadata only; never feeds a number).
    pub started_at: String,
    /// The numerics version the run computed under (the `numerics` of its config; a table
    /// written before versions existed reads as 1).
    pub numerics: u32,
    /// The kernels' instruction-set path (`avx512`, `avx2`, `portable`), metadata like `device`:
    /// every numerics version gives the same bits on every path. Empty in tables written
    /// before it was recorded.
    pub cpu_path: String,
    /// Extra metrics a study asked for (MC dropout's, diagnostics), as (name, value); one
    /// Parquet column `metric.<name>` each, NaN where a run has none.
    pub extra: Vec<(String, f64)>,
}

impl RunRecord {
    /// The reproducible numbers of the run, for bit-for-bit comparisons (wall time and dates excluded).
    pub fn metrics(&self) -> [f64; 10] {
        [
            self.final_train_loss,
            self.final_train_acc,
            self.final_val_loss,
            self.final_val_acc,
            self.best_val_loss,
            self.best_val_acc,
            self.test_loss,
            self.test_acc,
            f64::from(self.epochs_run),
            self.diverged_step.map_or(-1.0, |s| s as f64),
        ]
    }

    /// The extra metric `name` (a `metric.<name>` column), NaN when the run has none.
    pub fn extra_metric(&self, name: &str) -> f64 {
        named_value(&self.extra, name)
    }

    /// The tuned value of `key` (a `tuned.<key>` column), NaN when the run has none.
    pub fn tuned_value(&self, key: &str) -> f64 {
        named_value(&self.tuned, key)
    }

    /// The seed of the source `name` (`init`, `order`, `noise`, `subset`): its `seed.<name>`
    /// column, or the run's seed when the run seeds every stream with it.
    pub fn stream_seed(&self, name: &str) -> u64 {
        self.seed_streams
            .iter()
            .find(|(n, _)| n == name)
            .map_or(self.seed, |(_, s)| *s)
    }
}

impl EpochRecord {
    /// The diagnostic `name` (a `diag.<name>` column), NaN when the epoch has none.
    pub fn diagnostic(&self, name: &str) -> f64 {
        named_value(&self.extra, name)
    }
}

/// The value called `name` among named values, NaN when absent.
fn named_value(values: &[(String, f64)], name: &str) -> f64 {
    values
        .iter()
        .find(|(n, _)| n == name)
        .map_or(f64::NAN, |(_, v)| *v)
}

/// The epochs of the run (`cell_id`, `seed`) among `epochs`, in epoch order.
pub fn epochs_of<'a>(epochs: &'a [EpochRecord], cell_id: &str, seed: u64) -> Vec<&'a EpochRecord> {
    let mut run: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|e| e.cell_id == cell_id && e.seed == seed)
        .collect();
    run.sort_by_key(|e| e.epoch);
    run
}

/// One epoch of one run: a row of `epochs.parquet`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Study name.
    pub study: String,
    /// Cell id (see [`RunRecord::cell_id`]).
    pub cell_id: String,
    /// The run's seed.
    pub seed: u64,
    /// 1-based epoch.
    pub epoch: u32,
    /// Mean training loss over the epoch's minibatches.
    pub train_loss: f64,
    /// Training accuracy over the epoch's minibatches.
    pub train_acc: f64,
    /// Validation loss at the end of the epoch.
    pub val_loss: f64,
    /// Validation accuracy at the end of the epoch.
    pub val_acc: f64,
    /// Learning rate in effect at the end of the epoch.
    pub learning_rate: f64,
    /// Wall-clock seconds of the epoch (metadata).
    pub wall_seconds: f64,
    /// Diagnostics after the epoch (see `train::diagnostics`), as (name, value); one Parquet
    /// column `diag.<name>` each, NaN where a run has none.
    pub extra: Vec<(String, f64)>,
}
