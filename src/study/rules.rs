//! `[[where]]` rules of a study file: settings that apply only to the cells whose axes have
//! given values, e.g. a shorter epoch cap and LeNet's dense layers for the CNN cells of a study
//! with a workload axis:
//!
//! ```toml
//! [[where]]
//! when = { "model.kind" = "cnn" }
//! epochs = 10
//! model = { hidden = [120, 84] }
//! ```
//!
//! `when` names grid axes and one of each one's values (as the cell label writes it: a string
//! as is, a variant by its `label`); every other key is a setting, merged into the cell's config
//! like a variant's. Rules apply in file order after the axes' values, so a later rule wins. A
//! cell no rule matches is exactly the cell without the rules (the same config, the same id).

use super::grid::{label_of, merge, VARIANT_AXIS};

/// One checked rule.
#[derive(Debug, Clone, PartialEq)]
pub struct WhereRule {
    /// (axis, value label) pairs a cell must all have.
    pub when: Vec<(String, String)>,
    /// What it sets.
    pub settings: toml::Table,
}

impl WhereRule {
    /// Whether a cell with these (axis, value label) pairs is one the rule is for.
    pub fn matches(&self, axes: &[(String, String)]) -> bool {
        self.when
            .iter()
            .all(|(axis, value)| axes.iter().any(|(a, v)| a == axis && v == value))
    }

    /// Merges the settings into a cell's config table.
    pub fn apply(&self, table: &mut toml::Table) {
        for (key, value) in &self.settings {
            merge(table, key, value);
        }
    }
}

/// The label of each value of an axis, as cells are labelled.
fn value_labels(axis: &str, values: &[toml::Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| {
            if axis == VARIANT_AXIS {
                v.get("label")
                    .and_then(toml::Value::as_str)
                    .map_or_else(|| label_of(v), str::to_string)
            } else {
                label_of(v)
            }
        })
        .collect()
}

/// Checks one `[[where]]` table against the study's axes.
pub fn parse(
    entry: &toml::Table,
    axes: &[(String, Vec<toml::Value>)],
) -> Result<WhereRule, String> {
    let axis_names = || {
        if axes.is_empty() {
            "the study has none".to_string()
        } else {
            axes.iter()
                .map(|(a, _)| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let when = entry
        .get("when")
        .and_then(toml::Value::as_table)
        .filter(|w| !w.is_empty())
        .ok_or("a [[where]] needs `when = { axis = value, … }` naming the cells it is for")?;
    let mut pairs = Vec::new();
    for (axis, value) in when {
        let Some((_, values)) = axes.iter().find(|(a, _)| a == axis) else {
            return Err(format!(
                "when: '{axis}' is not a grid axis (axes: {})",
                axis_names()
            ));
        };
        let labels = value_labels(axis, values);
        let wanted = label_of(value);
        if !labels.contains(&wanted) {
            return Err(format!(
                "when: {axis} = {wanted} is none of the axis's values ({})",
                labels.join(", ")
            ));
        }
        pairs.push((axis.clone(), wanted));
    }
    let settings: toml::Table = entry
        .iter()
        .filter(|(k, _)| k.as_str() != "when")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if settings.is_empty() {
        return Err("a [[where]] sets nothing: add the settings its cells get".into());
    }
    Ok(WhereRule {
        when: pairs,
        settings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes() -> Vec<(String, Vec<toml::Value>)> {
        let t: toml::Table = toml::from_str(
            r#"
            kind = ["mlp", "cnn"]
            variant = [{ label = "relu" }, { label = "gelu", model = { activation = "gelu" } }]
            "#,
        )
        .unwrap();
        vec![
            ("model.kind".into(), t["kind"].as_array().unwrap().clone()),
            ("variant".into(), t["variant"].as_array().unwrap().clone()),
        ]
    }

    fn rule(text: &str) -> Result<WhereRule, String> {
        parse(&toml::from_str(text).unwrap(), &axes())
    }

    #[test]
    fn a_rule_matches_its_cells_and_merges_its_settings() {
        let r = rule("when = { \"model.kind\" = \"cnn\", variant = \"gelu\" }\nepochs = 10\nmodel = { hidden = [120, 84] }").unwrap();
        let cell = |kind: &str, variant: &str| {
            vec![
                ("model.kind".to_string(), kind.to_string()),
                ("variant".to_string(), variant.to_string()),
            ]
        };
        assert!(r.matches(&cell("cnn", "gelu")));
        assert!(!r.matches(&cell("cnn", "relu")) && !r.matches(&cell("mlp", "gelu")));
        let mut table: toml::Table =
            toml::from_str("epochs = 30\nmodel = { activation = \"gelu\", hidden = [200] }")
                .unwrap();
        r.apply(&mut table);
        assert_eq!(table["epochs"].as_integer(), Some(10));
        assert_eq!(
            table["model"]["activation"].as_str(),
            Some("gelu"),
            "merged, not replaced"
        );
        assert_eq!(table["model"]["hidden"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_bad_rule_says_what_is_wrong() {
        assert!(rule("epochs = 10").unwrap_err().contains("needs `when"));
        assert_eq!(
            rule("when = { dataset = \"mnist\" }\nepochs = 10").unwrap_err(),
            "when: 'dataset' is not a grid axis (axes: model.kind, variant)"
        );
        assert_eq!(
            rule("when = { variant = \"swish\" }\nepochs = 10").unwrap_err(),
            "when: variant = swish is none of the axis's values (relu, gelu)"
        );
        assert!(rule("when = { variant = \"relu\" }")
            .unwrap_err()
            .contains("sets nothing"));
    }
}
