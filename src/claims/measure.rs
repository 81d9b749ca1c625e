//! A metric's value on one run, with divergence scored as an outcome: a run whose loss became
//! non-finite is not dropped, its trained model scores as chance (accuracies) and +∞ (losses);
//! a target it never reached is +∞ (censored, ranked worst). What a run measured before it
//! diverged (its initialization, its epochs before the divergence, its timing) keeps the recorded
//! value. A value that exists nowhere (a metric the run did not record) is NaN: missing, left out
//! and counted by the caller. The cells and their runs are gathered in `super::arms`.

use super::arms::{ArmCell, ArmRun};
use super::computed;
use super::spec::Metric;

/// A run's value of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Value {
    /// The value; NaN when missing.
    pub value: f64,
    /// Whether a diverged run's score replaced what was recorded.
    pub scored: bool,
    /// Whether the run never reached the metric's target (the value is +∞).
    pub censored: bool,
}

impl Value {
    fn recorded(value: f64) -> Self {
        Value {
            value,
            scored: false,
            censored: false,
        }
    }

    fn missing() -> Self {
        Self::recorded(f64::NAN)
    }

    fn censored() -> Self {
        Value {
            value: f64::INFINITY,
            scored: false,
            censored: true,
        }
    }

    /// Combines two values with `f`, keeping both flags.
    fn with(self, other: Value, f: impl Fn(f64, f64) -> f64) -> Value {
        Value {
            value: f(self.value, other.value),
            scored: self.scored || other.scored,
            censored: self.censored || other.censored,
        }
    }
}

/// Whether a column holds a loss (a diverged run's is +∞).
fn is_loss(column: &str) -> bool {
    column.contains("loss") || column.contains("nll")
}

/// What a diverged run scores in `column`: chance for an accuracy of its trained model, +∞ for
/// a loss; `None` for what does not depend on the trained model (initialization, timing, epoch
/// counts) or has no natural worst (other extra metrics, diagnostics), which keep the recorded
/// value if finite.
fn diverged_score(column: &str, chance: f64) -> Option<f64> {
    let untouched = column.starts_with("metric.init.")
        || column.starts_with("metric.timing.")
        || column.starts_with("diag.")
        || matches!(
            column,
            "wall_seconds" | "epochs_run" | "best_epoch" | "learning_rate" | "diverged"
        );
    if untouched {
        None
    } else if column.contains("acc") {
        Some(chance)
    } else if is_loss(column) {
        Some(f64::INFINITY)
    } else {
        None
    }
}

/// A runs-table column of one run, scored if the run diverged.
pub fn run_value(cell: &ArmCell, run: &ArmRun, column: &str) -> Value {
    let record = run.run;
    let recorded = match column {
        "test_acc" => record.test_acc,
        "test_loss" => record.test_loss,
        "final_val_acc" => record.final_val_acc,
        "final_val_loss" => record.final_val_loss,
        "final_train_acc" => record.final_train_acc,
        "final_train_loss" => record.final_train_loss,
        "best_val_acc" => record.best_val_acc,
        "best_val_loss" => record.best_val_loss,
        "epochs_run" => f64::from(record.epochs_run),
        "best_epoch" => f64::from(record.best_epoch),
        "wall_seconds" => record.wall_seconds,
        "diverged" => f64::from(u8::from(record.diverged)),
        other => match other.strip_prefix("metric.") {
            Some(name) => record.extra_metric(name),
            // The claims file is checked on load; an unknown column cannot get here.
            None => f64::NAN,
        },
    };
    if record.diverged {
        if let Some(score) = diverged_score(column, cell.chance) {
            return Value {
                value: score,
                scored: true,
                censored: false,
            };
        }
    }
    Value::recorded(if recorded.is_finite() || !record.diverged {
        recorded
    } else {
        f64::NAN
    })
}

/// An epochs-table column of one row.
fn epoch_column(e: &crate::results::EpochRecord, column: &str) -> f64 {
    match column {
        "train_loss" => e.train_loss,
        "train_acc" => e.train_acc,
        "val_loss" => e.val_loss,
        "val_acc" => e.val_acc,
        "learning_rate" => e.learning_rate,
        "wall_seconds" => e.wall_seconds,
        other => other
            .strip_prefix("diag.")
            .map_or(f64::NAN, |name| e.diagnostic(name)),
    }
}

/// An epochs-table column at `epoch`: as recorded before a divergence; scored at and after the
/// epoch the run diverged in; a run stopped early keeps its last epoch's value after it.
pub fn epoch_value(cell: &ArmCell, run: &ArmRun, column: &str, epoch: u32) -> Value {
    let last = run.epochs.last().map_or(0, |e| e.epoch);
    if run.run.diverged && epoch >= last {
        return match diverged_score(column, cell.chance) {
            Some(score) => Value {
                value: score,
                scored: true,
                censored: false,
            },
            None => {
                let v = run
                    .epochs
                    .iter()
                    .find(|e| e.epoch == epoch)
                    .map_or(f64::NAN, |e| epoch_column(e, column));
                Value::recorded(if v.is_finite() { v } else { f64::NAN })
            }
        };
    }
    let row = run
        .epochs
        .iter()
        .find(|e| e.epoch == epoch)
        .or_else(|| run.epochs.last().filter(|e| e.epoch < epoch));
    Value::recorded(row.map_or(f64::NAN, |e| epoch_column(e, column)))
}

/// The first epoch whose `column` reaches `target` (for a loss: falls to it), if any; the
/// epoch a run diverged in reaches nothing.
fn first_reaching(run: &ArmRun, column: &str, target: f64) -> Option<u32> {
    let falls = Metric::falls(column);
    let diverged_in = run
        .run
        .diverged
        .then(|| run.epochs.last().map_or(0, |e| e.epoch));
    run.epochs
        .iter()
        .filter(|e| Some(e.epoch) != diverged_in)
        .find(|e| {
            let v = epoch_column(e, column);
            if falls {
                v <= target
            } else {
                v >= target
            }
        })
        .map(|e| e.epoch)
}

/// The metric's value on one run of `cell`.
pub fn measure(metric: &Metric, cell: &ArmCell, run: &ArmRun) -> Value {
    let last_epoch = run.epochs.last().map_or(0, |e| e.epoch);
    match metric {
        Metric::Run(column) => run_value(cell, run, column),
        Metric::AtEpoch { column, epoch } => epoch_value(cell, run, column, *epoch),
        Metric::EpochsTo { column, target } => match first_reaching(run, column, *target) {
            Some(epoch) => Value::recorded(f64::from(epoch)),
            None => Value::censored(),
        },
        Metric::SecondsTo {
            column,
            target,
            epoch_seconds,
        } => {
            let Some(epoch) = first_reaching(run, column, *target) else {
                return Value::censored();
            };
            match epoch_seconds {
                Some(per_epoch) => {
                    let seconds = run_value(cell, run, per_epoch);
                    Value::recorded(f64::from(epoch) * seconds.value)
                }
                None => Value::recorded(
                    run.epochs
                        .iter()
                        .filter(|e| e.epoch <= epoch)
                        .map(|e| e.wall_seconds)
                        .sum(),
                ),
            }
        }
        Metric::MeanOf {
            column,
            through_epoch,
        } => {
            let through = through_epoch.unwrap_or(last_epoch);
            if through == 0 {
                return Value::missing();
            }
            let mut total = Value::recorded(0.0);
            for epoch in 1..=through {
                total = total.with(epoch_value(cell, run, column, epoch), |a, b| a + b);
            }
            Value {
                value: total.value / f64::from(through),
                ..total
            }
        }
        Metric::FallAfter { column, epoch } => {
            let end = cell.budget.max(last_epoch);
            epoch_value(cell, run, column, *epoch)
                .with(epoch_value(cell, run, column, end), |from, to| from - to)
        }
        Metric::UnitWeighted { diagnostic, epoch } => {
            let epoch = epoch.unwrap_or(last_epoch);
            let (mut counted, mut units) = (0.0, 0.0);
            for (i, &width) in cell.hidden.iter().enumerate() {
                let column = format!("diag.{diagnostic}.{:03}", i + 1);
                let v = epoch_value(cell, run, &column, epoch).value;
                counted += v * width as f64;
                units += width as f64;
            }
            Value::recorded(if units > 0.0 {
                counted / units
            } else {
                f64::NAN
            })
        }
        Metric::Difference { columns: [x, y] } => {
            run_value(cell, run, x).with(run_value(cell, run, y), |x, y| x - y)
        }
        Metric::AbsDifference { columns: [x, y] } => {
            run_value(cell, run, x).with(run_value(cell, run, y), |x, y| x.abs() - y.abs())
        }
        Metric::Log10Ratio { columns: [x, y] } => {
            run_value(cell, run, x).with(run_value(cell, run, y), |x, y| (x / y).log10())
        }
        Metric::AbsLog10Ratio { columns: [x, y] } => {
            run_value(cell, run, x).with(run_value(cell, run, y), |x, y| (x / y).log10().abs())
        }
        Metric::Computed { name } => Value::recorded(computed::value(name).unwrap_or(f64::NAN)),
    }
}
