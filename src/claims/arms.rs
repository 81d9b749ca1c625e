//! The arms of a check: the study's cells a selector names, each with its runs by seed and what
//! scoring and gating need from its config (chance level, epoch budget, early stopping, hidden
//! widths): what measuring the arms' values and checking their gates read.

use std::collections::BTreeMap;

use crate::results::{EpochRecord, RunRecord};
use crate::study::grid::AxisValues;
use crate::study::Study;

/// Classes of a task without a `classes` key: Fashion-MNIST's ten.
pub const DEFAULT_CLASSES: usize = 10;

/// One recorded run with its epochs in order.
#[derive(Debug, Clone)]
pub struct ArmRun<'a> {
    /// The run.
    pub run: &'a RunRecord,
    /// Its epochs, by epoch.
    pub epochs: Vec<&'a EpochRecord>,
}

/// One cell of an arm.
#[derive(Debug, Clone)]
pub struct ArmCell<'a> {
    /// The cell's label.
    pub label: String,
    /// 1/classes of its task.
    pub chance: f64,
    /// Its epoch budget.
    pub budget: u32,
    /// Whether it stops early.
    pub early_stopping: bool,
    /// Its hidden layers' widths.
    pub hidden: Vec<usize>,
    /// Its runs by seed.
    pub runs: BTreeMap<u64, ArmRun<'a>>,
}

/// The cells of study `study` that `selector` names: exactly one, or with `pool` one or more.
/// The error says which cells there are: "no results for this cell" when none matches (a cell
/// the redesigned study will have, say).
pub fn cells<'a>(
    selector: &toml::Table,
    pool: bool,
    study: &Study,
    runs: &'a [RunRecord],
    epochs: &'a [EpochRecord],
    seeds: usize,
) -> Result<Vec<ArmCell<'a>>, String> {
    let pick = AxisValues::from_table(selector);
    let matching: Vec<_> = study
        .cells
        .iter()
        .filter(|c| pick.matches(&c.axes))
        .collect();
    let wanted = pick
        .0
        .iter()
        .map(|(axis, value)| format!("{axis} = {value}"))
        .collect::<Vec<_>>()
        .join(", ");
    if matching.is_empty() {
        let labels: Vec<&str> = study.cells.iter().map(|c| c.label.as_str()).collect();
        return Err(format!(
            "no results for this cell: study {} has no cell with {{{wanted}}} (its cells: {})",
            study.name,
            labels.join("; ")
        ));
    }
    if matching.len() > 1 && !pool {
        return Err(format!(
            "{} cells of study {} have {{{wanted}}}: name more axes, or pool them",
            matching.len(),
            study.name
        ));
    }
    Ok(matching
        .into_iter()
        .map(|cell| {
            let mut by_seed: BTreeMap<u64, ArmRun> = runs
                .iter()
                .filter(|r| r.cell_id == cell.id)
                .map(|r| {
                    (
                        r.seed,
                        ArmRun {
                            run: r,
                            epochs: Vec::new(),
                        },
                    )
                })
                .collect();
            // The first `seeds` seeds only (a sequential design judged at one of its looks).
            while by_seed.len() > seeds {
                by_seed.pop_last();
            }
            for e in epochs.iter().filter(|e| e.cell_id == cell.id) {
                if let Some(run) = by_seed.get_mut(&e.seed) {
                    run.epochs.push(e);
                }
            }
            for run in by_seed.values_mut() {
                run.epochs.sort_by_key(|e| e.epoch);
            }
            let config = &cell.config;
            ArmCell {
                label: cell.label.clone(),
                chance: 1.0 / config.classes.as_ref().map_or(DEFAULT_CLASSES, Vec::len) as f64,
                budget: config.epochs,
                early_stopping: config.early_stopping.is_some(),
                hidden: config.model.hidden.clone(),
                runs: by_seed,
            }
        })
        .collect())
}
