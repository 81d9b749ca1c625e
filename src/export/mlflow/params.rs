//! MLflow's rules for what a run may log, applied to trainbench's values: the resolved config
//! flattened into parameters (`model.hidden.0`, `optimizer.learning_rate`), names cleaned to
//! MLflow's alphabet, values cut to its length limit, metric values written the way its JSON
//! reader takes them (NaN and infinities as strings), and a run's entries split into
//! `runs/log-batch` requests within the server's limits. Pure functions: no IO, no HTTP.

use serde_json::{json, Value};

/// The longest parameter value MLflow accepts (characters).
pub const MAX_PARAM_VALUE: usize = 6000;
/// The longest parameter, metric or tag name MLflow accepts (characters).
pub const MAX_KEY: usize = 250;
/// The most parameters one `runs/log-batch` request may carry.
pub const MAX_PARAMS_PER_BATCH: usize = 100;
/// The most tags one `runs/log-batch` request may carry.
pub const MAX_TAGS_PER_BATCH: usize = 100;
/// The most metrics one `runs/log-batch` request may carry.
pub const MAX_METRICS_PER_BATCH: usize = 1000;
/// The most entries (parameters + metrics + tags) of one `runs/log-batch` request.
pub const MAX_ENTRIES_PER_BATCH: usize = 1000;

/// One metric value at one step: an entry of `runs/log-batch`'s `metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The metric's name (already a valid MLflow key).
    pub key: String,
    /// Its value; NaN and ±∞ are allowed (see [`metric_json`]).
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The step: trainbench's 1-based epoch.
    pub step: u32,
}

/// One `runs/log-batch` request's entries, within MLflow's limits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// (name, value) parameters.
    pub params: Vec<(String, String)>,
    /// Metric values.
    pub metrics: Vec<Metric>,
    /// (name, value) tags.
    pub tags: Vec<(String, String)>,
}

impl Batch {
    fn entries(&self) -> usize {
        self.params.len() + self.metrics.len() + self.tags.len()
    }

    /// The request body for the run `run_id`.
    pub fn to_json(&self, run_id: &str) -> Value {
        let pairs = |v: &[(String, String)]| -> Vec<Value> {
            v.iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()
        };
        json!({
            "run_id": run_id,
            "params": pairs(&self.params),
            "tags": pairs(&self.tags),
            "metrics": self.metrics.iter().map(|m| json!({
                "key": m.key,
                "value": metric_json(m.value),
                "timestamp": m.timestamp,
                "step": m.step,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A metric value as MLflow's JSON reader (protobuf's) takes it: a number when finite, else the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON has no literal for them).
pub fn metric_json(value: f64) -> Value {
    if value.is_nan() {
        json!("NaN")
    } else if value == f64::INFINITY {
        json!("Infinity")
    } else if value == f64::NEG_INFINITY {
        json!("-Infinity")
    } else {
        json!(value)
    }
}

/// `name` in MLflow's alphabet for keys (letters, digits, `_ - . /` and space): brackets become
/// dots (`hidden[0]` → `hidden.0`), any other character an underscore; at most [`MAX_KEY`]
/// characters.
pub fn key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' ') => {
                out.push(c)
            }
            '[' => out.push('.'),
            ']' => {}
            _ => out.push('_'),
        }
    }
    out.chars().take(MAX_KEY).collect()
}

/// `value` cut to [`MAX_PARAM_VALUE`] characters (never inside a character). trainbench's config
/// values are far shorter; the cut only keeps a pathological one from failing the export.
pub fn param_value(value: &str) -> String {
    value.chars().take(MAX_PARAM_VALUE).collect()
}

/// The resolved config (a run's `config_json`) as MLflow parameters: one per leaf, named by its
/// path with dots (`model.hidden.0`, `optimizer.learning_rate`: list elements by their index),
/// valued as JSON writes the leaf (strings without quotes; `null`, `[]` and `{}` as written), in
/// serde_json's order of object keys.
pub fn flatten(config: &Value) -> Vec<(String, String)> {
    fn walk(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
        let child = |name: &str| {
            if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            }
        };
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (name, v) in map {
                    walk(v, &child(name), out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &child(&i.to_string()), out);
                }
            }
            Value::String(s) => out.push((key(path), param_value(s))),
            leaf => out.push((key(path), param_value(&leaf.to_string()))),
        }
    }
    let mut out = Vec::new();
    walk(config, "", &mut out);
    out
}

/// Splits a run's entries into `runs/log-batch` requests: each within MLflow's per-kind limits
/// and its limit on all entries together, in order; no request when there is nothing to log.
pub fn batches(
    params: Vec<(String, String)>,
    metrics: Vec<Metric>,
    tags: Vec<(String, String)>,
) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut current = Batch::default();
    let full = |b: &Batch| b.entries() >= MAX_ENTRIES_PER_BATCH;
    for p in params {
        if current.params.len() == MAX_PARAMS_PER_BATCH || full(&current) {
            out.push(std::mem::take(&mut current));
        }
        current.params.push(p);
    }
    for t in tags {
        if current.tags.len() == MAX_TAGS_PER_BATCH || full(&current) {
            out.push(std::mem::take(&mut current));
        }
        current.tags.push(t);
    }
    for m in metrics {
        if current.metrics.len() == MAX_METRICS_PER_BATCH || full(&current) {
            out.push(std::mem::take(&mut current));
        }
        current.metrics.push(m);
    }
    if current.entries() > 0 {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_mlflows_alphabet_and_brackets_become_indices() {
        assert_eq!(key("model.hidden[0]"), "model.hidden.0");
        assert_eq!(key("a b/c-d_e.f"), "a b/c-d_e.f");
        assert_eq!(key("η=0.1,x:y"), "__0.1_x_y");
        assert_eq!(key(&"k".repeat(300)).len(), MAX_KEY);
    }

    #[test]
    fn long_values_are_cut_on_a_character() {
        let long = "é".repeat(MAX_PARAM_VALUE + 10);
        let cut = param_value(&long);
        assert_eq!(cut.chars().count(), MAX_PARAM_VALUE);
        assert_eq!(param_value("0.01"), "0.01");
    }

    #[test]
    fn the_config_flattens_to_dotted_leaves_with_list_indices() {
        let config: Value = serde_json::from_str(
            r#"{"epochs": 20, "model": {"hidden": [300, 100], "activation": "relu",
                "dropout": null, "extra": [], "opts": {}},
                "optimizer": {"name": "adam", "learning_rate": 0.001, "amsgrad": false},
                "layers": [{"units": 3}, {"units": 4}]}"#,
        )
        .unwrap();
        let flat = flatten(&config);
        let expected = [
            ("epochs", "20"),
            ("model.hidden.0", "300"),
            ("model.hidden.1", "100"),
            ("model.activation", "relu"),
            ("model.dropout", "null"),
            ("model.extra", "[]"),
            ("model.opts", "{}"),
            ("optimizer.name", "adam"),
            ("optimizer.learning_rate", "0.001"),
            ("optimizer.amsgrad", "false"),
            ("layers.0.units", "3"),
            ("layers.1.units", "4"),
        ];
        let mut expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Objects' keys come in serde_json's order (sorted, or as written with preserve_order).
        let mut flat_sorted = flat.clone();
        flat_sorted.sort();
        expected.sort();
        assert_eq!(flat_sorted, expected);
        assert!(flat
            .iter()
            .all(|(k, _)| !k.contains('[') && !k.contains(']')));
    }

    #[test]
    fn non_finite_metrics_are_strings_mlflow_reads() {
        assert_eq!(metric_json(f64::NAN), json!("NaN"));
        assert_eq!(metric_json(f64::INFINITY), json!("Infinity"));
        assert_eq!(metric_json(f64::NEG_INFINITY), json!("-Infinity"));
        assert_eq!(metric_json(0.875), json!(0.875));
    }

    fn metric(i: usize) -> Metric {
        Metric {
            key: format!("m{}", i % 7),
            value: i as f64,
            timestamp: 0,
            step: i as u32,
        }
    }

    #[test]
    fn batches_stay_within_every_limit_and_keep_every_entry_in_order() {
        let params: Vec<(String, String)> =
            (0..250).map(|i| (format!("p{i}"), i.to_string())).collect();
        let tags: Vec<(String, String)> =
            (0..130).map(|i| (format!("t{i}"), i.to_string())).collect();
        let metrics: Vec<Metric> = (0..2500).map(metric).collect();
        let out = batches(params.clone(), metrics.clone(), tags.clone());
        for b in &out {
            assert!(b.params.len() <= MAX_PARAMS_PER_BATCH);
            assert!(b.tags.len() <= MAX_TAGS_PER_BATCH);
            assert!(b.metrics.len() <= MAX_METRICS_PER_BATCH);
            assert!(b.entries() <= MAX_ENTRIES_PER_BATCH);
            assert!(b.entries() > 0);
        }
        let all_params: Vec<_> = out.iter().flat_map(|b| b.params.clone()).collect();
        let all_tags: Vec<_> = out.iter().flat_map(|b| b.tags.clone()).collect();
        let all_metrics: Vec<_> = out.iter().flat_map(|b| b.metrics.clone()).collect();
        assert_eq!(all_params, params);
        assert_eq!(all_tags, tags);
        assert_eq!(all_metrics, metrics);
        // 250 params need 3 requests; the metrics fill the rest up to 1000 entries each.
        assert_eq!(out[0].params.len(), 100);
        assert_eq!(out[2].params.len(), 50);
        assert!(out.len() >= 3 + 2);
        assert!(batches(Vec::new(), Vec::new(), Vec::new()).is_empty());
    }

    #[test]
    fn a_small_run_is_one_request() {
        let out = batches(
            vec![("a".into(), "1".into())],
            (0..60).map(metric).collect(),
            vec![("t".into(), "x".into())],
        );
        assert_eq!(out.len(), 1);
        let body = out[0].to_json("r1");
        assert_eq!(body["run_id"], "r1");
        assert_eq!(body["metrics"].as_array().unwrap().len(), 60);
        assert_eq!(body["params"][0], json!({"key": "a", "value": "1"}));
    }
}
