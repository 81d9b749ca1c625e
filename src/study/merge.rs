//! `trainbench merge`: folds the part files that shards wrote into the study's two tables, drops
//! exact duplicates (a retried or duplicated task), refuses conflicting copies of a run, and lists
//! the runs no shard has recorded yet. The tables are saved before any check can fail, so a merge
//! never loses a run.

use std::path::Path;

use super::runner::{
    absorb_parts, check_configs, evaluated_study, run_list, study_dir, sweep_leftovers, Lock,
};
use super::spec::Study;
use crate::error::{Error, Result};
use crate::results::{parts, store};

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MergeSummary {
    /// Runs added from parts.
    pub added: usize,
    /// Parts dropped as exact duplicates of recorded runs.
    pub duplicates: usize,
    /// Runs in the tables after the merge.
    pub recorded: usize,
    /// Runs of the study that no one has recorded: (cell label, seed).
    pub missing: Vec<(String, u64)>,
}

/// Merges the parts of `study` under `results`.
pub fn merge(study: &Study, results: &Path) -> Result<MergeSummary> {
    let dir = study_dir(results, study);
    if !dir.exists() {
        return Err(Error::Results {
            path: dir,
            message: format!("no results of study '{}' here to merge", study.name),
        });
    }
    // A tuned study's evaluation cells follow from its recorded tuning.
    let study = &evaluated_study(study, &dir)?;
    let _lock = Lock::acquire(&dir)?;
    sweep_leftovers(&dir)?;
    let (mut runs, mut epochs) = store::load(&dir)?;
    let (added, duplicates) = absorb_parts(&dir, &mut runs, &mut epochs)?;
    check_configs(study, &runs, &dir)?;
    // One dataset name, one fingerprint (a study with a workload axis has several datasets).
    for first in &runs {
        if let Some(other) = runs
            .iter()
            .find(|r| r.dataset == first.dataset && r.dataset_sha256 != first.dataset_sha256)
        {
            return Err(Error::ResultsMismatch {
                message: format!(
                    "{} mixes runs made on two versions of dataset {} ({} and {}); keep them \
                     apart",
                    dir.display(),
                    first.dataset,
                    first.dataset_sha256,
                    other.dataset_sha256
                ),
            });
        }
    }
    if added + duplicates > 0 {
        store::save(&dir, &runs, &epochs)?;
    }
    parts::remove_all(&dir)?;
    let missing = run_list(study)
        .into_iter()
        .filter(|&(cell, seed)| {
            !runs
                .iter()
                .any(|r| r.cell_id == study.cells[cell].id && r.seed == seed)
        })
        .map(|(cell, seed)| (study.cells[cell].label.clone(), seed))
        .collect();
    Ok(MergeSummary {
        added,
        duplicates,
        recorded: runs.len(),
        missing,
    })
}
