//! `trainbench repair`: recovers a study's damaged tables under its lock, after sweeping the
//! temporary files of killed writers, and says which runs the study still lacks. What can be
//! rebuilt, and how, is `results::repair`'s; this adds the study: its directory, its run list
//! and its cells' labels.

use std::path::Path;

use super::runner::{evaluated_study, run_list, study_dir, sweep_leftovers, Lock};
use super::spec::Study;
use crate::error::{Error, Result};
use crate::results::repair::{self, Repaired};
use crate::results::{parts, store};

/// What `repair` did for a study.
#[derive(Debug)]
pub struct StudyRepair {
    /// The tuning tables (`tuning.parquet`, `tuning_epochs.parquet`).
    pub tuning: Repaired,
    /// The evaluation tables and the parts.
    pub evaluation: Repaired,
    /// Temporary files and part directories of killed writers, removed.
    pub swept: Vec<std::path::PathBuf>,
    /// Evaluation runs recorded now (in the tables or in parts).
    pub recorded: usize,
    /// The study's evaluation runs not recorded, (cell label, seed); `None` when a tuned study's
    /// tuning is not complete (its evaluation cells are not decided yet).
    pub missing: Option<Vec<(String, u64)>>,
}

/// Repairs the results of `study` under `results`; `stamp` names the files moved aside.
pub fn repair(study: &Study, results: &Path, stamp: &str) -> Result<StudyRepair> {
    let dir = study_dir(results, study);
    if !dir.is_dir() {
        return Err(Error::Results {
            path: dir,
            message: format!("no results of study '{}' here to repair", study.name),
        });
    }
    let _lock = Lock::acquire(&dir)?;
    let swept = sweep_leftovers(&dir)?;
    let tuning = repair::repair(&dir, store::TUNING, false, stamp)?;
    let evaluation = repair::repair(&dir, store::EVALUATION, true, stamp)?;
    let (mut runs, _) = store::load(&dir)?;
    for (_, part_runs, _) in parts::load(&dir)? {
        for run in part_runs {
            if !runs
                .iter()
                .any(|r| r.cell_id == run.cell_id && r.seed == run.seed)
            {
                runs.push(run);
            }
        }
    }
    let missing = evaluated_study(study, &dir).ok().map(|evaluated| {
        run_list(&evaluated)
            .into_iter()
            .filter(|&(cell, seed)| {
                let id = &evaluated.cells[cell].id;
                !runs.iter().any(|r| &r.cell_id == id && r.seed == seed)
            })
            .map(|(cell, seed)| (evaluated.cells[cell].label.clone(), seed))
            .collect()
    });
    Ok(StudyRepair {
        tuning,
        evaluation,
        swept,
        recorded: runs.len(),
        missing,
    })
}

/// The label of the cell `id` of `study` (its evaluation cells, then its tuning candidates'),
/// else the id itself. `study` may be the study as evaluated after its tuning.
pub fn cell_label(study: &Study, id: &str) -> String {
    study
        .cell(id)
        .map_or_else(|| format!("cell {id}"), |c| c.label.clone())
}
