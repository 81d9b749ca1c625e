//! Tuning (`[tune]` in a study file): every arm (cell of the grid) gets the same search space and
//! budget; its tuning runs train on their own seeds (disjoint from the evaluation seeds) in
//! stages, each stage keeping the best candidates of the one before by the mean of a validation
//! metric; the best candidate of the last stage is the arm's setting for its evaluation runs.
//!
//! - this file: the `[tune]` table as written ([`TuneFile`]), its stages and metric, and the plan
//!   it gives for a study's arms ([`plan`] → [`Tuning`]: every candidate's run config per stage,
//!   as ordinary grid cells, so tuning runs are hashed and cached like any run);
//! - [`space`]: the search space of each key and the candidates a method draws from it;
//! - [`choice`]: the choice, a pure function of the recorded tuning runs;
//! - [`budget`]: what a tuning costs, in runs and estimated core-hours (`--dry-run`).
//!
//! Parsing the rest of the study file and running the runs stay in `spec` and `runner`.

pub mod budget;
pub mod choice;
pub mod space;

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::grid::{self, ArmTable, Cell};
use crate::config::RunConfig;
use crate::results::RunRecord;
use crate::zoo::schedule::ScheduleState;
pub use space::{KeySpace, Method, Spread};

/// The first tuning seed unless a study says otherwise: far above any evaluation seed.
pub const FIRST_SEED: u64 = 1000;

/// The `[tune]` table of a study file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuneFile {
    /// The validation metric that ranks candidates (default `best_val_acc`).
    #[serde(default)]
    pub metric: Metric,
    /// How candidates are drawn (default `grid`).
    #[serde(default)]
    pub method: Method,
    /// Candidates drawn by `halton`.
    pub trials: Option<Spanned<usize>>,
    /// The first tuning seed (default 1000); stage k trains seeds `first_seed ..
    /// first_seed + stages[k].seeds`.
    pub first_seed: Option<Spanned<u64>>,
    /// The stages (default: one stage of one seed).
    pub stages: Option<Spanned<Vec<Stage>>>,
    /// The tuned keys: dotted config keys and their values.
    pub space: Spanned<toml::Table>,
}

/// The validation metric a tuning ranks candidates by, per run; the test split is never seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The highest validation accuracy over the epochs (the default).
    #[default]
    BestValAcc,
    /// The validation accuracy after the last epoch.
    FinalValAcc,
    /// The lowest validation loss over the epochs (lower is better).
    BestValLoss,
    /// The validation loss after the last epoch (lower is better).
    FinalValLoss,
}

impl Metric {
    /// Its name in study files and result columns.
    pub fn name(self) -> &'static str {
        match self {
            Metric::BestValAcc => "best_val_acc",
            Metric::FinalValAcc => "final_val_acc",
            Metric::BestValLoss => "best_val_loss",
            Metric::FinalValLoss => "final_val_loss",
        }
    }

    /// Whether a higher value is better (accuracies) or a lower one (losses).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::BestValAcc | Metric::FinalValAcc)
    }

    /// What `run` scores: its metric, or for a run that diverged (or has no finite value)
    /// chance accuracy (`chance`) or an infinite loss.
    pub fn of(self, run: &RunRecord, chance: f64) -> f64 {
        let value = match self {
            Metric::BestValAcc => run.best_val_acc,
            Metric::FinalValAcc => run.final_val_acc,
            Metric::BestValLoss => run.best_val_loss,
            Metric::FinalValLoss => run.final_val_loss,
        };
        match (run.diverged || !value.is_finite(), self.higher_is_better()) {
            (false, _) => value,
            (true, true) => chance,
            (true, false) => f64::INFINITY,
        }
    }
}

/// One stage of a tuning: the candidates it trains and on how many seeds, for how long.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// The best `keep` candidates of the stage before go on (all of them when fewer); the first
    /// stage trains every candidate, so its `keep` may only be absent or at least their number.
    pub keep: Option<usize>,
    /// Tuning seeds every candidate of the stage has (`first_seed ..  first_seed + seeds`);
    /// runs an earlier stage of the same length recorded are reused.
    pub seeds: u64,
    /// The share of the run's epochs the stage trains (successive halving's rung), in
    /// [1/3, 1]; the last stage trains them all (1, the default).
    #[serde(default = "whole")]
    pub epochs_fraction: f64,
}

fn whole() -> f64 {
    1.0
}

impl Stage {
    /// The epochs a stage run trains when the run trains `epochs`: the fraction, rounded up.
    pub fn epochs(&self, epochs: u32) -> u32 {
        ((self.epochs_fraction * f64::from(epochs)).ceil() as u32).clamp(1, epochs)
    }
}

/// What `--quick` leaves of a tuning: at most `points` values per key (or `points` Halton
/// trials) and one stage of `seeds` seeds over every epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuickTune {
    /// Values per key, or trials.
    pub points: usize,
    /// Tuning seeds.
    pub seeds: u64,
}

/// A study's tuning plan: the same space and stages for every arm.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    /// The metric candidates are ranked by.
    pub metric: Metric,
    /// How candidates are drawn.
    pub method: Method,
    /// The first tuning seed.
    pub first_seed: u64,
    /// The stages, in order (the last trains every epoch).
    pub stages: Vec<Stage>,
    /// One per cell of the grid, in grid order.
    pub arms: Vec<Arm>,
}

impl Tuning {
    /// The tuning seeds of stage `stage`.
    pub fn seeds(&self, stage: usize) -> Range<u64> {
        self.first_seed..self.first_seed + self.stages[stage].seeds
    }

    /// Every cell any arm's tuning trains: each candidate's cell of each stage (a cell shared by
    /// stages of the same length appears once per stage).
    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.arms
            .iter()
            .flat_map(|arm| &arm.candidates)
            .flat_map(|candidate| &candidate.cells)
    }

    /// Every tuning seed any stage uses.
    pub fn all_seeds(&self) -> Range<u64> {
        let most = self.stages.iter().map(|s| s.seeds).max().unwrap_or(0);
        self.first_seed..self.first_seed + most
    }

    /// How many candidates each arm trains in stage `stage`: all in the first, then the best
    /// `keep` of the stage before.
    pub fn candidates_in(&self, stage: usize) -> usize {
        let mut n = self.arms.first().map_or(0, |a| a.candidates.len());
        for s in &self.stages[1..=stage] {
            n = s.keep.unwrap_or(n).min(n);
        }
        n
    }

    /// One line on how candidates are drawn: "a grid of 8 candidates", "16 Halton trials".
    pub fn method_text(&self) -> String {
        let n = self.arms.first().map_or(0, |a| a.candidates.len());
        match self.method {
            Method::Grid => format!("a grid of {n} candidates per arm"),
            Method::Halton => format!("{n} Halton (quasi-random) trials per arm"),
        }
    }

    /// One line on stage `stage`: "best 2 × tuning seeds 1000–1002, 20 epochs".
    pub fn stage_text(&self, stage: usize) -> String {
        let n = self.candidates_in(stage);
        let seeds = self.seeds(stage);
        let seeds = if seeds.end - seeds.start == 1 {
            format!("tuning seed {}", seeds.start)
        } else {
            format!("tuning seeds {}–{}", seeds.start, seeds.end - 1)
        };
        let who = if stage == 0 {
            format!("{n} candidates")
        } else {
            format!("the best {n}")
        };
        let epochs = self
            .arms
            .first()
            .map_or(0, |a| self.stages[stage].epochs(a.epochs));
        let full = self.arms.first().map_or(0, |a| a.epochs);
        let length = if epochs < full {
            format!("{epochs} of {full} epochs (successive halving)")
        } else {
            format!("{epochs} epochs")
        };
        format!("{who} × {seeds}, {length}")
    }
}

/// One arm: a cell of the grid and the candidate settings it is tuned over.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// The cell's label.
    pub label: String,
    /// The cell's (axis, value label) pairs.
    pub axes: Vec<(String, String)>,
    /// Chance accuracy of its task (1 / classes): a diverged tuning run's score.
    pub chance: f64,
    /// The epochs of its runs.
    pub epochs: u32,
    /// The tuned keys and their spreads (the study's space, with the arm's own keys).
    pub space: Vec<KeySpace>,
    /// The candidates, in the order the method drew them.
    pub candidates: Vec<Candidate>,
}

impl Arm {
    /// The distinct values key `k` takes among the candidates, ascending.
    pub fn searched(&self, k: usize) -> Vec<f64> {
        let mut values: Vec<f64> = self.candidates.iter().map(|c| c.values[k].1).collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values
    }

    /// The evaluation cell of candidate `c`: the arm's config with its values, every epoch.
    pub fn evaluation_cell(&self, c: usize) -> &Cell {
        self.candidates[c]
            .cells
            .last()
            .expect("a tuning has at least one stage")
    }
}

/// One candidate setting of an arm and the cell each stage trains for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// (dotted key, value), in the arm's key order.
    pub values: Vec<(String, f64)>,
    /// The cell stage k trains (its epochs), one per stage; stages of the same length share it.
    pub cells: Vec<Cell>,
}

/// Where a tuning error is in the study file.
#[derive(Debug, Clone, PartialEq)]
pub enum Where {
    /// At this span of the file.
    Span(Range<usize>),
    /// At the tuned key with this name.
    Key(String),
    /// At the `[tune]` table.
    Table,
}

/// A tuning error: where, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneError {
    /// Where it is.
    pub at: Where,
    /// What is wrong.
    pub message: String,
}

fn error(at: Where, message: impl Into<String>) -> TuneError {
    TuneError {
        at,
        message: message.into(),
    }
}

/// The tuning plan of `file` over the study's `arms` (`axes` are the grid's axis names), with
/// `--quick`'s shrinking when given; `evaluation_seeds` is how many evaluation seeds there are
/// (seeds 0 up to it), which the tuning seeds must stay clear of.
pub fn plan(
    file: &TuneFile,
    arms: &[ArmTable],
    axes: &[String],
    quick: Option<QuickTune>,
    evaluation_seeds: u64,
) -> Result<Tuning, TuneError> {
    let first_seed = file
        .first_seed
        .as_ref()
        .map_or(FIRST_SEED, |s| *s.get_ref());
    if first_seed < evaluation_seeds {
        return Err(error(
            file.first_seed.as_ref().map_or(Where::Table, |s| Where::Span(s.span())),
            format!(
                "tuning seeds start at {first_seed}, but the evaluation seeds are 0..{evaluation_seeds}: \
                 tuning seeds must be disjoint from them; set first_seed to {evaluation_seeds} or more"
            ),
        ));
    }
    let stages_at = file
        .stages
        .as_ref()
        .map_or(Where::Table, |s| Where::Span(s.span()));
    let mut stages = file
        .stages
        .as_ref()
        .map_or_else(|| vec![single_stage(1)], |s| s.get_ref().clone());
    check_stages(&stages).map_err(|m| error(stages_at.clone(), m))?;
    let mut trials = file.trials.as_ref().map(|t| *t.get_ref());
    if let Some(q) = quick {
        stages = vec![single_stage(q.seeds)];
        trials = trials.map(|t| t.min(q.points));
    }
    let trials_at = file
        .trials
        .as_ref()
        .map_or(Where::Table, |s| Where::Span(s.span()));

    let mut planned: Vec<Arm> = Vec::with_capacity(arms.len());
    for arm in arms {
        let label = arm.label();
        let mut entries: Vec<(String, toml::Value)> = flatten(file.space.get_ref());
        for (key, value) in arm.tune.as_ref().map(flatten).unwrap_or_default() {
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        if entries.is_empty() {
            return Err(error(
                Where::Span(file.space.span()),
                "[tune.space] names no key to tune: add e.g. \"optimizer.learning_rate\" = \
                 { log = [1e-4, 1e-1], points = 8 }",
            ));
        }
        let mut space = Vec::with_capacity(entries.len());
        for (key, value) in &entries {
            if axes.iter().any(|a| a == key) {
                return Err(error(
                    Where::Key(key.clone()),
                    format!("'{key}' is a grid axis and a tuned key: tune it or vary it, not both"),
                ));
            }
            let mut key_space = KeySpace::parse(key, value)
                .map_err(|m| error(Where::Key(key.clone()), format!("tuned key '{key}': {m}")))?;
            if let Some(q) = quick {
                key_space.shrink(q.points);
            }
            space.push(key_space);
        }
        let values = space::candidates(&space, file.method, trials).map_err(|m| {
            let at = if m.contains("trials") {
                trials_at.clone()
            } else {
                Where::Table
            };
            error(at, m)
        })?;
        planned.push(arm_plan(arm, &label, space, values, &stages)?);
    }
    check_equal_budgets(&planned, &stages).map_err(|m| error(Where::Table, m))?;
    Ok(Tuning {
        metric: file.metric,
        method: file.method,
        first_seed,
        stages,
        arms: planned,
    })
}

fn single_stage(seeds: u64) -> Stage {
    Stage {
        keep: None,
        seeds,
        epochs_fraction: 1.0,
    }
}

/// The keys of a space table: `"a.b" = …` as written, or `a.b = …` (which TOML reads as nested
/// tables) flattened back; a table holding `log`, `linear` or `points` is an entry, not a level.
fn flatten(table: &toml::Table) -> Vec<(String, toml::Value)> {
    let mut out = Vec::new();
    let mut pending: Vec<(String, &toml::Value)> =
        table.iter().rev().map(|(k, v)| (k.clone(), v)).collect();
    while let Some((key, value)) = pending.pop() {
        match value.as_table() {
            Some(t)
                if !["log", "linear", "points"]
                    .iter()
                    .any(|k| t.contains_key(*k)) =>
            {
                pending.extend(t.iter().rev().map(|(k, v)| (format!("{key}.{k}"), v)));
            }
            _ => out.push((key, value.clone())),
        }
    }
    out
}

/// Checks the stages on their own: seeds, fractions (successive halving's rungs of at least a
/// third of the epochs, the last stage whole, never shorter than the one before) and keeps.
fn check_stages(stages: &[Stage]) -> Result<(), String> {
    let Some(last) = stages.last() else {
        return Err("stages needs at least one stage, e.g. stages = [{ seeds = 1 }]".into());
    };
    for (k, stage) in stages.iter().enumerate() {
        let name = format!("stage {}", k + 1);
        if stage.seeds == 0 {
            return Err(format!("{name}: seeds must be at least 1"));
        }
        if stage.keep == Some(0) {
            return Err(format!("{name}: keep must be at least 1"));
        }
        let f = stage.epochs_fraction;
        if !(f.is_finite() && (1.0 / 3.0..=1.0).contains(&f)) {
            return Err(format!(
                "{name}: epochs_fraction must be in [1/3, 1] (successive halving's rungs train \
                 at least a third of the epochs), got {f}"
            ));
        }
        if k > 0 && f < stages[k - 1].epochs_fraction {
            return Err(format!(
                "{name}: epochs_fraction {f} is shorter than the stage before's"
            ));
        }
    }
    if last.epochs_fraction != 1.0 {
        return Err(format!(
            "the last stage must train every epoch (epochs_fraction = 1), got {}",
            last.epochs_fraction
        ));
    }
    Ok(())
}

/// One arm's plan: its candidates' cells per stage, checked.
fn arm_plan(
    arm: &ArmTable,
    label: &str,
    space: Vec<KeySpace>,
    values: Vec<Vec<f64>>,
    stages: &[Stage],
) -> Result<Arm, TuneError> {
    let epochs = arm
        .table
        .get("epochs")
        .and_then(toml::Value::as_integer)
        .map_or(1, |e| e.max(1) as u32);
    if let Some(keep) = stages[0].keep {
        if keep < values.len() {
            return Err(error(
                Where::Table,
                format!(
                    "stage 1 trains every candidate ({}), so its keep ({keep}) may only be left out",
                    values.len()
                ),
            ));
        }
    }
    let mut candidates: Vec<Candidate> = Vec::with_capacity(values.len());
    for value in values {
        let mut table = arm.table.clone();
        let mut set = Vec::with_capacity(space.len());
        for (key, &v) in space.iter().zip(&value) {
            set.push((key.key.clone(), set_tuned(&mut table, &key.key, v)));
        }
        if candidates.iter().any(|c| c.values == set) {
            // An integer key rounded two values together: one candidate.
            continue;
        }
        let mut cells: Vec<Cell> = Vec::with_capacity(stages.len());
        for (k, stage) in stages.iter().enumerate() {
            let stage_epochs = stage.epochs(epochs);
            if let Some(same) = (0..k).find(|&j| stages[j].epochs(epochs) == stage_epochs) {
                let cell = cells[same].clone();
                cells.push(cell);
                continue;
            }
            let mut rung = table.clone();
            if stage_epochs < epochs {
                rung.insert("epochs".into(), i64::from(stage_epochs).into());
            }
            let cell = grid::resolve(rung, &arm.axes, set.clone()).map_err(|m| {
                let values: Vec<String> = set.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                let key = set.first().map_or(String::new(), |(k, _)| k.clone());
                error(
                    Where::Key(key),
                    format!("arm '{label}' with {}: {m}", values.join(", ")),
                )
            })?;
            cells.push(cell);
        }
        let full = &cells[cells.len() - 1].config;
        for (k, stage) in stages.iter().enumerate() {
            let stage_epochs = stage.epochs(epochs);
            if stage_epochs < epochs && schedule_depends_on_length(full, stage_epochs) {
                return Err(error(
                    Where::Table,
                    format!(
                        "stage {} trains {stage_epochs} of {epochs} epochs, but arm '{label}''s \
                         schedule depends on the run's total length (as 1cycle does): a shortened \
                         run follows another schedule. Tune it without successive halving \
                         (epochs_fraction = 1)",
                        k + 1
                    ),
                ));
            }
        }
        candidates.push(Candidate { values: set, cells });
    }
    Ok(Arm {
        label: label.to_string(),
        axes: arm.axes.clone(),
        chance: 1.0
            / candidates[0].cells[0]
                .config
                .classes
                .as_ref()
                .map_or(10, Vec::len) as f64,
        epochs,
        space,
        candidates,
    })
}

/// Sets the dotted `key` of a run config table to `value` and returns the value set: a key
/// whose current value is an integer gets the nearest integer; a technique written as a bare
/// name on the way (`optimizer = "adam"`) becomes its table (`{ name = "adam" }`) first.
pub fn set_tuned(table: &mut toml::Table, key: &str, value: f64) -> f64 {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::String(name) = entry {
            let named =
                toml::Table::from_iter([("name".to_string(), toml::Value::from(name.clone()))]);
            *entry = toml::Value::Table(named);
        }
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        current = entry.as_table_mut().expect("just made a table");
    }
    match current.get(last) {
        Some(toml::Value::Integer(_)) => {
            let rounded = value.round();
            current.insert(last.to_string(), (rounded as i64).into());
            rounded
        }
        _ => {
            current.insert(last.to_string(), value.into());
            value
        }
    }
}

/// Whether the learning rate (or momentum) of `config`'s schedule over the first `rung` epochs
/// differs between a run of all its epochs and one of `rung` epochs: a schedule tied to the
/// total budget (1cycle), which successive halving must not shorten. Steps per epoch as for
/// the run's training subset (all 55,000 images without one).
fn schedule_depends_on_length(config: &RunConfig, rung: u32) -> bool {
    let Some(schedule) = &config.schedule else {
        return false;
    };
    let images = config.train_subset.unwrap_or(55_000).min(55_000) as u64;
    let per_epoch = images.div_ceil(config.batch_size as u64).max(1);
    let base = config.optimizer.learning_rate();
    let full = ScheduleState::new(schedule, base, per_epoch * u64::from(config.epochs));
    let short = ScheduleState::new(schedule, base, per_epoch * u64::from(rung));
    (0..per_epoch * u64::from(rung)).any(|t| {
        let epoch = (t / per_epoch) as u32 + 1;
        full.learning_rate(t, epoch) != short.learning_rate(t, epoch)
            || full.momentum(t) != short.momentum(t)
    })
}

/// Every arm must get the same budget: the same number of candidates (the stages are shared).
fn check_equal_budgets(arms: &[Arm], stages: &[Stage]) -> Result<(), String> {
    let _ = stages;
    if let Some((first, rest)) = arms.split_first() {
        if let Some(other) = rest
            .iter()
            .find(|a| a.candidates.len() != first.candidates.len())
        {
            return Err(format!(
                "arm '{}' has {} candidates but arm '{}' has {}: every arm gets the same budget",
                first.label,
                first.candidates.len(),
                other.label,
                other.candidates.len()
            ));
        }
    }
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for arm in arms {
        for candidate in &arm.candidates {
            for cell in &candidate.cells {
                if let Some((_, twin)) = seen
                    .iter()
                    .find(|(id, label)| *id == cell.id && *label != arm.label)
                {
                    return Err(format!(
                        "arms '{twin}' and '{}' tune to the same run config ({}): the tuned keys \
                         erase what tells them apart",
                        arm.label, cell.id
                    ));
                }
                seen.push((&cell.id, &arm.label));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuned_values_go_into_technique_tables_and_integer_keys_stay_integers() {
        let mut table: toml::Table =
            toml::from_str("epochs = 3\noptimizer = \"adam\"\nbatch_size = 32\n").unwrap();
        assert_eq!(set_tuned(&mut table, "optimizer.learning_rate", 0.01), 0.01);
        assert_eq!(
            table["optimizer"].as_table().unwrap()["name"].as_str(),
            Some("adam"),
            "the bare name became a table that keeps it"
        );
        assert_eq!(set_tuned(&mut table, "batch_size", 63.6), 64.0);
        assert_eq!(table["batch_size"].as_integer(), Some(64));
        assert_eq!(set_tuned(&mut table, "weight_decay", 1e-4), 1e-4);
        assert_eq!(table["weight_decay"].as_float(), Some(1e-4));
    }

    #[test]
    fn stages_are_checked() {
        let stage = |keep, seeds, epochs_fraction| Stage {
            keep,
            seeds,
            epochs_fraction,
        };
        assert!(check_stages(&[stage(None, 1, 1.0), stage(Some(2), 3, 1.0)]).is_ok());
        assert!(check_stages(&[stage(None, 1, 0.34), stage(Some(2), 3, 1.0)]).is_ok());
        let e = |s: &[Stage]| check_stages(s).unwrap_err();
        assert!(e(&[]).contains("at least one stage"));
        assert!(e(&[stage(None, 0, 1.0)]).contains("seeds must be at least 1"));
        assert!(e(&[stage(None, 1, 0.25), stage(None, 1, 1.0)]).contains("[1/3, 1]"));
        assert!(e(&[stage(None, 1, 0.5)]).contains("last stage must train every epoch"));
        assert!(e(&[
            stage(None, 1, 0.5),
            stage(Some(2), 1, 0.4),
            stage(Some(1), 1, 1.0)
        ])
        .contains("shorter than the stage before"));
        assert!(e(&[stage(None, 1, 1.0), stage(Some(0), 1, 1.0)]).contains("keep"));
        assert_eq!(stage(None, 1, 0.34).epochs(20), 7);
        assert_eq!(stage(None, 1, 1.0).epochs(20), 20);
    }

    #[test]
    fn a_space_written_with_bare_dotted_keys_is_flattened() {
        let table: toml::Table = toml::from_str(
            "optimizer.learning_rate = { log = [1e-3, 1e-1], points = 3 }\n\
             \"model.dropout.rate\" = [0.1, 0.2]\nweight_decay = { linear = [0, 1] }",
        )
        .unwrap();
        let keys: Vec<String> = flatten(&table).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "optimizer.learning_rate",
                "model.dropout.rate",
                "weight_decay"
            ]
        );
    }

    #[test]
    fn a_diverged_or_non_finite_run_scores_chance_or_an_infinite_loss() {
        let mut run = crate::results::store::tests::run(0, false);
        assert_eq!(Metric::BestValAcc.of(&run, 0.1), run.best_val_acc);
        assert_eq!(Metric::FinalValLoss.of(&run, 0.1), run.final_val_loss);
        run.diverged = true;
        assert_eq!(
            Metric::BestValAcc.of(&run, 0.1),
            0.1,
            "even with a finite best"
        );
        assert_eq!(Metric::BestValLoss.of(&run, 0.1), f64::INFINITY);
        run.diverged = false;
        run.final_val_acc = f64::NAN;
        assert_eq!(Metric::FinalValAcc.of(&run, 0.5), 0.5);
    }
}
