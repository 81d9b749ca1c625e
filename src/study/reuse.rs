//! `reuse = "STUDY"` in a study file: runs another study already recorded are taken over instead
//! of trained again. A cell id is a hash of the whole resolved config and a seed fixes every
//! random draw, so a recorded run of a cell with the same id and the same seed *is* the run this
//! study would train (verify checks it like any other). A workload study uses it for its
//! Fashion-MNIST × MLP cells, which are the single-workload study's cells.
//!
//! Both kinds of runs are taken: tuning runs (`tuning.parquet`) of the study's tuning cells, and
//! evaluation runs (`runs.parquet`) of its evaluated cells, each with its epochs. The copies are
//! recorded as this study's runs: their `study` column renamed, and their cell label and axis
//! columns this study's (the source's cell `variant=plain` is this study's `dataset=fashion-mnist,
//! model.kind=mlp, variant=plain`: without its workload axes a report would not know its
//! workload); everything else, the commit that made them included, as recorded. Nothing is taken
//! that this study already recorded, and a missing source is no error: its runs are trained.

use std::collections::HashSet;
use std::path::Path;

use super::Study;
use crate::error::Result;
use crate::results::{store, EpochRecord, RunRecord};

/// What [`take`] copied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// Runs copied now.
    pub runs: usize,
    /// Runs taken over earlier whose cell label or axes were the source study's, now this
    /// study's (tables written before take() relabelled).
    pub relabelled: usize,
}

/// Gives `run` this study's label and axes for its cell (an evaluated cell or a tuning
/// candidate); whether anything changed.
fn relabel(study: &Study, run: &mut RunRecord) -> bool {
    let Some(cell) = study.cell(&run.cell_id) else {
        return false;
    };
    if run.cell_label == cell.label && run.axes == cell.axes {
        return false;
    }
    run.cell_label.clone_from(&cell.label);
    run.axes.clone_from(&cell.axes);
    true
}

/// Copies into `runs`/`epochs` (this study's table of kind `tables`) the runs of the source
/// study's table of that kind under `results` whose cell is one of `cell_ids` and which are not
/// recorded yet; returns how many. The caller saves the tables.
pub fn take(
    study: &Study,
    results: &Path,
    tables: store::Tables,
    cell_ids: &HashSet<&str>,
    runs: &mut Vec<RunRecord>,
    epochs: &mut Vec<EpochRecord>,
) -> Result<Taken> {
    let Some(source) = &study.reuse else {
        return Ok(Taken::default());
    };
    let dir = results.join(source);
    if !dir.join(tables.runs).is_file() {
        return Ok(Taken::default());
    }
    let (source_runs, source_epochs) = store::load_tables(&dir, tables)?;
    let recorded: HashSet<(String, u64)> =
        runs.iter().map(|r| (r.cell_id.clone(), r.seed)).collect();
    let mut taken = Taken::default();
    for run in runs.iter_mut() {
        if cell_ids.contains(run.cell_id.as_str()) && relabel(study, run) {
            taken.relabelled += 1;
        }
    }
    for run in source_runs {
        if !cell_ids.contains(run.cell_id.as_str())
            || recorded.contains(&(run.cell_id.clone(), run.seed))
        {
            continue;
        }
        for e in crate::results::epochs_of(&source_epochs, &run.cell_id, run.seed) {
            let mut e = e.clone();
            e.study.clone_from(&study.name);
            epochs.push(e);
        }
        let mut run = run;
        run.study.clone_from(&study.name);
        relabel(study, &mut run);
        runs.push(run);
        taken.runs += 1;
    }
    Ok(taken)
}
