//! Training: the one minibatch loop and everything that trains through it. Below the studies and
//! above the run config, the model and the techniques: `train` never imports `study`, `report`
//! or `figures`.
//!
//! - `run.rs`: one run of a run config with a seed ([`train_run`]): data, network, pretraining,
//!   the loop with the run's hooks, the end-of-run metrics;
//! - `minibatch.rs`: the minibatch loop ([`minibatch::train_minibatches`]) and its [`Hooks`]
//!   (learning rate per step, what to do with each loss, epoch start and end), used by runs,
//!   pretraining, the learning-rate range test and the figures that train briefly;
//! - `step.rs`: the training step (the minibatch's loss, then the update: regularizer gradient,
//!   clipping, weight decay, the optimizer, constraints), config → build → step;
//! - `inputs.rs`: the data a run asks for (standardized, restricted to its classes);
//! - `eval.rs`: loss and accuracy over a split, MC dropout's and batch-norm folding's metrics;
//! - `diagnostics.rs`: per-layer activation statistics and gradient norms;
//! - `pretrain.rs`: a run's pretraining stage (model A of layer reuse);
//! - `lr_find.rs`: the learning-rate range test.
//!
//! A run is single-threaded; the study runner parallelises across runs.

pub mod device_check;
pub mod diagnostics;
pub mod eval;
pub mod inputs;
pub mod lr_find;
pub mod minibatch;
pub mod pretrain;
pub mod run;
pub mod step;

pub use eval::{evaluate, loss_and_correct};
pub use inputs::{select_classes, select_subset};
pub use minibatch::{shuffle, Hooks};
pub use run::train_run;

use crate::data::Split;

/// Pixels per image (28 × 28).
pub const INPUTS: usize = 784;
/// Fashion-MNIST's classes.
pub const CLASSES: usize = 10;
/// Images per forward pass when evaluating.
/// The splits a run uses.
#[derive(Debug, Clone, Copy)]
pub struct DataView<'a> {
    /// Training images (a run may use only its first `train_subset`).
    pub train: &'a Split,
    /// Validation images, evaluated after every epoch.
    pub val: &'a Split,
    /// Test images, evaluated once at the end.
    pub test: &'a Split,
}

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: u32,
    /// Mean minibatch loss, weighted by minibatch size.
    pub train_loss: f64,
    /// Accuracy over the epoch's minibatches (as the model was when it saw each).
    pub train_acc: f64,
    /// Validation loss after the epoch.
    pub val_loss: f64,
    /// Validation accuracy after the epoch.
    pub val_acc: f64,
    /// Learning rate in effect.
    pub learning_rate: f64,
    /// Wall-clock seconds of the epoch (metadata, not reproducible).
    pub wall_seconds: f64,
    /// Diagnostics measured after the epoch, by name (empty unless the study asks).
    pub extra: Vec<(String, f64)>,
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Every finished epoch (a diverged epoch included, with its non-finite losses).
    pub epochs: Vec<EpochMetrics>,
    /// Test loss of the final model.
    pub test_loss: f64,
    /// Test accuracy of the final model.
    pub test_acc: f64,
    /// The 1-based step whose loss was non-finite, if any.
    pub diverged_step: Option<u64>,
    /// Wall-clock seconds of the whole run.
    pub wall_seconds: f64,
    /// Training samples processed per second.
    pub samples_per_sec: f64,
    /// Extra metrics a study asked for (e.g. MC dropout's), by name.
    pub extra: Vec<(String, f64)>,
    /// The numerics version the run computed under (its config's).
    pub numerics: u32,
    /// The kernels' instruction-set path (`kernels::path`: `avx512`, `avx2`, `portable`);
    /// metadata, as every version gives the same bits on every path.
    pub cpu_path: &'static str,
}

/// Tells the allocator to keep freed memory for reuse: a training step allocates and frees a
/// buffer per tensor op, and those of a dense layer's size (about 1 MB) would otherwise be
/// mapped afresh from the OS and page-faulted in every time (a third of a step's time for the
/// chapter's MLP at batch 32). Process-wide, done once; the binary calls it first thing,
/// [`train_run`] and the learning-rate finder again (for a library user). Changes no number.
///
/// - mimalloc (the `trainbench` binary's and the benches' allocator): freed memory stays
///   committed instead of being purged 10 ms later (the chapter MLP's study ran 4% slower with
///   purging than with glibc, 4% faster without it).
/// - glibc's malloc (the tests', a library user's): blocks under 32 MiB come from the heap,
///   which is trimmed only when 256 MiB lie free at its top.
pub fn tune_allocator() {
    static TUNED: std::sync::Once = std::sync::Once::new();
    TUNED.call_once(|| {
        // mimalloc's `mi_option_purge_delay` (mimalloc.h, v2: between `eager_commit_delay`, 14,
        // and `use_numa_nodes`, 16, which libmimalloc-sys names; this one it does not). Set only
        // where the option at that index has the purge delay's documented default, 10 (ms).
        const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
        // SAFETY: reading and setting an allocator option; any index and value are valid.
        unsafe {
            if libmimalloc_sys::mi_option_get(PURGE_DELAY) == 10 {
                libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
            }
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only sets allocator parameters; any value is valid to pass.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        }
    });
}

/// Named extra metrics of a run.
pub type Metrics = Vec<(String, f64)>;
