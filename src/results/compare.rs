//! Bit-for-bit comparison of recorded numbers: what `verify` checks a re-run against, what
//! `merge` uses to tell an exact duplicate from a conflict, and what `trainbench compare` prints
//! for two result directories. Only reproducible numbers take part: wall time, throughput, dates
//! and the commit are metadata and may differ. Extra metrics are compared by name: every one the
//! first (recorded) set has must come back equal; one that only the second has is a measurement
//! added since, not a difference.

use std::collections::BTreeMap;

use super::record::{EpochRecord, RunRecord};

/// The reproducible numbers of a run, by column name.
fn run_numbers(r: &RunRecord) -> [(&'static str, f64); 11] {
    [
        ("epochs_run", f64::from(r.epochs_run)),
        ("best_epoch", f64::from(r.best_epoch)),
        ("final_train_loss", r.final_train_loss),
        ("final_train_acc", r.final_train_acc),
        ("final_val_loss", r.final_val_loss),
        ("final_val_acc", r.final_val_acc),
        ("best_val_loss", r.best_val_loss),
        ("best_val_acc", r.best_val_acc),
        ("test_loss", r.test_loss),
        ("test_acc", r.test_acc),
        ("diverged_step", r.diverged_step.map_or(-1.0, |s| s as f64)),
    ]
}

/// The reproducible numbers of an epoch row, by column name.
fn epoch_numbers(e: &EpochRecord) -> [(&'static str, f64); 5] {
    [
        ("train_loss", e.train_loss),
        ("train_acc", e.train_acc),
        ("val_loss", e.val_loss),
        ("val_acc", e.val_acc),
        ("learning_rate", e.learning_rate),
    ]
}

/// Equal bits, or both NaN (a diverged run's NaN is the same outcome whatever its payload).
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Every difference between two records of the same run (`a` is the recorded one), as lines
/// naming the column, epoch and both values; empty when they agree bit for bit.
pub fn run_differences(
    a: &RunRecord,
    a_epochs: &[EpochRecord],
    b: &RunRecord,
    b_epochs: &[EpochRecord],
) -> Vec<String> {
    let mut out = Vec::new();
    if a.config_json != b.config_json {
        out.push("config differs".to_string());
    }
    if a.numerics != b.numerics {
        out.push(format!("numerics version {} vs {}", a.numerics, b.numerics));
    }
    if a.dataset_sha256 != b.dataset_sha256 {
        out.push(format!(
            "dataset {} vs {}",
            a.dataset_sha256, b.dataset_sha256
        ));
    }
    for ((name, x), (_, y)) in run_numbers(a).into_iter().zip(run_numbers(b)) {
        if !same(x, y) {
            out.push(format!("{name}: {x:?} vs {y:?}"));
        }
    }
    named_differences("metric.", &a.extra, &b.extra, &mut out);
    let by_epoch = |epochs: &[EpochRecord]| -> BTreeMap<u32, EpochRecord> {
        epochs.iter().map(|e| (e.epoch, e.clone())).collect()
    };
    let (ea, eb) = (by_epoch(a_epochs), by_epoch(b_epochs));
    for epoch in ea
        .keys()
        .chain(eb.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (ea.get(epoch), eb.get(epoch)) {
            (Some(x), Some(y)) => {
                for ((name, u), (_, v)) in epoch_numbers(x).into_iter().zip(epoch_numbers(y)) {
                    if !same(u, v) {
                        out.push(format!("epoch {epoch} {name}: {u:?} vs {v:?}"));
                    }
                }
                named_differences(
                    &format!("epoch {epoch} diag."),
                    &x.extra,
                    &y.extra,
                    &mut out,
                );
            }
            (Some(_), None) => out.push(format!("epoch {epoch} only in the first")),
            (None, _) => out.push(format!("epoch {epoch} only in the second")),
        }
    }
    out
}

/// Differences between two sets of named values (extra metrics, diagnostics), each line
/// starting with `prefix` and the name.
fn named_differences(
    prefix: &str,
    a: &[(String, f64)],
    b: &[(String, f64)],
    out: &mut Vec<String>,
) {
    // Wall-clock measurements (`timing.*`) are metadata, like wall_seconds.
    let timed = |name: &str| name.starts_with("timing.");
    for (name, x) in a.iter().filter(|(n, _)| !timed(n)) {
        match b.iter().find(|(n, _)| n == name) {
            Some((_, y)) if same(*x, *y) => {}
            Some((_, y)) => out.push(format!("{prefix}{name}: {x:?} vs {y:?}")),
            None => out.push(format!("{prefix}{name} only in the first")),
        }
    }
    // A value only the second has is a measurement added since the first was recorded (a newer
    // trainbench measures more, e.g. signed calibration errors): every value both have must
    // agree, and every value the first has must be there again, but a new one is no conflict.
}

/// Runs keyed by (cell id, seed) with their epoch rows.
type Keyed<'a> = BTreeMap<(&'a str, u64), (&'a RunRecord, Vec<EpochRecord>)>;

fn keyed<'a>(runs: &'a [RunRecord], epochs: &'a [EpochRecord]) -> Keyed<'a> {
    let mut map: Keyed<'a> = runs
        .iter()
        .map(|r| ((r.cell_id.as_str(), r.seed), (r, Vec::new())))
        .collect();
    for e in epochs {
        if let Some((_, rows)) = map.get_mut(&(e.cell_id.as_str(), e.seed)) {
            rows.push(e.clone());
        }
    }
    map
}

/// Every difference between two result sets (e.g. a sharded study merged vs the same study run
/// on one machine): runs only in one of them, and runs whose numbers differ.
pub fn table_differences(
    a: (&[RunRecord], &[EpochRecord]),
    b: (&[RunRecord], &[EpochRecord]),
) -> Vec<String> {
    let (ka, kb) = (keyed(a.0, a.1), keyed(b.0, b.1));
    let mut out = Vec::new();
    for (key, (ra, ea)) in &ka {
        match kb.get(key) {
            Some((rb, eb)) => {
                for d in run_differences(ra, ea, rb, eb) {
                    out.push(format!("{} seed {}: {d}", ra.cell_label, key.1));
                }
            }
            None => out.push(format!(
                "{} seed {}: only in the first",
                ra.cell_label, key.1
            )),
        }
    }
    for (key, (rb, _)) in &kb {
        if !ka.contains_key(key) {
            out.push(format!(
                "{} seed {}: only in the second",
                rb.cell_label, key.1
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::store::tests::{epoch, run};

    #[test]
    fn equal_records_have_no_differences_and_metadata_does_not_count() {
        let (a, ea) = (run(1, false), vec![epoch("abc", 1)]);
        let mut b = a.clone();
        b.wall_seconds = 99.0;
        b.started_at = "later".into();
        b.git_commit = "other".into();
        assert!(run_differences(&a, &ea, &b, &ea).is_empty());
        // A diverged run's NaN equals a NaN.
        let d = run(2, true);
        assert!(run_differences(&d, &[], &d.clone(), &[]).is_empty());
    }

    #[test]
    fn a_metric_measured_since_is_no_difference_but_a_lost_or_changed_one_is() {
        let ea = vec![epoch("abc", 1)];
        let mut a = run(1, false);
        a.extra = vec![("mc_ece".into(), 0.03)];
        let mut b = a.clone();
        b.extra.push(("mc_signed_ce".into(), 0.01));
        assert!(run_differences(&a, &ea, &b, &ea).is_empty());
        // The other way round, the recorded metric did not come back.
        let d = run_differences(&b, &ea, &a, &ea);
        assert_eq!(d, ["metric.mc_signed_ce only in the first"]);
        b.extra[0].1 = 0.031;
        let d = run_differences(&a, &ea, &b, &ea);
        assert_eq!(d, ["metric.mc_ece: 0.03 vs 0.031"]);
    }

    #[test]
    fn one_ulp_in_one_epoch_is_a_difference() {
        let (a, ea) = (run(1, false), vec![epoch("abc", 1)]);
        let mut eb = ea.clone();
        eb[0].val_loss = f64::from_bits(eb[0].val_loss.to_bits() + 1);
        let d = run_differences(&a, &ea, &a, &eb);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with("epoch 1 val_loss"), "{d:?}");
        let mut b = a.clone();
        b.test_acc = 0.5;
        assert_eq!(run_differences(&a, &ea, &b, &ea).len(), 1);
    }

    #[test]
    fn tables_list_missing_and_extra_runs() {
        let a = vec![run(1, false), run(2, false)];
        let b = vec![run(2, false), run(3, false)];
        let d = table_differences((&a, &[]), (&b, &[]));
        assert_eq!(
            d,
            [
                "optimizer=adam seed 1: only in the first",
                "optimizer=adam seed 3: only in the second"
            ]
        );
    }
}
