//! Study files: TOML → a checked [`Study`] (base config, grid axes, seeds, baseline cell). Every
//! error names the file, the line and column, and where there is a fixed set of names, the valid
//! choices and the nearest one.
//!
//! ```toml
//! description = "one line shown by `trainbench list`"
//! seeds = 10                       # seeds 0..10
//! baseline = { optimizer = "sgd" } # the cell every other cell is compared with
//!
//! [base]                           # a full run config (see RunConfig)
//! epochs = 20
//! batch_size = 32
//! optimizer = "sgd"                # or { name = "sgd", learning_rate = 0.05 }
//! model = { hidden = [300, 100], activation = "relu", initializer = "he_normal" }
//!
//! [grid]                           # each axis replaces a key of [base]; cells = cross product
//! optimizer = ["sgd", "adam"]      # dotted keys reach inside: "model.activation" = [...]
//!
//! [quick]                          # what --quick changes (these are the defaults)
//! train_subset = 5000
//! epochs = 3
//! seeds = 3
//! tune_points = 3                  # values per tuned key (or Halton trials)
//! tune_seeds = 1                   # one tuning stage of this many seeds
//!
//! [tune]                           # optional: tune every arm (cell) alike, see study::tune
//! stages = [{ seeds = 1 }, { keep = 2, seeds = 3 }]
//! [tune.space]
//! "optimizer.learning_rate" = { log = [1e-4, 1e-1], points = 8 }
//! ```
//!
//! `seed_axes = ["init", "order"]` (optional) varies those sources of randomness apart: each
//! takes `seeds` values and every combination is a run (the other sources stay at seed 0).

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::grid::{self, Cell};
use super::rules;
use super::tune::{self, choice, QuickTune, TuneFile, Tuning, Where};
use crate::config::{Numerics, RunConfig};
use crate::error::{Error, Result};
use crate::results::RunRecord;
use crate::seed::{Seeds, Source};

/// What `--quick` changes, from the study's `[quick]` table or the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quick {
    /// Training images used (default 5,000).
    #[serde(default = "quick_subset")]
    pub train_subset: usize,
    /// Epochs (default 3).
    #[serde(default = "quick_epochs")]
    pub epochs: u32,
    /// Seeds (default 3).
    #[serde(default = "quick_seeds")]
    pub seeds: u64,
    /// Values per tuned key, or Halton trials (default 3).
    #[serde(default = "quick_seeds_usize")]
    pub tune_points: usize,
    /// Tuning seeds, in one stage over every epoch (default 1).
    #[serde(default = "one")]
    pub tune_seeds: u64,
}

impl Quick {
    /// Shortens a run's table: the quick epochs and training images, and a pretraining stage
    /// capped likewise (its freezing ending before the shortened run does).
    fn shorten(&self, table: &mut toml::Table, epochs: Option<u32>) {
        let epochs = epochs.unwrap_or(self.epochs);
        table.insert("train_subset".into(), (self.train_subset as i64).into());
        table.insert("epochs".into(), i64::from(epochs).into());
        self.shorten_pretraining(table, epochs);
    }

    /// Caps a cell's pretraining stage (set in [base] or by an axis) to the quick size.
    fn shorten_pretraining(&self, table: &mut toml::Table, epochs: u32) {
        if let Some(toml::Value::Table(p)) = table.get_mut("pretrain") {
            let cap = |p: &mut toml::Table, key: &str, max: i64| {
                let v = p.get(key).and_then(toml::Value::as_integer).unwrap_or(max);
                p.insert(key.into(), v.min(max).into());
            };
            cap(p, "epochs", i64::from(epochs));
            cap(p, "train_subset", self.train_subset as i64);
            if p.contains_key("freeze_epochs") {
                cap(p, "freeze_epochs", i64::from(epochs) - 1);
            }
        }
    }
}

fn quick_subset() -> usize {
    5000
}
fn quick_epochs() -> u32 {
    3
}
fn quick_seeds() -> u64 {
    3
}
fn quick_seeds_usize() -> usize {
    3
}
fn one() -> u64 {
    1
}

impl Default for Quick {
    fn default() -> Self {
        Quick {
            train_subset: quick_subset(),
            epochs: quick_epochs(),
            seeds: quick_seeds(),
            tune_points: quick_seeds_usize(),
            tune_seeds: one(),
        }
    }
}

/// Command-line changes to a study's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Overrides {
    /// `--seeds N`.
    pub seeds: Option<u64>,
    /// `--epochs E`.
    pub epochs: Option<u32>,
    /// `--quick`.
    pub quick: bool,
    /// `--numerics N`: every cell's numerics version, replacing the study file's (which
    /// defaults to [`Numerics::FOR_NEW_STUDIES`]).
    pub numerics: Option<u32>,
}

/// The file as written, with the spans needed for error messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyFile {
    description: String,
    seeds: Spanned<u64>,
    baseline: Option<Spanned<toml::Table>>,
    base: Spanned<toml::Table>,
    #[serde(default)]
    grid: toml::Table,
    quick: Option<Quick>,
    seed_axes: Option<Spanned<Vec<Source>>>,
    tune: Option<TuneFile>,
    /// `[[where]]`: settings for the cells with given axis values ([`super::rules`]).
    #[serde(default, rename = "where")]
    where_rules: Vec<Spanned<toml::Table>>,
    /// Another study whose recorded runs of the same cells are taken over ([`super::reuse`]).
    reuse: Option<Spanned<String>>,
}

/// A checked study: its cells (grid order), seeds and baseline.
#[derive(Debug, Clone)]
pub struct Study {
    /// Name (the file stem).
    pub name: String,
    /// The study file.
    pub path: PathBuf,
    /// One-line description.
    pub description: String,
    /// The seeds every cell runs with (with `seed_axes`, the runs' indices; see
    /// [`Study::run_seeds`]).
    pub seeds: Vec<u64>,
    /// The sources of randomness varied apart (`seed_axes`; empty: every stream follows the
    /// run's seed).
    pub seed_axes: Vec<Source>,
    /// How many seeds each of `seed_axes` takes (0..levels).
    pub seed_levels: u64,
    /// Names of the grid axes, in file order.
    pub axes: Vec<String>,
    /// The cells, first axis varying slowest. In a tuned study these are the arms before
    /// tuning (their configs hold the untuned values, so their ids are not the evaluation
    /// cells' ids): [`Study::evaluated`] gives the cells with each arm's chosen setting.
    pub cells: Vec<Cell>,
    /// Index into `cells` of the baseline.
    pub baseline: usize,
    /// The tuning plan of a study with `[tune]`.
    pub tuning: Option<Tuning>,
    /// `reuse`: the study whose recorded runs of this study's cells are taken over instead of
    /// trained ([`super::reuse`]).
    pub reuse: Option<String>,
}

/// A tuned study whose tuning is not done: how many arms are still tuning and the tuning runs
/// they still need for their next stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecided {
    /// Arms without a choice yet.
    pub arms: usize,
    /// Tuning runs their next stages need.
    pub runs: usize,
}

impl Study {
    /// The baseline cell.
    pub fn baseline_cell(&self) -> &Cell {
        &self.cells[self.baseline]
    }

    /// Every cell a run of this study can belong to: its evaluated cells, then its tuning
    /// candidates.
    pub fn all_cells(&self) -> impl Iterator<Item = &Cell> {
        let tuned = self.tuning.iter().flat_map(|t| t.cells());
        self.cells.iter().chain(tuned)
    }

    /// The cell `id` among [`Study::all_cells`].
    pub fn cell(&self, id: &str) -> Option<&Cell> {
        self.all_cells().find(|c| c.id == id)
    }

    /// The datasets the cells train on, each once, in grid order (the default dataset's name
    /// included when a cell uses it).
    pub fn datasets(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for cell in self.all_cells() {
            if !names.contains(&cell.config.dataset.as_str()) {
                names.push(&cell.config.dataset);
            }
        }
        names
    }

    /// The numerics version of every cell (a study has one: [`parse`] refuses a mix).
    pub fn numerics(&self) -> Numerics {
        self.cells[self.baseline].config.numerics
    }

    /// The seeds of run `run`'s streams: all `run` in a plain study; with `seed_axes`, run k's
    /// digits in base `seed_levels` (the first axis slowest) seed the named sources and the
    /// others stay at 0, so run 0 is the plain run with seed 0.
    pub fn run_seeds(&self, run: u64) -> Seeds {
        if self.seed_axes.is_empty() {
            return Seeds::all(run);
        }
        let mut seeds = Seeds::all(0);
        let mut rest = run;
        for &source in self.seed_axes.iter().rev() {
            seeds.set(source, rest % self.seed_levels);
            rest /= self.seed_levels;
        }
        seeds
    }

    /// What a run's record holds of [`Study::run_seeds`]: every source's seed when the study
    /// varies them apart, nothing otherwise (then every stream follows the run's seed).
    pub fn seed_streams(&self, run: u64) -> Vec<(String, u64)> {
        if self.seed_axes.is_empty() {
            return Vec::new();
        }
        let seeds = self.run_seeds(run);
        Source::ALL
            .iter()
            .map(|&s| (s.name().to_string(), seeds.of(s)))
            .collect()
    }

    /// The study as evaluated: an untuned study as it is; a tuned one with each arm's cell
    /// holding its chosen setting (from the recorded `tuning_runs`), once every arm is decided.
    pub fn evaluated(&self, tuning_runs: &[RunRecord]) -> std::result::Result<Study, Undecided> {
        let Some(tuning) = &self.tuning else {
            return Ok(self.clone());
        };
        let mut cells = Vec::with_capacity(tuning.arms.len());
        let mut undecided = Undecided { arms: 0, runs: 0 };
        for arm in &tuning.arms {
            let decision = choice::decide(tuning, arm, tuning_runs);
            match decision.chosen {
                Some(c) => cells.push(arm.evaluation_cell(c).clone()),
                None => {
                    undecided.arms += 1;
                    undecided.runs += decision.missing.len();
                }
            }
        }
        if undecided.arms > 0 {
            return Err(undecided);
        }
        Ok(Study {
            cells,
            ..self.clone()
        })
    }
}

/// Reads and checks the study file at `path`.
pub fn load(path: &Path, overrides: Overrides) -> Result<Study> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
    parse(path, &text, overrides)
}

/// Parses study-file text (`path` is only used in messages).
pub fn parse(path: &Path, text: &str, overrides: Overrides) -> Result<Study> {
    let at = |span: Option<Range<usize>>, message: String| -> Error {
        let (line, column) = span.map_or((0, 0), |s| line_column(text, s.start));
        Error::StudyFile {
            path: path.to_path_buf(),
            line,
            column,
            message: with_suggestion(&message),
        }
    };
    let file: StudyFile = toml::from_str(text).map_err(|e| at(e.span(), e.message().into()))?;

    let base_span = file.base.span();
    let mut base = file.base.into_inner();
    let quick = file.quick.unwrap_or_default();
    if overrides.quick {
        quick.shorten(&mut base, overrides.epochs);
    }
    if let Some(epochs) = overrides.epochs {
        base.insert("epochs".into(), i64::from(epochs).into());
    }
    // The numerics version: the command line's, else the file's, else the one for new studies
    // (see `Numerics` for why this default is not what an absent key means).
    match overrides.numerics {
        Some(version) => {
            Numerics::try_from(version).map_err(|e| Error::invalid("--numerics", e))?;
            base.insert("numerics".into(), i64::from(version).into());
        }
        None => {
            base.entry("numerics")
                .or_insert_with(|| i64::from(Numerics::FOR_NEW_STUDIES.get()).into());
        }
    }
    // The base alone must be a valid run config. Reading it again from the text gives the exact
    // line of a bad key; the table form (with command-line overrides) catches the rest.
    #[derive(Deserialize)]
    struct BaseOnly {
        #[allow(dead_code)]
        base: RunConfig,
    }
    if let Err(e) = toml::from_str::<BaseOnly>(text) {
        return Err(at(e.span(), format!("[base]: {}", e.message())));
    }
    let base_config: RunConfig =
        toml::Value::Table(base.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                at(Some(base_span.clone()), format!("[base]: {}", e.message()))
            })?;
    base_config
        .check()
        .map_err(|e| at(Some(base_span.clone()), format!("[base]: {e}")))?;

    let seeds = match (overrides.seeds, overrides.quick) {
        (Some(n), _) => n,
        (None, true) => quick.seeds,
        (None, false) => *file.seeds.get_ref(),
    };
    if seeds == 0 {
        return Err(at(
            Some(file.seeds.span()),
            "seeds must be at least 1".into(),
        ));
    }
    // The seeds are listed one by one: a huge count would not fit in memory.
    if seeds > MAX_RUNS_PER_CELL {
        return Err(at(
            Some(file.seeds.span()),
            format!("seeds = {seeds} is more than {MAX_RUNS_PER_CELL} runs per cell"),
        ));
    }
    let seed_axes: Vec<Source> = file
        .seed_axes
        .as_ref()
        .map_or_else(Vec::new, |s| s.get_ref().clone());
    let seed_axes_span = file.seed_axes.as_ref().map(|s| s.span());
    if let Some(twice) = seed_axes
        .iter()
        .enumerate()
        .find(|(i, s)| seed_axes[..*i].contains(s))
    {
        return Err(at(
            seed_axes_span.clone(),
            format!("seed_axes names '{}' twice", twice.1.name()),
        ));
    }
    // With seed axes every combination of their seeds is a run; without, each seed is one.
    let runs_per_cell = match seed_axes.len() {
        0 => Some(seeds),
        k => (1..k).try_fold(seeds, |n, _| {
            n.checked_mul(seeds).filter(|&n| n <= MAX_RUNS_PER_CELL)
        }),
    };
    let Some(runs_per_cell) = runs_per_cell else {
        return Err(at(
            seed_axes_span,
            format!(
                "seed_axes: {seeds} seeds for each of {} sources is more than \
                 {MAX_RUNS_PER_CELL} runs per cell",
                seed_axes.len()
            ),
        ));
    };

    let mut axes = Vec::new();
    // An unquoted dotted axis (`model.activation = [...]`) arrives as nested tables: flatten.
    // A stack: pushed in reverse so axes come off it in file order.
    let mut pending: Vec<(String, &toml::Value)> = file
        .grid
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v))
        .collect();
    while let Some((name, value)) = pending.pop() {
        if let (Some(table), false) = (value.as_table(), name == grid::VARIANT_AXIS) {
            pending.extend(table.iter().rev().map(|(k, v)| (format!("{name}.{k}"), v)));
            continue;
        }
        let values = value.as_array().filter(|v| !v.is_empty()).ok_or_else(|| {
            at(
                find_grid_key_span(text, &name),
                format!("grid axis '{name}' must be a non-empty list of values"),
            )
        })?;
        axes.push((name, values.clone()));
    }
    let mut where_rules = Vec::new();
    for (i, entry) in file.where_rules.iter().enumerate() {
        let rule = rules::parse(entry.get_ref(), &axes).map_err(|e| {
            at(
                Some(entry.span()),
                format!("[[where]] number {}: {e}", i + 1),
            )
        })?;
        where_rules.push(rule);
    }
    let quick_table = overrides.quick.then_some(quick);
    let adjust = |table: &mut toml::Table, labels: &[(String, String)]| {
        let mut ruled = false;
        for rule in where_rules.iter().filter(|r| r.matches(labels)) {
            rule.apply(table);
            ruled = true;
        }
        // A rule never lengthens a shortened run: --epochs and --quick's size win over it.
        if ruled {
            let capped = |table: &mut toml::Table, key: &str, max: i64| {
                if let Some(v) = table.get(key).and_then(toml::Value::as_integer) {
                    table.insert(key.into(), v.min(max).into());
                }
            };
            if let Some(epochs) = overrides.epochs {
                table.insert("epochs".into(), i64::from(epochs).into());
            }
            if let Some(q) = &quick_table {
                let epochs = overrides.epochs.unwrap_or(q.epochs);
                capped(table, "epochs", i64::from(epochs));
                capped(table, "train_subset", q.train_subset as i64);
            }
        }
        // [base] is already shortened; an axis that sets train_subset or epochs wins.
        if let Some(q) = &quick_table {
            let epochs = table
                .get("epochs")
                .and_then(toml::Value::as_integer)
                .map_or(q.epochs, |e| e as u32);
            q.shorten_pretraining(table, epochs);
        }
    };
    let cells = grid::expand(&base, &axes, &adjust).map_err(|(axis, index, message)| {
        at(
            find_value_span(text, &axis, index).or_else(|| find_grid_key_span(text, &axis)),
            format!("grid axis '{axis}', value {}: {message}", index + 1),
        )
    })?;

    // Results of different numerics versions never mix, not even across the cells of a study.
    if let Some(odd) = cells
        .iter()
        .find(|c| c.config.numerics != cells[0].config.numerics)
    {
        return Err(at(
            find_key_span(text, "grid", "numerics").or_else(|| find_table_span(text, "grid")),
            format!(
                "cells {} and {} have numerics versions {} and {}: results of different \
                 versions never mix; run the study once per version (--numerics N) into \
                 separate --results directories",
                cells[0].label, odd.label, cells[0].config.numerics, odd.config.numerics
            ),
        ));
    }

    if seed_axes.contains(&Source::Subset)
        && cells.iter().all(|c| c.config.train_subset_draw.is_first())
    {
        return Err(at(
            file.seed_axes.as_ref().map(|s| s.span()),
            "seed axis 'subset' varies nothing: no cell draws its training subset (add \
             train_subset_draw = \"random\" or \"stratified\" with a train_subset)"
                .into(),
        ));
    }

    let axis_names: Vec<String> = axes.iter().map(|(name, _)| name.clone()).collect();
    let tuning = match &file.tune {
        None => None,
        Some(tune_file) => {
            let arms = grid::arms(&base, &axes, &adjust).map_err(|(axis, index, message)| {
                at(
                    find_value_span(text, &axis, index).or_else(|| find_grid_key_span(text, &axis)),
                    format!("grid axis '{axis}', value {}: {message}", index + 1),
                )
            })?;
            let quick_tune = overrides.quick.then_some(QuickTune {
                points: quick.tune_points,
                seeds: quick.tune_seeds,
            });
            let plan = tune::plan(tune_file, &arms, &axis_names, quick_tune, runs_per_cell)
                .map_err(|e| {
                    let span = match e.at {
                        Where::Span(span) => Some(span),
                        Where::Key(key) => find_tune_key_span(text, &key),
                        Where::Table => find_table_span(text, "tune"),
                    };
                    at(span, format!("[tune]: {}", e.message))
                })?;
            Some(plan)
        }
    };
    if tuning.is_none() {
        if let Some((axis, index)) = axes.iter().find_map(|(name, values)| {
            (name == grid::VARIANT_AXIS)
                .then(|| {
                    values.iter().position(|v| {
                        v.as_table()
                            .is_some_and(|t| t.contains_key(grid::VARIANT_TUNE_KEY))
                    })
                })
                .flatten()
                .map(|i| (name.clone(), i))
        }) {
            return Err(at(
                find_value_span(text, &axis, index).or_else(|| find_grid_key_span(text, &axis)),
                format!(
                    "grid axis '{axis}', value {}: a variant's `tune` adds keys to the study's \
                     [tune] table, which this study has not",
                    index + 1
                ),
            ));
        }
    }

    let baseline = match &file.baseline {
        None => 0,
        Some(spanned) => {
            let wanted = grid::AxisValues::from_table(spanned.get_ref());
            cells
                .iter()
                .position(|cell| wanted.matches(&cell.axes))
                .ok_or_else(|| {
                    let labels: Vec<&str> = cells.iter().map(|c| c.label.as_str()).collect();
                    at(
                        Some(spanned.span()),
                        format!("baseline matches no cell; cells: {}", labels.join(", ")),
                    )
                })?
        }
    };

    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reuse = match file.reuse {
        None => None,
        Some(source) => {
            let valid = !source.get_ref().is_empty()
                && source
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && *source.get_ref() != name;
            if !valid {
                return Err(at(
                    Some(source.span()),
                    format!(
                        "reuse = \"{}\" must name another study (its file stem, as \
                         `trainbench study NAME` takes it)",
                        source.get_ref()
                    ),
                ));
            }
            Some(source.into_inner())
        }
    };
    Ok(Study {
        name,
        path: path.to_path_buf(),
        description: file.description,
        seeds: (0..runs_per_cell).collect(),
        seed_axes,
        seed_levels: seeds,
        axes: axis_names,
        cells,
        baseline,
        tuning,
        reuse,
    })
}

/// The most runs per cell `seed_axes` may make.
const MAX_RUNS_PER_CELL: u64 = 100_000;

/// Where a tuned key is written: in `[tune.space]` (or a `[tune]` table's `space`), else
/// anywhere (a variant's own `tune`); the `[tune]` table when it is found nowhere.
fn find_tune_key_span(text: &str, key: &str) -> Option<Range<usize>> {
    let last = key.rsplit('.').next().unwrap_or(key);
    find_key_span(text, "tune.space", &format!("\"{key}\""))
        .or_else(|| find_key_span(text, "tune.space", last))
        .or_else(|| {
            text.find(&format!("\"{key}\""))
                .map(|i| i..i + key.len() + 2)
        })
        .or_else(|| find_table_span(text, "tune"))
}

/// Where the grid axis `name` (`optimizer` or a dotted `optimizer.learning_rate`) is written:
/// as a quoted dotted key, else its last part as a key of `[grid]` (or a `[grid.…]` table),
/// else the `[grid]` table itself, so that an error always has a place.
fn find_grid_key_span(text: &str, name: &str) -> Option<Range<usize>> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let quoted = format!("\"{name}\"");
    let grid = find_table_span(text, "grid");
    grid.as_ref()
        .and_then(|g| text[g.start..].find(&quoted).map(|i| g.start + i))
        .map(|i| i..i + quoted.len())
        .or_else(|| find_key_span(text, "grid", last))
        .or(grid)
}

/// Where the table header `[name]` (or `[name.…]`) is written.
fn find_table_span(text: &str, name: &str) -> Option<Range<usize>> {
    let at = text
        .find(&format!("[{name}]"))
        .or_else(|| text.find(&format!("[{name}.")))?;
    Some(at..at + name.len() + 2)
}

/// 1-based line and column of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// Where `key = ` is written inside `[table]` (best effort; None if not found).
fn find_key_span(text: &str, table: &str, key: &str) -> Option<Range<usize>> {
    let start = text.find(&format!("[{table}]"))?;
    let rel = text[start..]
        .find(&format!("{key} "))
        .or_else(|| text[start..].find(&format!("\"{key}\"")))?;
    Some(start + rel..start + rel + key.len())
}

/// The span of the `index`-th value of grid axis `axis`, found by re-parsing with spans.
fn find_value_span(text: &str, axis: &str, index: usize) -> Option<Range<usize>> {
    #[derive(Deserialize)]
    struct Spans {
        #[serde(default)]
        grid: std::collections::BTreeMap<String, Spanned<Vec<Spanned<toml::Value>>>>,
    }
    let spans: Spans = toml::from_str(text).ok()?;
    let values = spans.grid.get(axis)?;
    values
        .get_ref()
        .get(index)
        .map(|v| v.span())
        .or(Some(values.span()))
}

/// Appends "did you mean `x`?" to serde's "unknown variant/field `y`, expected ..." messages.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = ["unknown variant `", "unknown field `"]
        .iter()
        .find_map(|p| message.find(p).map(|i| &message[i + p.len()..]))
    else {
        return message.to_string();
    };
    let Some(end) = rest.find('`') else {
        return message.to_string();
    };
    let wrong = &rest[..end];
    let choices: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
    match choices.iter().min_by_key(|c| edit_distance(wrong, c)) {
        Some(best) if edit_distance(wrong, best) <= best.len().max(2) / 2 + 1 => {
            format!("{message} (did you mean `{best}`?)")
        }
        _ => message.to_string(),
    }
}

/// Levenshtein distance.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Finds the study file for `name` in `dir` (`<dir>/<name>.toml`), or lists the ones there are.
pub fn find(dir: &Path, name: &str) -> Result<PathBuf> {
    let direct = Path::new(name);
    if direct.extension().is_some_and(|e| e == "toml") && direct.is_file() {
        return Ok(direct.to_path_buf());
    }
    let path = dir.join(format!("{name}.toml"));
    if path.is_file() {
        return Ok(path);
    }
    Err(Error::UnknownStudy {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        available: list(dir)?.into_iter().map(|(n, _)| n).collect(),
    })
}

/// The studies in `dir`: (name, description), sorted by name. Unreadable files show their error
/// as the description so `list` never hides a broken study.
pub fn list(dir: &Path) -> Result<Vec<(String, String)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    let mut studies = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io("listing", dir, e))?.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        #[derive(Deserialize)]
        struct Head {
            description: Option<String>,
        }
        let description = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<Head>(&t).map_err(|e| e.message().to_string()))
            .map(|h| h.description.unwrap_or_else(|| "(no description)".into()))
            .unwrap_or_else(|e| format!("(unreadable: {e})"));
        if stem == "claims" {
            continue;
        }
        studies.push((stem, description));
    }
    studies.sort();
    Ok(studies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoo::clip::Clipping;

    const GOOD: &str = r#"
description = "test"
seeds = 2
baseline = { optimizer = "sgd" }

[base]
epochs = 2
optimizer = "sgd"
model = { hidden = [8], initializer = "he_normal" }

[grid]
optimizer = ["sgd", { name = "adam", learning_rate = 0.01 }]
"#;

    fn parse_str(text: &str) -> Result<Study> {
        parse(Path::new("studies/t.toml"), text, Overrides::default())
    }

    #[test]
    fn where_rules_set_their_cells_and_leave_the_others_as_they_were() {
        let workloads = GOOD.replace("[grid]\n", "[grid]\n\"model.kind\" = [\"mlp\", \"cnn\"]\n");
        let rules = format!(
            "{workloads}\n[[where]]\nwhen = {{ \"model.kind\" = \"cnn\" }}\nepochs = 1\n\
             model = {{ hidden = [12] }}\n\n[[where]]\nwhen = {{ \"model.kind\" = \"cnn\", \
             optimizer = \"sgd\" }}\nbatch_size = 16\n"
        );
        let plain = parse_str(&workloads).unwrap();
        let ruled = parse_str(&rules).unwrap();
        assert_eq!(plain.cells.len(), 4);
        for (p, r) in plain.cells.iter().zip(&ruled.cells) {
            assert_eq!(p.label, r.label);
            let cnn = r.label.contains("model.kind=cnn");
            // A cell no rule matches is the same cell (same config, same id).
            assert_eq!(p.id == r.id, !cnn, "{}", r.label);
            if cnn {
                assert_eq!(r.config.epochs, 1, "{}", r.label);
                assert_eq!(r.config.model.hidden, vec![12]);
                assert_eq!(
                    r.config.model.initializer, p.config.model.initializer,
                    "merged"
                );
                let sgd = r.label.contains("optimizer=sgd");
                assert_eq!(r.config.batch_size == 16, sgd, "{}", r.label);
            }
        }
        // A rule never lengthens a --quick run.
        let long = rules.replace("epochs = 1\n", "epochs = 50\n");
        let quick = Overrides {
            quick: true,
            ..Default::default()
        };
        let q = parse(Path::new("studies/t.toml"), &long, quick).unwrap();
        assert!(
            q.cells.iter().all(|c| c.config.epochs == 3),
            "the quick epochs"
        );
        let e = parse(
            Path::new("studies/t.toml"),
            &long,
            Overrides {
                epochs: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            e.cells.iter().all(|c| c.config.epochs == 2),
            "--epochs wins"
        );
        // Errors point at the rule.
        let bad = format!("{workloads}\n[[where]]\nwhen = {{ dataset = \"mnist\" }}\nepochs = 1\n");
        let e = parse_str(&bad).unwrap_err().to_string();
        assert!(
            e.starts_with("studies/t.toml:15:1:"),
            "the rule's header: {e}"
        );
        assert!(
            e.contains("[[where]] number 1: when: 'dataset' is not a grid axis (axes: model.kind, optimizer)"),
            "{e}"
        );
    }

    #[test]
    fn a_dotted_grid_axis_that_is_not_a_list_is_placed_at_its_key() {
        // Found by tests/it/fuzz_parsers.rs: the error had no place (0:0).
        let text = GOOD.replace(
            r#"optimizer = ["sgd", { name = "adam", learning_rate = 0.01 }]"#,
            r#""optimizer.learning_rate" = 4294967296"#,
        );
        let e = parse_str(&text).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "studies/t.toml:12:1: grid axis 'optimizer.learning_rate' must be a \
                           non-empty list"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_huge_seed_count_is_an_error_not_an_allocation_failure() {
        // Found by tests/it/fuzz_parsers.rs: `seeds = 9223372036854775807` panicked (capacity
        // overflow) and `seeds = 4294967296` asked for 32 GiB of seed list.
        for huge in ["4294967296", "9223372036854775807", "100001"] {
            let e = parse_str(&GOOD.replace("seeds = 2", &format!("seeds = {huge}")))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!(
                    "studies/t.toml:3:9: seeds = {huge} is more than 100000 runs per cell"
                )),
                "{e}"
            );
        }
        assert_eq!(
            parse_str(&GOOD.replace("seeds = 2", "seeds = 100000"))
                .unwrap()
                .seeds
                .len(),
            100_000
        );
    }

    #[test]
    fn a_good_file_gives_cells_seeds_and_baseline() {
        let study = parse_str(GOOD).unwrap();
        assert_eq!(study.name, "t");
        assert_eq!(study.seeds, vec![0, 1]);
        assert_eq!(study.cells.len(), 2);
        assert_eq!(study.cells[1].label, "optimizer=adam(learning_rate=0.01)");
        assert_eq!(study.baseline_cell().label, "optimizer=sgd");
        assert_eq!(
            study.cells[1].config.optimizer.learning_rate(),
            0.01,
            "the table's value replaces the default"
        );
        assert_eq!(
            study.cells[0].config.batch_size, 32,
            "Keras's default batch"
        );
        assert_ne!(study.cells[0].id, study.cells[1].id);
    }

    #[test]
    fn clipping_and_schedules_are_reachable_and_checked() {
        let text = GOOD.replace(
            "[grid]",
            "clipping = { name = \"clip_norm\", norm = 1.0 }\nschedule = { name = \"exponential\", decay_steps = 100 }\n[grid]",
        );
        let study = parse_str(&text).unwrap();
        let config = &study.cells[0].config;
        assert_eq!(
            config.clipping,
            Some(Clipping::new(crate::zoo::clip::ClipNorm { norm: 1.0 }))
        );
        let schedule = config.schedule.as_ref().unwrap();
        assert!(matches!(
            schedule.downcast_ref(),
            Some(crate::zoo::schedule::Exponential { decay_rate, .. }) if *decay_rate == 0.1
        ));
        assert!(study.cells[0].config_json.contains("clip_norm"));
        // Without them the canonical config (and so every recorded cell id) is as before.
        assert!(!parse_str(GOOD).unwrap().cells[0]
            .config_json
            .contains("clipping"));
        let e = parse_str(&GOOD.replace(
            "[grid]",
            "schedule = { name = \"exponentiall\", decay_steps = 100 }\n[grid]",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("did you mean `exponential`?"), "{e}");
        let e = parse_str(&GOOD.replace(
            "[grid]",
            "clipping = { name = \"clip_value\", value = 0.0 }\n[grid]",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("clipping.clip_value.value: must be > 0"), "{e}");
    }

    #[test]
    fn cell_ids_are_stable_and_follow_the_config() {
        let a = parse_str(GOOD).unwrap();
        let b = parse_str(&GOOD.replace("seeds = 2", "seeds = 5")).unwrap();
        assert_eq!(a.cells[0].id, b.cells[0].id, "seeds are not part of a cell");
        let c = parse(
            Path::new("t.toml"),
            GOOD,
            Overrides {
                epochs: Some(3),
                ..Default::default()
            },
        )
        .unwrap();
        assert_ne!(a.cells[0].id, c.cells[0].id, "epochs are");
    }

    #[test]
    fn numerics_versions_have_their_own_cells_and_never_mix() {
        let v1 = parse_str(&GOOD.replace("epochs = 2", "epochs = 2\nnumerics = 1")).unwrap();
        assert_eq!(v1.numerics(), Numerics::V1);
        assert!(
            !v1.cells[0].config_json.contains("numerics"),
            "version 1 stays out of the canonical config, so recorded ids do not change"
        );
        // A file that names no version is a new study: version 2, written like an explicit 2, so
        // the cells made before the flip with `numerics = 2` keep their ids.
        let unnamed = parse_str(GOOD).unwrap();
        assert_eq!(unnamed.numerics(), Numerics::FOR_NEW_STUDIES);
        assert_eq!(Numerics::FOR_NEW_STUDIES, Numerics::V2);
        let v2 = parse_str(&GOOD.replace("epochs = 2", "epochs = 2\nnumerics = 2")).unwrap();
        assert_eq!(v2.numerics(), Numerics::V2);
        assert!(v2.cells[0].config_json.ends_with(r#","numerics":2}"#));
        assert_eq!(unnamed.cells[0].id, v2.cells[0].id);
        assert_ne!(v2.cells[0].id, v1.cells[0].id);
        let by_flag = |numerics| Overrides {
            numerics: Some(numerics),
            ..Default::default()
        };
        let flagged = parse(Path::new("studies/t.toml"), GOOD, by_flag(2)).unwrap();
        assert_eq!(
            flagged.cells[0].id, v2.cells[0].id,
            "--numerics 2 = numerics = 2"
        );
        let back = parse(Path::new("studies/t.toml"), &v2_text(), by_flag(1)).unwrap();
        assert_eq!(
            back.cells[0].id, v1.cells[0].id,
            "the flag wins over the file"
        );
        let e = parse(Path::new("studies/t.toml"), GOOD, by_flag(7))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid --numerics: numerics version 7 is not one this trainbench computes; valid: 1, 2"
        );
        let e = parse_str(&GOOD.replace("epochs = 2", "epochs = 2\nnumerics = 0"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("studies/t.toml:8:"), "{e}");
        assert!(e.contains("numerics version 0 is not one"), "{e}");
        let e = parse_str(&GOOD.replace("[grid]", "[grid]\nnumerics = [1, 2]"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("results of different versions never mix"), "{e}");
        assert!(e.starts_with("studies/t.toml:12:"), "{e}");
    }

    fn v2_text() -> String {
        GOOD.replace("epochs = 2", "epochs = 2\nnumerics = 2")
    }

    #[test]
    fn quick_and_overrides_apply() {
        let quick = parse(
            Path::new("t.toml"),
            GOOD,
            Overrides {
                quick: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(quick.seeds.len(), 3);
        assert_eq!(quick.cells[0].config.epochs, 3);
        assert_eq!(quick.cells[0].config.train_subset, Some(5000));
        let more = parse(
            Path::new("t.toml"),
            GOOD,
            Overrides {
                quick: true,
                seeds: Some(4),
                epochs: Some(1),
                numerics: None,
            },
        )
        .unwrap();
        assert_eq!(more.seeds.len(), 4);
        assert_eq!(more.cells[0].config.epochs, 1);
    }

    #[test]
    fn unknown_optimizer_names_line_choices_and_nearest() {
        let text = GOOD.replace(r#"["sgd", {"#, r#"["sgd", "adamm", {"#);
        let e = parse_str(&text).unwrap_err().to_string();
        assert!(e.starts_with("studies/t.toml:12:"), "{e}");
        assert!(e.contains("unknown variant `adamm`"), "{e}");
        assert!(e.contains("`nesterov`"), "lists the valid choices: {e}");
        assert!(e.contains("did you mean `adam`?"), "{e}");
    }

    #[test]
    fn unknown_key_names_line_and_valid_keys() {
        let text = GOOD.replace("epochs = 2", "epochs = 2\nbatch_sise = 64");
        let e = parse_str(&text).unwrap_err().to_string();
        assert!(e.starts_with("studies/t.toml:8:"), "{e}");
        assert!(e.contains("unknown field `batch_sise`"), "{e}");
        assert!(e.contains("did you mean `batch_size`?"), "{e}");
    }

    #[test]
    fn unknown_top_level_key_and_bad_syntax_name_the_line() {
        let e = parse_str(&format!("sede = 3\n{GOOD}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `sede`"), "{e}");
        let e = parse_str("description = \"x\"\nseeds = = 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("studies/t.toml:2:"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let e = parse_str(&GOOD.replace("seeds = 2", "seeds = 0"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("seeds must be at least 1"), "{e}");
        let e = parse_str(&GOOD.replace("learning_rate = 0.01", "learning_rate = -1.0"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("optimizer.adam.learning_rate: must be > 0"),
            "{e}"
        );
        assert!(e.starts_with("studies/t.toml:12:"), "{e}");
        let e = parse_str(&GOOD.replace(
            r#"optimizer = ["sgd", { name = "adam", learning_rate = 0.01 }]"#,
            "optimizer = []",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("non-empty list"), "{e}");
    }

    #[test]
    fn a_baseline_matching_no_cell_lists_the_cells() {
        let e = parse_str(&GOOD.replace(
            r#"baseline = { optimizer = "sgd" }"#,
            r#"baseline = { optimizer = "nadam" }"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("baseline matches no cell"), "{e}");
        assert!(e.contains("optimizer=sgd"), "{e}");
    }

    #[test]
    fn the_committed_studies_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies");
        for (name, _) in list(&dir).unwrap() {
            load(&find(&dir, &name).unwrap(), Overrides::default()).unwrap();
        }
        let optimizers = load(&dir.join("optimizers.toml"), Overrides::default()).unwrap();
        assert_eq!(optimizers.cells.len(), 9);
        assert_eq!(optimizers.seeds.len(), 10);
        assert_eq!(optimizers.cells[0].config.epochs, 20);
    }

    #[test]
    fn dotted_axes_quoted_or_not_and_quick_pretraining() {
        let text = |axis: &str| {
            format!(
                "description = \"d\"\nseeds = 1\n[base]\nepochs = 6\noptimizer = \"sgd\"\n\
                 model = {{ hidden = [8] }}\n\
                 pretrain = {{ epochs = 9, freeze_epochs = 5 }}\n[grid]\n{axis} = [\"relu\", \"elu\"]\n"
            )
        };
        let quoted = parse(
            Path::new("q.toml"),
            &text("\"model.activation\""),
            Overrides::default(),
        );
        let bare = parse(
            Path::new("b.toml"),
            &text("model.activation"),
            Overrides::default(),
        );
        let (quoted, bare) = (quoted.unwrap(), bare.unwrap());
        assert_eq!(quoted.axes, ["model.activation"]);
        let two = text("\"model.activation\"").replace(
            "[grid]\n",
            "[grid]\noptimizer = [\"sgd\", \"adam\"]\nmodel.initializer = [\"he_normal\"]\n",
        );
        let two = parse(Path::new("t.toml"), &two, Overrides::default()).unwrap();
        assert_eq!(
            two.axes,
            ["optimizer", "model.initializer", "model.activation"]
        );
        assert_eq!(bare.axes, quoted.axes);
        let ids = |s: &Study| s.cells.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&bare), ids(&quoted));
        // --quick shortens the pretraining stage too, freezing included.
        let quick = Overrides {
            quick: true,
            ..Overrides::default()
        };
        let q = parse(Path::new("q.toml"), &text("model.activation"), quick).unwrap();
        let p = q.cells[0].config.pretrain.as_ref().unwrap();
        assert_eq!(
            (p.epochs, p.freeze_epochs, p.train_subset),
            (3, 2, Some(5000))
        );
    }

    const TUNED: &str = r#"
description = "tuned"
seeds = 2
baseline = { optimizer = "sgd" }

[base]
epochs = 6
optimizer = "sgd"
model = { hidden = [8] }

[grid]
optimizer = ["sgd", "adam"]

[tune]
stages = [{ seeds = 1 }, { keep = 2, seeds = 3 }]

[tune.space]
"optimizer.learning_rate" = { log = [1e-4, 1e-1], points = 4 }
"#;

    #[test]
    fn a_tuned_study_plans_every_arm_alike_and_evaluates_the_choice() {
        let study = parse_str(TUNED).unwrap();
        let tuning = study.tuning.as_ref().unwrap();
        assert_eq!(tuning.first_seed, 1000);
        assert_eq!((tuning.seeds(0), tuning.seeds(1)), (1000..1001, 1000..1003));
        assert_eq!(tuning.arms.len(), 2);
        let adam = &tuning.arms[1];
        assert_eq!(adam.label, "optimizer=adam");
        assert_eq!(adam.candidates.len(), 4);
        let c = &adam.candidates[1];
        assert_eq!(c.values[0].0, "optimizer.learning_rate");
        assert!((c.values[0].1 - 1e-3).abs() < 1e-15);
        let cell = adam.evaluation_cell(1);
        assert_eq!(cell.config.optimizer.name(), "adam", "the name is kept");
        assert_eq!(cell.config.optimizer.learning_rate(), c.values[0].1);
        assert_eq!(cell.tuned, c.values);
        assert_eq!(
            (cell.label.as_str(), cell.config.epochs),
            ("optimizer=adam", 6)
        );
        assert_eq!(
            c.cells[0].id, c.cells[1].id,
            "both stages train the same cell"
        );
        // Tuned at exactly Adam's default η, a candidate is the untuned cell itself.
        let at_default =
            parse_str(&TUNED.replace("{ log = [1e-4, 1e-1], points = 4 }", "[0.001, 0.01]"))
                .unwrap();
        let arm = &at_default.tuning.as_ref().unwrap().arms[1];
        assert_eq!(arm.evaluation_cell(0).id, at_default.cells[1].id);
        // Undecided until every stage's runs are recorded; then the cells hold the choice.
        let missing = study.evaluated(&[]).unwrap_err();
        assert_eq!(missing, Undecided { arms: 2, runs: 8 });
        let mut runs = Vec::new();
        for arm in &tuning.arms {
            for (i, candidate) in arm.candidates.iter().enumerate() {
                for seed in 1000..1003 {
                    let mut run = crate::results::store::tests::run(seed, false);
                    run.cell_id = candidate.cells[1].id.clone();
                    // η = 1e-2 (candidate 2) is best.
                    run.best_val_acc = [0.5, 0.7, 0.8, 0.6][i];
                    runs.push(run);
                }
            }
        }
        let evaluated = study.evaluated(&runs).unwrap();
        assert_eq!(evaluated.cells.len(), 2);
        assert_eq!(evaluated.cells[0].id, tuning.arms[0].evaluation_cell(2).id);
        assert_eq!(evaluated.cells[1].label, "optimizer=adam");
        assert!((evaluated.cells[1].config.optimizer.learning_rate() - 1e-2).abs() < 1e-15);
        assert_eq!(evaluated.baseline_cell().label, "optimizer=sgd");
        // An untuned study is evaluated as it is.
        let plain = parse_str(GOOD).unwrap();
        assert_eq!(plain.evaluated(&[]).unwrap().cells, plain.cells);
    }

    #[test]
    fn quick_shrinks_the_tuning_to_a_few_values_on_one_seed() {
        let quick = Overrides {
            quick: true,
            ..Default::default()
        };
        let study = parse(Path::new("t.toml"), TUNED, quick).unwrap();
        let tuning = study.tuning.unwrap();
        assert_eq!(tuning.stages.len(), 1);
        assert_eq!(tuning.seeds(0), 1000..1001);
        let arm = &tuning.arms[0];
        assert_eq!(arm.candidates.len(), 3);
        assert_eq!(
            arm.searched(0).first().copied(),
            Some(1e-4),
            "the ends are kept"
        );
        assert_eq!(arm.searched(0).last().copied(), Some(1e-1));
        assert_eq!(arm.evaluation_cell(0).config.epochs, 3);
        assert_eq!(arm.evaluation_cell(0).config.train_subset, Some(5000));
        let custom = TUNED.replace(
            "[tune]",
            "[quick]\ntune_points = 2\ntune_seeds = 2\n\n[tune]",
        );
        let tuning = parse(Path::new("t.toml"), &custom, quick)
            .unwrap()
            .tuning
            .unwrap();
        assert_eq!(
            (tuning.arms[0].candidates.len(), tuning.seeds(0)),
            (2, 1000..1002)
        );
    }

    #[test]
    fn successive_halving_trains_rungs_and_refuses_a_schedule_tied_to_the_length() {
        let sh = TUNED.replace(
            "stages = [{ seeds = 1 }, { keep = 2, seeds = 3 }]",
            "stages = [{ seeds = 1, epochs_fraction = 0.34 }, { keep = 2, seeds = 3 }]",
        );
        let tuning = parse_str(&sh).unwrap().tuning.unwrap();
        let c = &tuning.arms[0].candidates[0];
        assert_eq!((c.cells[0].config.epochs, c.cells[1].config.epochs), (3, 6));
        assert_ne!(c.cells[0].id, c.cells[1].id);
        // Exponential decay is a function of the step alone; 1cycle spans the whole run.
        let decay = sh.replace(
            "[grid]",
            "schedule = { name = \"exponential\", decay_steps = 1000 }\n[grid]",
        );
        assert!(parse_str(&decay).is_ok());
        let one_cycle = sh.replace(
            "[grid]",
            "schedule = { name = \"one_cycle\", max_learning_rate = 0.1 }\n[grid]",
        );
        let e = parse_str(&one_cycle).unwrap_err().to_string();
        assert!(e.contains("depends on the run's total length"), "{e}");
        assert!(e.starts_with("studies/t.toml:15:"), "at [tune]: {e}");
    }

    #[test]
    fn tuning_errors_name_the_line_and_what_to_do() {
        let e = |text: &str| parse_str(text).unwrap_err().to_string();
        let msg = e(&TUNED.replace("[tune]\n", "[tune]\nmetric = \"test_acc\"\n"));
        assert!(
            msg.contains("unknown variant `test_acc`") && msg.contains("`best_val_acc`"),
            "{msg}"
        );
        assert!(msg.starts_with("studies/t.toml:15:"), "{msg}");
        let msg = e(&TUNED.replace("[tune]\n", "[tune]\nfirst_seed = 1\n"));
        assert!(
            msg.contains("disjoint") && msg.starts_with("studies/t.toml:15:"),
            "{msg}"
        );
        let msg = e(&TUNED.replace("log = [1e-4, 1e-1]", "log = [0, 1e-1]"));
        assert!(msg.contains("0 < lo < hi"), "{msg}");
        assert!(msg.starts_with("studies/t.toml:18:"), "at the key: {msg}");
        let msg = e(&TUNED
            .replace(
                "optimizer = [\"sgd\", \"adam\"]",
                "\"optimizer.learning_rate\" = [0.1, 0.01]",
            )
            .replace("baseline = { optimizer = \"sgd\" }\n", "")
            .replace("optimizer = \"sgd\"\n", "optimizer = { name = \"sgd\" }\n"));
        assert!(msg.contains("a grid axis and a tuned key"), "{msg}");
        let msg = e(&TUNED.replace("\"optimizer.learning_rate\"", "\"optimizer.momentum\""));
        assert!(
            msg.contains("arm 'optimizer=sgd'") && msg.contains("momentum"),
            "{msg}"
        );
        let msg = e(&TUNED.replace(
            "stages = [{ seeds = 1 }",
            "stages = [{ keep = 2, seeds = 1 }",
        ));
        assert!(msg.contains("stage 1 trains every candidate"), "{msg}");
        let variants = "[[grid.variant]]\nlabel = \"a\"\n\n[[grid.variant]]\nlabel = \"b\"\n\
                        batch_size = 64\ntune = { \"weight_decay\" = [0.0, 0.001] }\n";
        let unequal = TUNED
            .replace("[grid]\noptimizer = [\"sgd\", \"adam\"]\n", variants)
            .replace("baseline = { optimizer = \"sgd\" }\n", "");
        assert!(
            e(&unequal).contains("every arm gets the same budget"),
            "{}",
            e(&unequal)
        );
        let no_tune = GOOD
            .replace(
                "[grid]\noptimizer = [\"sgd\", { name = \"adam\", learning_rate = 0.01 }]",
                variants,
            )
            .replace("baseline = { optimizer = \"sgd\" }\n", "");
        assert!(
            e(&no_tune).contains("which this study has not"),
            "{}",
            e(&no_tune)
        );
    }

    #[test]
    fn a_variant_adds_its_own_tuned_keys() {
        let text = TUNED
            .replace(
                "[grid]\noptimizer = [\"sgd\", \"adam\"]\n",
                "[[grid.variant]]\nlabel = \"l2\"\nkernel_regularizer = \"l2\"\n\
                 tune = { \"kernel_regularizer.l2\" = [0.0001, 0.001] }\n\n\
                 [[grid.variant]]\nlabel = \"decay\"\ntune = { weight_decay = [0.0001, 0.001] }\n",
            )
            .replace("baseline = { optimizer = \"sgd\" }\n", "");
        let study = parse_str(&text).unwrap();
        let tuning = study.tuning.unwrap();
        let keys = |a: usize| -> Vec<&str> {
            tuning.arms[a]
                .space
                .iter()
                .map(|k| k.key.as_str())
                .collect()
        };
        assert_eq!(
            keys(0),
            ["optimizer.learning_rate", "kernel_regularizer.l2"]
        );
        assert_eq!(keys(1), ["optimizer.learning_rate", "weight_decay"]);
        assert_eq!(tuning.arms[0].candidates.len(), 8);
        let cell = tuning.arms[1].evaluation_cell(7);
        assert_eq!(cell.config.weight_decay, Some(0.001));
        assert!(
            !study.cells[1].config_json.contains("tune"),
            "not a run setting"
        );
    }

    #[test]
    fn seed_axes_cross_their_sources_and_run_zero_is_the_plain_seed_zero() {
        let text = GOOD.replace(
            "seeds = 2\n",
            "seeds = 3\nseed_axes = [\"init\", \"order\"]\n",
        );
        let study = parse_str(&text).unwrap();
        assert_eq!(study.seeds, (0..9).collect::<Vec<_>>());
        assert_eq!(study.run_seeds(0), Seeds::all(0));
        let seeds = study.run_seeds(7);
        assert_eq!(
            (seeds.init, seeds.order, seeds.noise, seeds.subset),
            (2, 1, 0, 0)
        );
        assert_eq!(
            study.seed_streams(5),
            [
                ("init".to_string(), 1),
                ("order".to_string(), 2),
                ("noise".to_string(), 0),
                ("subset".to_string(), 0)
            ]
        );
        let plain = parse_str(&text.replace("seed_axes = [\"init\", \"order\"]\n", "")).unwrap();
        assert_eq!(plain.cells, study.cells, "the cells are the same");
        assert_eq!(plain.run_seeds(7), Seeds::all(7));
        assert!(plain.seed_streams(7).is_empty());
        let e = |t: &str| parse_str(t).unwrap_err().to_string();
        let msg = e(&text.replace("\"order\"", "\"ordr\""));
        assert!(
            msg.contains("did you mean `order`?") && msg.starts_with("studies/t.toml:4:"),
            "{msg}"
        );
        assert!(e(&text.replace("\"order\"", "\"init\"")).contains("names 'init' twice"));
        let msg = e(&text.replace("\"order\"", "\"subset\""));
        assert!(msg.contains("varies nothing"), "{msg}");
        let drawn = text.replace("\"order\"", "\"subset\"").replace(
            "epochs = 2\n",
            "epochs = 2\ntrain_subset = 100\ntrain_subset_draw = \"random\"\n",
        );
        assert!(parse_str(&drawn).is_ok());
    }

    #[test]
    fn unknown_study_lists_the_available_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies");
        let e = find(&dir, "optimisers").unwrap_err().to_string();
        assert!(e.contains("no study named 'optimisers'"), "{e}");
        assert!(e.contains("optimizers"), "{e}");
    }
}
