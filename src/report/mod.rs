//! Reports: every seed, always. From a study's recorded runs this writes `report.md` (per-cell
//! distributions with bootstrap intervals, paired differences against the baseline, what a
//! cherry-picker keeping the best of k seeds would report, a per-seed table, diverged runs) and
//! its charts, and returns the console summary. `report/` never trains.

pub mod charts;
pub mod stats;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::results::{EpochRecord, RunRecord};
use stats::{expected_best_of_k, paired, summarize, Paired, Summary};

/// What a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Study name.
    pub study: &'a str,
    /// Its one-line description.
    pub description: &'a str,
    /// (cell id, cell label) in grid order.
    pub cells: &'a [(String, String)],
    /// The cell the others are compared with.
    pub baseline_cell_id: &'a str,
    /// Every recorded run.
    pub runs: &'a [RunRecord],
    /// Every recorded epoch.
    pub epochs: &'a [EpochRecord],
    /// Seed of the bootstrap resampling.
    pub seed: u64,
}

/// One cell's numbers, gathered once.
struct CellData<'a> {
    id: &'a str,
    label: &'a str,
    runs: Vec<&'a RunRecord>,
    acc: Vec<(u64, f64)>,
    val_loss: Vec<(u64, f64)>,
}

fn fmt(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "–".into()
    }
}

fn signed(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.4}")
    } else {
        "–".into()
    }
}

fn ci(s_low: f64, s_high: f64, signed_values: bool) -> String {
    if signed_values {
        format!("[{}, {}]", signed(s_low), signed(s_high))
    } else {
        format!("[{}, {}]", fmt(s_low, 4), fmt(s_high, 4))
    }
}

/// The label charts show: the value alone when every cell varies the same single axis.
fn short_label(runs: &[&RunRecord], label: &str) -> String {
    match runs.first().map(|r| r.axes.as_slice()) {
        Some([(_, value)]) => value.clone(),
        _ => label.to_string(),
    }
}

/// Writes `<out_dir>/report.md`, `test_acc.{png,svg}` and `val_loss_curves.{png,svg}`; returns the
/// console summary table.
pub fn write_report(out_dir: &Path, input: &ReportInput) -> Result<String> {
    let cells: Vec<CellData> = input
        .cells
        .iter()
        .map(|(id, label)| {
            let mut runs: Vec<&RunRecord> =
                input.runs.iter().filter(|r| &r.cell_id == id).collect();
            runs.sort_by_key(|r| r.seed);
            let acc = runs
                .iter()
                .map(|r| (r.seed, if r.diverged { f64::NAN } else { r.test_acc }))
                .collect();
            let val_loss = runs.iter().map(|r| (r.seed, r.final_val_loss)).collect();
            CellData {
                id,
                label,
                runs,
                acc,
                val_loss,
            }
        })
        .collect();
    let baseline = cells.iter().find(|c| c.id == input.baseline_cell_id);
    let seed = input.seed;

    let acc_summaries: Vec<Summary> = cells
        .iter()
        .map(|c| summarize(&values(&c.acc), seed))
        .collect();
    let loss_summaries: Vec<Summary> = cells
        .iter()
        .map(|c| summarize(&values(&c.val_loss), seed))
        .collect();
    let acc_paired: Vec<Option<Paired>> = cells
        .iter()
        .map(|c| {
            baseline
                .filter(|b| b.id != c.id)
                .map(|b| paired(&c.acc, &b.acc, true, seed))
        })
        .collect();
    let loss_paired: Vec<Option<Paired>> = cells
        .iter()
        .map(|c| {
            baseline
                .filter(|b| b.id != c.id)
                .map(|b| paired(&c.val_loss, &b.val_loss, false, seed))
        })
        .collect();

    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Study `{}`\n\n{}\n", input.study, input.description);
    provenance(w, input);

    let _ = writeln!(w, "## Test accuracy per cell\n");
    distribution_table(w, &cells, &acc_summaries);
    let _ = writeln!(w, "## Final validation loss per cell\n");
    distribution_table(w, &cells, &loss_summaries);

    let baseline_label = baseline.map_or("(none)", |b| b.label);
    let _ = writeln!(
        w,
        "## Versus the baseline `{baseline_label}`, paired by seed\n\nEach cell's runs are compared with \
         the baseline run of the same seed (same initial draws and data order). P(improvement) is the \
         fraction of seeds that improved; the best-of-k gap is how much larger the best single seed's \
         gain is than the median gain: what reporting one lucky run adds.\n"
    );
    let _ = writeln!(w, "### Test accuracy (positive = higher accuracy)\n");
    paired_table(w, &cells, &acc_paired);
    let _ = writeln!(w, "### Final validation loss (positive = lower loss)\n");
    paired_table(w, &cells, &loss_paired);

    let _ = writeln!(
        w,
        "## What a cherry-picker would report\n\nExpected test-accuracy gain over the baseline when one \
         tries k seeds and reports the best of them (exact expectation over all k-subsets of the \
         recorded seeds), next to the median gain.\n"
    );
    let _ = writeln!(
        w,
        "| cell | n | median gain | best of 1 | best of 3 | best of 5 | best of n |"
    );
    let _ = writeln!(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (c, p) in cells.iter().zip(&acc_paired) {
        if let Some(p) = p.as_ref().filter(|p| p.n > 0) {
            let k = |k: usize| {
                if k <= p.n {
                    signed(expected_best_of_k(&p.diffs, k))
                } else {
                    "–".into()
                }
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                c.label,
                p.n,
                signed(p.median_gain),
                k(1),
                k(3),
                k(5),
                k(p.n)
            );
        }
    }

    let _ = writeln!(
        w,
        "\n## Charts\n\n![Test accuracy of every seed per cell](test_acc.png)\n\n\
         ![Validation loss per epoch, every seed](val_loss_curves.png)\n"
    );

    per_seed_table(w, &cells);
    diverged_section(w, &cells);

    std::fs::create_dir_all(out_dir).map_err(|e| Error::io("creating", out_dir, e))?;
    let report = out_dir.join("report.md");
    std::fs::write(&report, &md).map_err(|e| Error::io("writing", &report, e))?;

    let chart_cells: Vec<(String, Vec<(u64, f64)>)> = cells
        .iter()
        .map(|c| (short_label(&c.runs, c.label), c.acc.clone()))
        .collect();
    charts::seed_points(
        &out_dir.join("test_acc"),
        &format!("{}: test accuracy, every seed", input.study),
        "test accuracy",
        &chart_cells,
    )?;
    let curves: Vec<(String, Vec<Vec<f64>>)> = cells
        .iter()
        .map(|c| {
            let per_seed = c
                .runs
                .iter()
                .map(|r| {
                    let mut e: Vec<&EpochRecord> = input
                        .epochs
                        .iter()
                        .filter(|e| e.cell_id == c.id && e.seed == r.seed)
                        .collect();
                    e.sort_by_key(|e| e.epoch);
                    e.iter().map(|e| e.val_loss).collect()
                })
                .collect();
            (short_label(&c.runs, c.label), per_seed)
        })
        .collect();
    charts::learning_curves(
        &out_dir.join("val_loss_curves"),
        &format!(
            "{}: validation loss (thin: one seed, thick: mean)",
            input.study
        ),
        "validation loss",
        &curves,
    )?;

    Ok(console_table(
        &cells,
        &acc_summaries,
        &acc_paired,
        baseline_label,
    ))
}

fn values(pairs: &[(u64, f64)]) -> Vec<f64> {
    pairs.iter().map(|p| p.1).collect()
}

fn provenance(w: &mut String, input: &ReportInput) {
    let distinct = |f: fn(&RunRecord) -> &str| -> String {
        let set: BTreeSet<&str> = input.runs.iter().map(f).collect();
        set.into_iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let seeds: BTreeSet<u64> = input.runs.iter().map(|r| r.seed).collect();
    let _ = writeln!(w, "## Provenance\n");
    let _ = writeln!(
        w,
        "- runs: {} ({} cells; seeds {})",
        input.runs.len(),
        input.cells.len(),
        seed_ranges(&seeds)
    );
    let _ = writeln!(
        w,
        "- code: commit {}; trainbench {}; dfdx {}; device {}",
        distinct(|r| &r.git_commit),
        distinct(|r| &r.trainbench_version),
        distinct(|r| &r.dfdx_version),
        distinct(|r| &r.device)
    );
    let _ = writeln!(
        w,
        "- data: {}, fingerprint {} (SHA-256 over the four files' SHA-256)",
        distinct(|r| &r.dataset),
        distinct(|r| &r.dataset_sha256)
    );
    let _ = writeln!(w, "- configs: each cell's full config is in `runs.parquet` (`config_json`); intervals are 95% percentile bootstraps with {} resamples, seed {}\n", stats::RESAMPLES, input.seed);
}

/// "0–9" or "0–4, 7".
fn seed_ranges(seeds: &BTreeSet<u64>) -> String {
    let mut parts = Vec::new();
    let mut iter = seeds.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end = iter.next().unwrap_or(end);
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
    }
    parts.join(", ")
}

fn distribution_table(w: &mut String, cells: &[CellData], summaries: &[Summary]) {
    let _ = writeln!(
        w,
        "| cell | n | mean | std | median | IQM | min | max | 95% CI of the mean |"
    );
    let _ = writeln!(
        w,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for (c, s) in cells.iter().zip(summaries) {
        if c.runs.is_empty() {
            let _ = writeln!(w, "| {} | 0 | no runs yet | | | | | | |", c.label);
            continue;
        }
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.label,
            s.n,
            fmt(s.mean, 4),
            fmt(s.std, 4),
            fmt(s.median, 4),
            fmt(s.iqm, 4),
            fmt(s.min, 4),
            fmt(s.max, 4),
            ci(s.ci_low, s.ci_high, false)
        );
    }
    let _ = writeln!(w);
}

fn paired_table(w: &mut String, cells: &[CellData], paired: &[Option<Paired>]) {
    let _ = writeln!(w, "| cell | n | mean Δ | 95% CI | P(improvement) | best seed's gain | median gain | best-of-k gap |");
    let _ = writeln!(w, "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
    for (c, p) in cells.iter().zip(paired) {
        match p {
            None => {
                let _ = writeln!(w, "| {} | | baseline | | | | | |", c.label);
            }
            Some(p) if p.n == 0 => {
                let _ = writeln!(w, "| {} | 0 | no paired seeds yet | | | | | |", c.label);
            }
            Some(p) => {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {} | {:.2} | {} | {} | {} |",
                    c.label,
                    p.n,
                    signed(p.mean_diff),
                    ci(p.ci_low, p.ci_high, true),
                    p.p_improvement,
                    signed(p.best_gain),
                    signed(p.median_gain),
                    fmt(p.best_of_k_gap, 4)
                );
            }
        }
    }
    let _ = writeln!(w);
}

fn per_seed_table(w: &mut String, cells: &[CellData]) {
    let seeds: BTreeSet<u64> = cells
        .iter()
        .flat_map(|c| c.runs.iter().map(|r| r.seed))
        .collect();
    let _ = writeln!(w, "## Every seed: test accuracy\n");
    let _ = writeln!(
        w,
        "| seed | {} |",
        cells
            .iter()
            .map(|c| c.label)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(w, "| ---: |{}", " ---: |".repeat(cells.len()));
    for s in seeds {
        let row: Vec<String> = cells
            .iter()
            .map(|c| match c.runs.iter().find(|r| r.seed == s) {
                None => "not run".into(),
                Some(r) if r.diverged => format!("diverged@step {}", r.diverged_step.unwrap_or(0)),
                Some(r) => fmt(r.test_acc, 4),
            })
            .collect();
        let _ = writeln!(w, "| {s} | {} |", row.join(" | "));
    }
    let _ = writeln!(w);
}

fn diverged_section(w: &mut String, cells: &[CellData]) {
    let _ = writeln!(w, "## Diverged runs\n");
    let diverged: Vec<String> = cells
        .iter()
        .flat_map(|c| {
            c.runs.iter().filter(|r| r.diverged).map(move |r| {
                format!(
                    "- {} seed {}: loss non-finite at step {} (epoch {})",
                    c.label,
                    r.seed,
                    r.diverged_step.unwrap_or(0),
                    r.epochs_run
                )
            })
        })
        .collect();
    if diverged.is_empty() {
        let _ = writeln!(w, "none");
    } else {
        let _ = writeln!(w, "{}", diverged.join("\n"));
    }
}

fn console_table(
    cells: &[CellData],
    acc: &[Summary],
    paired: &[Option<Paired>],
    baseline: &str,
) -> String {
    let header = vec![
        "cell".to_string(),
        "n".into(),
        "test acc mean [95% CI]".into(),
        "median".into(),
        "min".into(),
        "max".into(),
        format!("Δ vs {baseline} [95% CI]"),
        "P(impr.)".into(),
        "diverged".into(),
    ];
    let mut rows = vec![header];
    for ((c, s), p) in cells.iter().zip(acc).zip(paired) {
        let diverged = c.runs.iter().filter(|r| r.diverged).count();
        let (delta, p_impr) = match p {
            Some(p) if p.n > 0 => (
                format!("{} {}", signed(p.mean_diff), ci(p.ci_low, p.ci_high, true)),
                format!("{:.2}", p.p_improvement),
            ),
            Some(_) => ("–".into(), "–".into()),
            None => ("baseline".into(), "".into()),
        };
        rows.push(vec![
            c.label.to_string(),
            c.runs.len().to_string(),
            format!("{} {}", fmt(s.mean, 4), ci(s.ci_low, s.ci_high, false)),
            fmt(s.median, 4),
            fmt(s.min, 4),
            fmt(s.max, 4),
            delta,
            p_impr,
            diverged.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &width))| {
                let pad = width - cell.chars().count();
                if i == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cell: usize, seed: u64, acc: f64, diverged: bool) -> RunRecord {
        RunRecord {
            study: "t".into(),
            cell_id: format!("id{cell}"),
            cell_label: format!("optimizer=o{cell}"),
            axes: vec![("optimizer".into(), format!("o{cell}"))],
            seed,
            config_json: "{}".into(),
            dataset: "fashion-mnist".into(),
            dataset_sha256: "f00d".into(),
            epochs_run: 3,
            best_epoch: 3,
            final_train_loss: 0.3,
            final_train_acc: 0.9,
            final_val_loss: if diverged { f64::NAN } else { 1.0 - acc },
            final_val_acc: acc,
            best_val_loss: 0.3,
            best_val_acc: acc,
            test_loss: 0.4,
            test_acc: acc,
            diverged,
            diverged_step: diverged.then_some(42),
            wall_seconds: 1.0,
            samples_per_sec: 1.0,
            trainbench_version: "0.1.0".into(),
            git_commit: "abc123".into(),
            dfdx_version: "0.13.0".into(),
            device: "cpu".into(),
            started_at: "x".into(),
        }
    }

    #[test]
    fn report_shows_every_seed_the_baseline_comparison_and_divergence() {
        let mut runs = Vec::new();
        let mut epochs = Vec::new();
        for cell in 0..3 {
            for seed in 0..5 {
                let diverged = cell == 2 && seed == 3;
                runs.push(run(
                    cell,
                    seed,
                    0.80 + 0.01 * cell as f64 + 0.001 * seed as f64,
                    diverged,
                ));
                for epoch in 1..=3 {
                    epochs.push(EpochRecord {
                        study: "t".into(),
                        cell_id: format!("id{cell}"),
                        seed,
                        epoch,
                        train_loss: 1.0 / epoch as f64,
                        train_acc: 0.8,
                        val_loss: if diverged {
                            f64::NAN
                        } else {
                            1.0 / epoch as f64 + 0.01 * seed as f64
                        },
                        val_acc: 0.8,
                        learning_rate: 0.01,
                        wall_seconds: 0.1,
                    });
                }
            }
        }
        let cells: Vec<(String, String)> = (0..3)
            .map(|c| (format!("id{c}"), format!("optimizer=o{c}")))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let input = ReportInput {
            study: "t",
            description: "a test",
            cells: &cells,
            baseline_cell_id: "id0",
            runs: &runs,
            epochs: &epochs,
            seed: 1,
        };
        let table = write_report(dir.path(), &input).unwrap();
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        for seed in 0..5 {
            assert!(md.contains(&format!("\n| {seed} | ")), "seed {seed} row");
        }
        assert!(md.contains("diverged@step 42"), "{md}");
        assert!(
            md.contains("- optimizer=o2 seed 3: loss non-finite at step 42"),
            "{md}"
        );
        // Cell 1 beats the baseline by exactly 0.01 on every seed.
        assert!(
            md.contains("| optimizer=o1 | 5 | +0.0100 | [+0.0100, +0.0100] | 1.00 |"),
            "{md}"
        );
        assert!(
            md.contains("commit `abc123`") && md.contains("`f00d`"),
            "{md}"
        );
        assert!(
            table.contains("optimizer=o1") && table.contains("baseline"),
            "{table}"
        );
        for f in [
            "test_acc.png",
            "test_acc.svg",
            "val_loss_curves.png",
            "val_loss_curves.svg",
        ] {
            assert!(dir.path().join(f).exists(), "{f}");
        }
        // Deterministic: the same input gives the same report.
        write_report(dir.path(), &input).unwrap();
        assert_eq!(
            md,
            std::fs::read_to_string(dir.path().join("report.md")).unwrap()
        );
    }

    #[test]
    fn seed_ranges_compress() {
        let s: BTreeSet<u64> = [0, 1, 2, 3, 7, 9, 10].into_iter().collect();
        assert_eq!(seed_ranges(&s), "0–3, 7, 9–10");
    }
}
