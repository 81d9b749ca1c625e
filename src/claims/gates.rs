//! The validity gates on a check's arms (PROTOCOL.md, principle 4):
//!
//! - **trained**: the median over the arm's runs of the best validation accuracy (a diverged
//!   run scores chance) is at least chance + 10 points, chance = 1/classes;
//! - **converged**: at least half of the arm's runs converged. A run converged when early
//!   stopping fired (it stopped before its epoch budget without diverging), or when its last 3
//!   epochs lowered its best validation loss by less than 1%: best of the last 3 ≥ 0.99 × best
//!   of the epochs before them. (The issue's words, "the best validation loss of the last 3
//!   epochs is within 1% of the run's best", read literally pass every run still improving,
//!   whose best is among its last 3 epochs; the gate is there to catch exactly those.) A
//!   diverged run, or one with fewer than 4 epochs, did not converge.
//!
//! A gate never tests the outcome its claim is about; which arms it applies to is written per
//! check in studies/claims.toml.

use super::arms::{ArmCell, ArmRun};
use super::measure::run_value;
use super::spec::{Arm, Arms, Gates};
use crate::report::stats::median;

/// How far above chance the median best validation accuracy must be for "trained".
pub const TRAINED_ABOVE_CHANCE: f64 = 0.10;

/// The epochs whose improvement "converged" looks at, and the improvement that is too much.
pub const CONVERGED_LAST_EPOCHS: usize = 3;
/// See [`CONVERGED_LAST_EPOCHS`].
pub const CONVERGED_IMPROVEMENT: f64 = 0.01;

/// What one gate found on one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    /// Which arm.
    pub arm: Arm,
    /// The cell's label.
    pub cell: String,
    /// "trained" or "converged".
    pub gate: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// The numbers behind it.
    pub detail: String,
}

impl GateResult {
    /// "<cell> did not train (…)" or "… did not converge (…)".
    pub fn failure(&self) -> String {
        let what = if self.gate == "trained" {
            "did not train"
        } else {
            "did not converge"
        };
        format!("{} {what} ({})", self.cell, self.detail)
    }
}

/// Whether a cell trained: its median best validation accuracy against chance + 10 points.
fn trained(arm: Arm, cell: &ArmCell) -> GateResult {
    let best: Vec<f64> = cell
        .runs
        .values()
        .map(|r| run_value(cell, r, "best_val_acc").value)
        .collect();
    let m = median(&best);
    let needed = cell.chance + TRAINED_ABOVE_CHANCE;
    GateResult {
        arm,
        cell: cell.label.clone(),
        gate: "trained",
        passed: m >= needed - 1e-12,
        detail: format!(
            "median best validation accuracy {m:.4}, needs chance {:.2} + {TRAINED_ABOVE_CHANCE:.2}",
            cell.chance
        ),
    }
}

/// Whether one run converged (see the module doc).
pub fn run_converged(cell: &ArmCell, run: &ArmRun) -> bool {
    if run.run.diverged {
        return false;
    }
    if cell.early_stopping && run.run.epochs_run < cell.budget {
        return true;
    }
    let losses: Vec<f64> = run.epochs.iter().map(|e| e.val_loss).collect();
    if losses.len() <= CONVERGED_LAST_EPOCHS {
        return false;
    }
    let split = losses.len() - CONVERGED_LAST_EPOCHS;
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    best(&losses[split..]) >= (1.0 - CONVERGED_IMPROVEMENT) * best(&losses[..split])
}

fn converged(arm: Arm, cell: &ArmCell) -> GateResult {
    let count = cell
        .runs
        .values()
        .filter(|r| run_converged(cell, r))
        .count();
    let n = cell.runs.len();
    GateResult {
        arm,
        cell: cell.label.clone(),
        gate: "converged",
        passed: n > 0 && 2 * count >= n,
        detail: format!(
            "{count} of {n} runs converged: their last {CONVERGED_LAST_EPOCHS} epochs lowered \
             the best validation loss by less than {:.0}%, or early stopping fired; needs half",
            CONVERGED_IMPROVEMENT * 100.0
        ),
    }
}

/// The gates of a check on its arms' cells, in order (a's, then b's). With `either`, a gate
/// passes when every cell of at least one arm does; its failure is then reported for each arm.
pub fn evaluate(gates: &Gates, a: &[ArmCell], b: Option<&[ArmCell]>) -> Vec<GateResult> {
    let mut out = Vec::new();
    let arm_cells = |arm: Arm| match arm {
        Arm::A => a,
        Arm::B => b.unwrap_or(&[]),
    };
    type Gate = fn(Arm, &ArmCell) -> GateResult;
    for (arms, gate) in [
        (&gates.trained, trained as Gate),
        (&gates.converged, converged as Gate),
    ] {
        let results: Vec<GateResult> = arms
            .named()
            .into_iter()
            .flat_map(|arm| arm_cells(arm).iter().map(move |c| gate(arm, c)))
            .collect();
        if *arms == Arms::Either {
            let arm_passes = |arm: Arm| results.iter().filter(|g| g.arm == arm).all(|g| g.passed);
            let any = arm_passes(Arm::A) || arm_passes(Arm::B);
            out.extend(results.into_iter().map(|mut g| {
                g.passed = g.passed || any;
                g
            }));
        } else {
            out.extend(results);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::store::tests::{epoch, run};
    use crate::results::{EpochRecord, RunRecord};

    fn cell<'a>(early_stopping: bool, runs: &'a [(RunRecord, Vec<EpochRecord>)]) -> ArmCell<'a> {
        ArmCell {
            label: "c".into(),
            chance: 0.1,
            budget: 10,
            early_stopping,
            hidden: vec![8],
            runs: runs
                .iter()
                .map(|(r, e)| {
                    (
                        r.seed,
                        ArmRun {
                            run: r,
                            epochs: e.iter().collect(),
                        },
                    )
                })
                .collect(),
        }
    }

    /// A run of `losses.len()` epochs with these validation losses.
    fn with_losses(seed: u64, losses: &[f64]) -> (RunRecord, Vec<EpochRecord>) {
        let mut r = run(seed, false);
        r.epochs_run = losses.len() as u32;
        let epochs = losses
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let mut e = epoch("abc", seed);
                e.epoch = i as u32 + 1;
                e.val_loss = l;
                e
            })
            .collect();
        (r, epochs)
    }

    #[test]
    fn a_run_converged_when_it_plateaued_or_stopped_early() {
        let plateau = with_losses(0, &[1.0, 0.6, 0.5, 0.5, 0.499, 0.498]);
        let falling = with_losses(1, &[1.0, 0.8, 0.7, 0.6, 0.55, 0.5]);
        let overfitting = with_losses(2, &[1.0, 0.5, 0.4, 0.45, 0.5, 0.6]);
        let short = with_losses(3, &[1.0, 0.5, 0.4]);
        // Stopped after 6 of its 10 epochs, still falling: early stopping fired.
        let runs = [plateau, falling.clone(), overfitting, short];
        let fixed = cell(false, &runs);
        let converged: Vec<bool> = fixed
            .runs
            .values()
            .map(|r| run_converged(&fixed, r))
            .collect();
        assert_eq!(converged, [true, false, true, false]);
        let stopping = cell(true, std::slice::from_ref(&falling));
        assert!(run_converged(&stopping, &stopping.runs[&1]));
        // Half the runs is enough for the arm.
        let gate = evaluate(
            &Gates {
                converged: Arms::Each(vec![Arm::A]),
                ..Gates::default()
            },
            std::slice::from_ref(&fixed),
            None,
        );
        assert!(gate[0].passed, "{gate:?}");
        assert!(gate[0].detail.starts_with("2 of 4 runs converged"));
    }

    #[test]
    fn a_diverged_run_neither_trained_nor_converged() {
        let mut diverged = with_losses(0, &[1.0, 0.5, 0.4, 0.4, 0.4, f64::NAN]);
        diverged.0.diverged = true;
        diverged.0.best_val_acc = 0.85;
        let runs = [diverged];
        let c = cell(false, &runs);
        assert!(!run_converged(&c, &c.runs[&0]));
        let g = evaluate(
            &Gates {
                trained: Arms::Each(vec![Arm::A]),
                ..Gates::default()
            },
            std::slice::from_ref(&c),
            None,
        );
        // Its best validation accuracy before diverging was 0.85; it scores chance.
        assert!(!g[0].passed, "{g:?}");
        assert_eq!(
            g[0].failure(),
            "c did not train (median best validation accuracy 0.1000, needs chance 0.10 + 0.10)"
        );
    }
}
