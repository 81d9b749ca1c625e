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
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::grid::{self, Cell};
use crate::config::{Numerics, RunConfig};
use crate::error::{Error, Result};

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

impl Default for Quick {
    fn default() -> Self {
        Quick {
            train_subset: quick_subset(),
            epochs: quick_epochs(),
            seeds: quick_seeds(),
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
    /// The seeds every cell runs with.
    pub seeds: Vec<u64>,
    /// Names of the grid axes, in file order.
    pub axes: Vec<String>,
    /// The cells, first axis varying slowest.
    pub cells: Vec<Cell>,
    /// Index into `cells` of the baseline.
    pub baseline: usize,
}

impl Study {
    /// The baseline cell.
    pub fn baseline_cell(&self) -> &Cell {
        &self.cells[self.baseline]
    }

    /// The numerics version of every cell (a study has one: [`parse`] refuses a mix).
    pub fn numerics(&self) -> Numerics {
        self.cells[self.baseline].config.numerics
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
            let key = name.rsplit('.').next().unwrap_or(&name);
            at(
                find_key_span(text, "grid", key),
                format!("grid axis '{name}' must be a non-empty list of values"),
            )
        })?;
        axes.push((name, values.clone()));
    }
    let quick_table = overrides.quick.then_some(quick);
    let adjust = |table: &mut toml::Table| {
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
            find_value_span(text, &axis, index),
            format!("grid axis '{axis}', value {}: {message}", index + 1),
        )
    })?;

    // Results of different numerics versions never mix, not even across the cells of a study.
    if let Some(odd) = cells
        .iter()
        .find(|c| c.config.numerics != cells[0].config.numerics)
    {
        return Err(at(
            find_key_span(text, "grid", "numerics"),
            format!(
                "cells {} and {} have numerics versions {} and {}: results of different \
                 versions never mix; run the study once per version (--numerics N) into \
                 separate --results directories",
                cells[0].label, odd.label, cells[0].config.numerics, odd.config.numerics
            ),
        ));
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

    Ok(Study {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path: path.to_path_buf(),
        description: file.description,
        seeds: (0..seeds).collect(),
        axes: axes.into_iter().map(|(name, _)| name).collect(),
        cells,
        baseline,
    })
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
        let v1 = parse_str(GOOD).unwrap();
        assert_eq!(v1.numerics(), Numerics::FOR_NEW_STUDIES);
        assert!(
            !v1.cells[0].config_json.contains("numerics"),
            "version 1 stays out of the canonical config, so recorded ids do not change"
        );
        let explicit = parse_str(&GOOD.replace("epochs = 2", "epochs = 2\nnumerics = 1")).unwrap();
        assert_eq!(explicit.cells[0].id, v1.cells[0].id);
        let v2 = parse_str(&GOOD.replace("epochs = 2", "epochs = 2\nnumerics = 2")).unwrap();
        assert_eq!(v2.numerics(), Numerics::V2);
        assert!(v2.cells[0].config_json.ends_with(r#","numerics":2}"#));
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

    #[test]
    fn unknown_study_lists_the_available_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies");
        let e = find(&dir, "optimisers").unwrap_err().to_string();
        assert!(e.contains("no study named 'optimisers'"), "{e}");
        assert!(e.contains("optimizers"), "{e}");
    }
}
