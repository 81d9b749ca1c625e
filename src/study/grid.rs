//! The grid: the cross product of a study's axes over its base config, each cell with a stable id
//! (a hash of its canonical resolved config) and a human-readable label; and [`AxisValues`], the
//! one way to pick a cell (or its recorded runs) by the values of some of its axes.
//!
//! Expansion goes in two steps so that tuning can work between them: [`arms`] gives each
//! combination of axis values as a TOML table (an *arm*), and [`resolve`] turns a table into a
//! checked [`Cell`]. [`expand`] does both.

use sha2::{Digest, Sha256};

use crate::config::RunConfig;

/// One cell of the grid: a fully resolved config.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// 16 hex digits of SHA-256 over `config_json`.
    pub id: String,
    /// `axis=value` pairs joined by `, ` (or `base` for a grid without axes).
    pub label: String,
    /// (axis, value label) per axis.
    pub axes: Vec<(String, String)>,
    /// The values of the tuned keys the config holds, as (dotted key, value): a tuned study's
    /// chosen (or, for a tuning run, tried) setting. Empty in an untuned study.
    pub tuned: Vec<(String, f64)>,
    /// The resolved config.
    pub config: RunConfig,
    /// Its canonical JSON (struct field order, every default filled in).
    pub config_json: String,
}

/// What is done to each arm's table once its axis values are applied, given its (axis, value
/// label) pairs: `[[where]]` rules, `--quick`'s caps.
pub type Adjust<'a> = dyn Fn(&mut toml::Table, &[(String, String)]) + 'a;

/// A failed cell: (axis, value index, message).
pub type CellError = (String, usize, String);

/// The axis whose values are whole variants: tables of settings with a `label`, merged into the
/// base (`[[grid.variant]]` in a study file; one cell per technique).
pub const VARIANT_AXIS: &str = "variant";

/// The key of a variant that holds the variant's own tuning space (added to the study's
/// `[tune.space]` for that arm); it is not a run setting.
pub const VARIANT_TUNE_KEY: &str = "tune";

/// One combination of axis values over the base, not yet resolved: an arm of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmTable {
    /// The run config as a TOML table (base, axis values applied, `adjust` done).
    pub table: toml::Table,
    /// (axis, value label) per axis.
    pub axes: Vec<(String, String)>,
    /// The index of each axis's value.
    pub combo: Vec<usize>,
    /// The variant's own `tune` table, if its variant has one.
    pub tune: Option<toml::Table>,
}

impl ArmTable {
    /// Its cell label.
    pub fn label(&self) -> String {
        label_of_axes(&self.axes)
    }
}

/// The axes that make a cell's workload (what it trains on, which network) rather than its
/// technique: a study whose grid names one of them compares each cell with the baseline arm on
/// the same workload and judges arms across workloads.
pub const WORKLOAD_AXES: &[&str] = &["dataset", "model.kind"];

/// A cell's (workload, arm) labels from its axes: the [`WORKLOAD_AXES`] pairs and the others,
/// each as [`label_of_axes`] writes them.
pub fn workload_and_arm(axes: &[(String, String)]) -> (String, String) {
    let (workload, arm): (Vec<_>, Vec<_>) = axes
        .iter()
        .cloned()
        .partition(|(axis, _)| WORKLOAD_AXES.contains(&axis.as_str()));
    (label_of_axes(&workload), label_of_axes(&arm))
}

/// A cell's label: `axis=value` pairs joined by `, ` (or `base` for a grid without axes).
pub fn label_of_axes(axes: &[(String, String)]) -> String {
    if axes.is_empty() {
        "base".to_string()
    } else {
        axes.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Expands `axes` over `base`, first axis varying slowest.
pub fn expand(
    base: &toml::Table,
    axes: &[(String, Vec<toml::Value>)],
    adjust: &Adjust,
) -> Result<Vec<Cell>, CellError> {
    let mut cells: Vec<Cell> = Vec::new();
    for arm in arms(base, axes, adjust)? {
        let blame = || blamed_axis(axes, &arm.combo);
        let cell = resolve(arm.table.clone(), &arm.axes, Vec::new()).map_err(|message| {
            let (axis, i) = blame();
            (axis, i, message)
        })?;
        if let Some(twin) = cells.iter().find(|c| c.id == cell.id) {
            let (axis, i) = blame();
            return Err((
                axis,
                i,
                format!(
                    "this cell ({}) trains exactly what cell {} does: remove one of them",
                    cell.label, twin.label
                ),
            ));
        }
        cells.push(cell);
    }
    Ok(cells)
}

/// Every combination of `axes`' values over `base` as a table, first axis varying slowest,
/// `adjust` applied to each (given the arm's (axis, value label) pairs).
pub fn arms(
    base: &toml::Table,
    axes: &[(String, Vec<toml::Value>)],
    adjust: &Adjust,
) -> Result<Vec<ArmTable>, CellError> {
    let mut combos: Vec<Vec<usize>> = vec![vec![]];
    for (_, values) in axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                (0..values.len()).map(move |i| {
                    let mut c = c.clone();
                    c.push(i);
                    c
                })
            })
            .collect();
    }
    let mut arms = Vec::with_capacity(combos.len());
    for combo in combos {
        let mut table = base.clone();
        let mut labels = Vec::new();
        let mut tune = None;
        for ((name, values), &i) in axes.iter().zip(&combo) {
            if name == VARIANT_AXIS {
                let (label, own_tune) =
                    apply_variant(&mut table, &values[i]).map_err(|e| (name.clone(), i, e))?;
                tune = own_tune.or(tune);
                labels.push((name.clone(), label));
            } else {
                set_path(&mut table, name, values[i].clone());
                labels.push((name.clone(), label_of(&values[i])));
            }
        }
        adjust(&mut table, &labels);
        arms.push(ArmTable {
            table,
            axes: labels,
            combo,
            tune,
        });
    }
    Ok(arms)
}

/// Resolves a run config table into a checked cell with the given axes and tuned values; the
/// error is the message alone (the caller knows where to point).
pub fn resolve(
    table: toml::Table,
    axes: &[(String, String)],
    tuned: Vec<(String, f64)>,
) -> Result<Cell, String> {
    let config: RunConfig = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    config.check().map_err(|e| e.to_string())?;
    // The dataset's name is checked against the catalog here: the config sits beside the data.
    crate::data::catalog::by_name(&config.dataset).map_err(|e| e.to_string())?;
    let config_json = serde_json::to_string(&config).expect("a RunConfig always serializes");
    Ok(Cell {
        id: cell_id(&config_json),
        label: label_of_axes(axes),
        axes: axes.to_vec(),
        tuned,
        config,
        config_json,
    })
}

/// The axis and value index a failed cell's error is reported at: the last axis's value (the one
/// most likely to be at fault when several axes combine); with one axis that is exact.
fn blamed_axis(axes: &[(String, Vec<toml::Value>)], combo: &[usize]) -> (String, usize) {
    match axes.last() {
        Some((name, _)) => (name.clone(), *combo.last().unwrap_or(&0)),
        None => ("base".into(), 0),
    }
}

/// Merges a variant's settings into `table`; returns its label and its own `tune` table.
fn apply_variant(
    table: &mut toml::Table,
    variant: &toml::Value,
) -> Result<(String, Option<toml::Table>), String> {
    let settings = variant
        .as_table()
        .ok_or("a variant is a table of settings with a `label`")?;
    let label = settings
        .get("label")
        .and_then(toml::Value::as_str)
        .ok_or("a variant needs a `label` (a string naming its cell)")?;
    let tune = match settings.get(VARIANT_TUNE_KEY) {
        None => None,
        Some(toml::Value::Table(t)) => Some(t.clone()),
        Some(_) => {
            return Err(
                "a variant's `tune` is a table of tuned keys, as in [tune.space]".to_string(),
            )
        }
    };
    for (key, value) in settings
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "label" | VARIANT_TUNE_KEY))
    {
        merge(table, key, value);
    }
    Ok((label.to_string(), tune))
}

/// Sets `key` to `value`, merging plain tables (like `model`) key by key; a technique's table
/// (one with a `name`) or any other value replaces what was there.
pub(crate) fn merge(table: &mut toml::Table, key: &str, value: &toml::Value) {
    match (table.get_mut(key), value.as_table()) {
        (Some(toml::Value::Table(existing)), Some(new)) if !new.contains_key("name") => {
            for (k, v) in new {
                merge(existing, k, v);
            }
        }
        _ => {
            table.insert(key.to_string(), value.clone());
        }
    }
}

/// Sets a dotted key (`model.activation`) in a table, creating intermediate tables.
pub fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or(path);
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        current = entry.as_table_mut().expect("just made a table");
    }
    current.insert(last.to_string(), value);
}

/// A value's label: a string as is, a `{ name = .. }` table as `name(k=v, ..)`, else its TOML.
pub fn label_of(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Table(t) => {
            let name = t.get("name").and_then(|v| v.as_str());
            let params: Vec<String> = t
                .iter()
                .filter(|(k, _)| k.as_str() != "name")
                .map(|(k, v)| format!("{k}={}", label_of(v)))
                .collect();
            match (name, params.is_empty()) {
                (Some(n), true) => n.to_string(),
                (Some(n), false) => format!("{n}({})", params.join(", ")),
                (None, _) => format!("{{{}}}", params.join(", ")),
            }
        }
        other => other.to_string(),
    }
}

/// Some axes' values, as (axis, value label) pairs: `{ optimizer = "sgd" }` in a study file's
/// baseline or a claims file's check, `[("optimizer", "sgd")]` in a figure. A cell matches when it
/// has every one of them; the axes not named may have any value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisValues(pub Vec<(String, String)>);

impl AxisValues {
    /// The values of a table as a study or claims file writes them, labelled as cell labels are
    /// (see [`label_of`]).
    pub fn from_table(table: &toml::Table) -> Self {
        AxisValues(
            table
                .iter()
                .map(|(axis, value)| (axis.clone(), label_of(value)))
                .collect(),
        )
    }

    /// The values of (axis, value label) pairs.
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        AxisValues(
            pairs
                .iter()
                .map(|(axis, value)| (axis.to_string(), value.to_string()))
                .collect(),
        )
    }

    /// Whether a cell (or a recorded run) with these `axes` has every value named here.
    pub fn matches(&self, axes: &[(String, String)]) -> bool {
        self.0
            .iter()
            .all(|wanted| axes.iter().any(|axis| axis == wanted))
    }
}

/// 16 hex digits of SHA-256 of the canonical config.
pub fn cell_id(config_json: &str) -> String {
    let digest = Sha256::digest(config_json.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_values_pick_cells_by_the_axes_they_name() {
        let axes = |pairs: &[(&str, &str)]| AxisValues::of(pairs).0;
        let cell = axes(&[("optimizer", "adam(learning_rate=0.01)"), ("batch", "32")]);
        let table: toml::Table =
            toml::from_str("optimizer = { name = \"adam\", learning_rate = 0.01 }").unwrap();
        let from_file = AxisValues::from_table(&table);
        assert_eq!(
            from_file,
            AxisValues::of(&[("optimizer", "adam(learning_rate=0.01)")])
        );
        assert!(from_file.matches(&cell), "axes not named are free");
        assert!(AxisValues::of(&[]).matches(&cell));
        assert!(!AxisValues::of(&[("optimizer", "adam")]).matches(&cell));
        assert!(!AxisValues::of(&[("batch", "32"), ("seed", "1")]).matches(&cell));
    }

    /// A config without `dataset` means the catalog's default dataset, and a workload axis
    /// splits a cell's axes into its workload and its arm.
    #[test]
    fn default_dataset_and_workload_split() {
        assert_eq!(
            crate::config::DEFAULT_DATASET,
            crate::data::catalog::DEFAULT.name
        );
        let axes: Vec<(String, String)> = [
            ("dataset", "mnist"),
            ("optimizer", "adam"),
            ("model.kind", "cnn"),
        ]
        .iter()
        .map(|(a, v)| (a.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            workload_and_arm(&axes),
            (
                "dataset=mnist, model.kind=cnn".to_string(),
                "optimizer=adam".to_string()
            )
        );
    }
}
