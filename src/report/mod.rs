//! Reports: every seed, always. From a study's recorded runs and epochs, [`write_report`] writes
//! `report.md` (per-cell distributions with bootstrap intervals, each cell's divergence rate with
//! its Wilson interval, paired comparisons against the baseline in which a diverged run counts as
//! chance accuracy and +∞ loss (t or signed-rank, BCa beside, Holm across the cells, TOST, power),
//! what a cherry-picker keeping the best of k seeds would report, a per-seed table, the diverged
//! runs; a tuned study's tuning, a study with `seed_axes` the variance each source of randomness
//! explains) and its charts, and returns the console summary. The numbers live in [`stats`],
//! [`comparison`] (on [`inference`]) and [`variance`], the text in `markdown` and [`tuning`]; the
//! charts are drawn by [`crate::plot`] from those numbers.
//! `report/` never trains and never reads the clock, so the same input gives the same files.

pub mod across;
pub mod comparison;
pub mod html;
pub mod inference;
mod markdown;
pub mod stats;
pub mod tuning;
pub mod variance;
pub mod workloads;

use std::path::Path;

use crate::error::{Error, Result};
use crate::plot::{self, MeanInterval, SeedColumn};
use crate::results::{EpochRecord, RunRecord};
use comparison::{compare, holm_across, Comparison, ACCURACY_MARGIN};
use inference::proportion::Rate;
use stats::{summarize, Summary};

/// What a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Study name.
    pub study: &'a str,
    /// Its description (Markdown allowed).
    pub description: &'a str,
    /// (cell id, cell label) in grid order; cells without runs are listed as "no runs yet".
    pub cells: &'a [(String, String)],
    /// The cell the others are compared with, seed by seed.
    pub baseline_cell_id: &'a str,
    /// Every recorded run.
    pub runs: &'a [RunRecord],
    /// Every recorded epoch.
    pub epochs: &'a [EpochRecord],
    /// Seed of the bootstrap resampling.
    pub seed: u64,
    /// A tuned study's tuning (none: no "Tuning" section).
    pub tuning: Option<&'a tuning::TuningSection>,
    /// Each cell's workload and arm when the study has a workload axis (empty otherwise): each
    /// cell is then compared with the baseline arm's cell on its own workload, and the report
    /// adds the "Across workloads" section ([`across`]).
    pub workloads: &'a [across::CellWorkload],
}

/// How a cell stands against the baseline.
enum VsBaseline {
    /// The cell is the baseline.
    IsBaseline,
    /// The baseline cell is not among the report's cells.
    NoBaseline,
    /// Paired by seed (possibly with no pair), diverged runs scored.
    Paired(Box<Comparison>),
}

/// One cell's runs and numbers, gathered once for the Markdown, the console table and charts.
struct CellReport<'a> {
    id: &'a str,
    label: &'a str,
    /// Its runs, by seed.
    runs: Vec<&'a RunRecord>,
    /// (seed, test accuracy); NaN for a diverged run (the charts mark it apart).
    acc: Vec<(u64, f64)>,
    /// (seed, test accuracy as comparisons count it): chance for a diverged run.
    scored_acc: Vec<(u64, f64)>,
    /// (seed, final validation loss as comparisons count it): +∞ for a diverged run.
    scored_loss: Vec<(u64, f64)>,
    /// Its divergence rate with the 95% Wilson interval (`None` without runs).
    divergence: Option<Rate>,
    /// Test accuracy over every run, a diverged one at chance.
    acc_summary: Summary,
    /// Final validation loss over the runs that did not diverge (a mean over +∞ is undefined).
    loss_summary: Summary,
    acc_vs_baseline: VsBaseline,
    loss_vs_baseline: VsBaseline,
}

impl CellReport<'_> {
    fn diverged(&self) -> usize {
        self.runs.iter().filter(|r| r.diverged).count()
    }
}

/// The value a run contributes: `value` (one of its metrics), or NaN when it diverged.
fn unless_diverged(run: &RunRecord, value: f64) -> f64 {
    if run.diverged {
        f64::NAN
    } else {
        value
    }
}

fn analyze<'a>(input: &ReportInput<'a>) -> Vec<CellReport<'a>> {
    let seed = input.seed;
    let mut cells: Vec<CellReport<'a>> = input
        .cells
        .iter()
        .map(|(id, label)| {
            let mut runs: Vec<&RunRecord> =
                input.runs.iter().filter(|r| &r.cell_id == id).collect();
            runs.sort_by_key(|r| r.seed);
            let acc: Vec<(u64, f64)> = runs
                .iter()
                .map(|r| (r.seed, unless_diverged(r, r.test_acc)))
                .collect();
            let scored_acc: Vec<(u64, f64)> = runs
                .iter()
                .map(|r| (r.seed, comparison::scored_accuracy(r)))
                .collect();
            let scored_loss: Vec<(u64, f64)> = runs
                .iter()
                .map(|r| (r.seed, comparison::scored_loss(r)))
                .collect();
            let values = |v: &[(u64, f64)]| v.iter().map(|p| p.1).collect::<Vec<_>>();
            CellReport {
                id,
                label,
                acc_summary: summarize(&values(&scored_acc), seed),
                loss_summary: summarize(&values(&scored_loss), seed),
                divergence: comparison::divergence_rate(&runs),
                runs,
                acc,
                scored_acc,
                scored_loss,
                acc_vs_baseline: VsBaseline::NoBaseline,
                loss_vs_baseline: VsBaseline::NoBaseline,
            }
        })
        .collect();
    let bases: Vec<Option<usize>> = cells
        .iter()
        .map(|c| {
            let id = across::baseline_of(input, c.id);
            cells.iter().position(|b| b.id == id)
        })
        .collect();
    for (i, b) in bases.into_iter().enumerate() {
        let Some(b) = b else {
            continue;
        };
        let (base_acc, base_loss) = (cells[b].scored_acc.clone(), cells[b].scored_loss.clone());
        let base_runs = cells[b].runs.clone();
        let is_baseline = i == b || cells[i].id == cells[b].id;
        let c = &mut cells[i];
        if is_baseline {
            c.acc_vs_baseline = VsBaseline::IsBaseline;
            c.loss_vs_baseline = VsBaseline::IsBaseline;
        } else {
            let runs = &c.runs;
            let diverged = |in_cell: bool, seed: u64| {
                let side: &[&RunRecord] = if in_cell { runs } else { &base_runs };
                side.iter().any(|r| r.seed == seed && r.diverged)
            };
            let acc = compare(
                &c.scored_acc,
                &base_acc,
                diverged,
                true,
                Some(ACCURACY_MARGIN),
                seed,
            );
            let loss = compare(&c.scored_loss, &base_loss, diverged, false, None, seed);
            c.acc_vs_baseline = VsBaseline::Paired(Box::new(acc));
            c.loss_vs_baseline = VsBaseline::Paired(Box::new(loss));
        }
    }
    // Holm across the cells compared with the baseline, accuracy and loss each one family.
    let mut family: Vec<&mut Comparison> = cells
        .iter_mut()
        .filter_map(|c| match &mut c.acc_vs_baseline {
            VsBaseline::Paired(p) => Some(&mut **p),
            _ => None,
        })
        .collect();
    holm_across(&mut family);
    let mut family: Vec<&mut Comparison> = cells
        .iter_mut()
        .filter_map(|c| match &mut c.loss_vs_baseline {
            VsBaseline::Paired(p) => Some(&mut **p),
            _ => None,
        })
        .collect();
    holm_across(&mut family);
    cells
}

/// Labels for the charts and what they vary: when every cell with runs varies the same grid
/// axes, a cell is labelled by its axis values alone and the axis names go in the title
/// (" by optimizer × learning_rate"); otherwise cells keep their full labels.
fn chart_labels(cells: &[CellReport]) -> (Vec<String>, String) {
    fn names<'a>(c: &CellReport<'a>) -> Option<Vec<&'a str>> {
        let r = c.runs.first()?;
        Some(r.axes.iter().map(|(k, _)| k.as_str()).collect())
    }
    let mut shared: Option<Vec<&str>> = None;
    for c in cells {
        match (names(c), &shared) {
            (None, _) => {}
            (Some(n), None) if !n.is_empty() => shared = Some(n),
            (Some(n), Some(s)) if n == *s => {}
            _ => {
                return (
                    cells.iter().map(|c| c.label.to_string()).collect(),
                    String::new(),
                )
            }
        }
    }
    let Some(names) = shared else {
        return (
            cells.iter().map(|c| c.label.to_string()).collect(),
            String::new(),
        );
    };
    let labels = cells
        .iter()
        .map(|c| match c.runs.first() {
            Some(r) => r
                .axes
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            None => c.label.to_string(),
        })
        .collect();
    (labels, format!(" by {}", names.join(" × ")))
}

/// Writes `<out_dir>/report.md` and the charts `test_acc.{png,svg}` (every seed's test accuracy
/// per cell) and `val_loss_curves.{png,svg}` (validation loss per epoch, every seed), creating
/// `out_dir` if needed. Returns the console summary: one aligned plain-text row per cell with n,
/// mean test accuracy and its 95% CI, median, min, max, the paired difference to the baseline
/// with its CI, P(improvement) and the number of diverged runs.
pub fn write_report(out_dir: &Path, input: &ReportInput) -> Result<String> {
    write_report_linking(out_dir, input, None)
}

/// [`write_report`], and `report.html` beside `report.md` (see [`html`]): the same tables,
/// the charts with a target per seed, every run; it links to `study_file` (a path relative to
/// `out_dir`) when given.
pub fn write_report_linking(
    out_dir: &Path,
    input: &ReportInput,
    study_file: Option<&str>,
) -> Result<String> {
    let cells = analyze(input);
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io("creating", out_dir, e))?;

    let mut md = markdown::report(input, &cells);
    md.push_str(&across::section(out_dir, input)?);
    let report = out_dir.join("report.md");
    crate::atomic::write(&report, md.as_bytes())?;

    let (labels, by) = chart_labels(&cells);
    let points: Vec<SeedColumn> = cells
        .iter()
        .zip(&labels)
        .map(|(c, l)| SeedColumn {
            label: l.clone(),
            seeds: c.acc.clone(),
            mean: (c.acc_summary.n > 0).then_some(MeanInterval {
                mean: c.acc_summary.mean,
                low: c.acc_summary.ci_low,
                high: c.acc_summary.ci_high,
            }),
        })
        .collect();
    let points_title = format!("{}: test accuracy{by}, every seed", input.study);
    plot::seed_points(
        &out_dir.join("test_acc"),
        &points_title,
        "test accuracy",
        &points,
    )?;
    let curves: Vec<(String, Vec<Vec<f64>>)> = cells
        .iter()
        .zip(&labels)
        .map(|(c, label)| {
            let per_seed = c
                .runs
                .iter()
                .map(|r| {
                    crate::results::epochs_of(input.epochs, c.id, r.seed)
                        .iter()
                        .map(|e| e.val_loss)
                        .collect()
                })
                .collect();
            (label.clone(), per_seed)
        })
        .collect();
    let curves_title = format!("{}: validation loss per epoch{by}, every seed", input.study);
    plot::learning_curves(
        &out_dir.join("val_loss_curves"),
        &curves_title,
        "validation loss",
        &curves,
    )?;
    if let Some(section) = input.tuning {
        tuning::charts(out_dir, input.study, section)?;
    }
    reliability_chart(out_dir, input)?;
    let page = html::StudyPage {
        study: input.study,
        out_dir,
        cells: &cells,
        runs: input.runs,
        points: &points,
        points_title: &points_title,
        curves: &curves,
        curves_title: &curves_title,
        study_file,
        tuning: input.tuning,
    };
    let html = html::report_page(&page, &md)?;
    html::write_page(&out_dir.join("report.html"), &html)?;

    Ok(markdown::console_table(&cells))
}

/// `reliability.{png,svg}` when the runs recorded reliability bins (a study with MC dropout):
/// the plain model's and MC dropout's calibration over every run; nothing otherwise.
fn reliability_chart(out_dir: &Path, input: &ReportInput) -> Result<()> {
    let bins = |run: &RunRecord, prediction: &str| -> Vec<(f64, f64)> {
        // The 15 bins a run records (`reliability.<prediction>.{conf,acc}.01` … `.15`).
        (1..=15)
            .map(|b: usize| {
                (
                    run.extra_metric(&format!("reliability.{prediction}.conf.{b:02}")),
                    run.extra_metric(&format!("reliability.{prediction}.acc.{b:02}")),
                )
            })
            .filter(|(c, a)| c.is_finite() && a.is_finite())
            .collect()
    };
    let curves: Vec<plot::ReliabilityCurve> = [("test", "plain model"), ("mc", "MC dropout")]
        .into_iter()
        .map(|(prediction, label)| plot::ReliabilityCurve {
            label: label.into(),
            runs: input
                .runs
                .iter()
                .map(|r| bins(r, prediction))
                .filter(|b| !b.is_empty())
                .collect(),
        })
        .collect();
    if curves.iter().all(|c| c.runs.is_empty()) {
        return Ok(());
    }
    plot::reliability(
        &out_dir.join("reliability"),
        &format!(
            "{}: reliability of the test predictions, every run (below the diagonal: over-confident)",
            input.study
        ),
        &curves,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of cell `cell` (its test accuracy `acc`; a diverged one records chance 0.1 and a
    /// NaN final validation loss), shared with the tests of the report's submodules.
    pub(super) fn run(cell: usize, seed: u64, acc: f64, diverged: bool) -> RunRecord {
        RunRecord {
            study: "t".into(),
            cell_id: format!("id{cell}"),
            cell_label: format!("optimizer=o{cell}"),
            axes: vec![("optimizer".into(), format!("o{cell}"))],
            seed,
            seed_streams: vec![],
            tuned: vec![],
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
            test_acc: if diverged { 0.1 } else { acc },
            diverged,
            diverged_step: diverged.then_some(42),
            wall_seconds: 1.0,
            samples_per_sec: 1.0,
            trainbench_version: "0.1.0".into(),
            git_commit: "abc123".into(),
            dfdx_version: "0.13.0".into(),
            device: "cpu".into(),
            started_at: "x".into(),
            numerics: 1,
            cpu_path: String::new(),
            extra: vec![],
        }
    }

    /// 3 cells × 5 seeds, cell 2 seed 3 diverged; cell 1 beats cell 0 by 0.01 on every seed.
    fn study() -> (Vec<RunRecord>, Vec<EpochRecord>, Vec<(String, String)>) {
        let mut runs = Vec::new();
        let mut epochs = Vec::new();
        for cell in 0..3 {
            for seed in 0..5 {
                let diverged = cell == 2 && seed == 3;
                let acc = 0.80 + 0.01 * cell as f64 + 0.002 * ((seed * 3) % 5) as f64;
                runs.push(run(cell, seed, acc, diverged));
                for epoch in 1..=3 {
                    epochs.push(EpochRecord {
                        study: "t".into(),
                        cell_id: format!("id{cell}"),
                        seed,
                        epoch,
                        train_loss: 1.0 / epoch as f64,
                        train_acc: 0.8,
                        val_loss: if diverged && epoch == 3 {
                            f64::NAN
                        } else {
                            0.5 / epoch as f64 + 0.01 * (seed + cell as u64) as f64
                        },
                        val_acc: 0.8,
                        learning_rate: 0.01,
                        wall_seconds: 0.1,
                        extra: vec![],
                    });
                }
            }
        }
        let cells = (0..3)
            .map(|c| (format!("id{c}"), format!("optimizer=o{c}")))
            .collect();
        (runs, epochs, cells)
    }

    fn run_anchor_of_tuning(cell_id: &str) -> String {
        html::runs::tuning_anchor(cell_id, 1000)
    }

    #[test]
    fn a_tuned_report_page_links_every_tuning_point_to_its_row() {
        let (runs, epochs, cells) = study();
        let mut section = tuning::tests::section();
        // A tuning run per point of the fixture, recording its candidate's η.
        section.runs = section
            .arms
            .iter()
            .flat_map(|arm| &arm.points)
            .map(|p| {
                let mut r = run(0, p.seed, p.score, false);
                r.cell_id = p.cell_id.clone();
                r.tuned = vec![("optimizer.learning_rate".into(), p.values[0])];
                r
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("study");
        let input = ReportInput {
            study: "t",
            description: "a tuned test",
            cells: &cells,
            baseline_cell_id: "id0",
            runs: &runs,
            epochs: &epochs,
            seed: 1,
            tuning: Some(&section),
            workloads: &[],
        };
        write_report(&out, &input).unwrap();
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        // Two arms × four candidates: eight points, each naming its arm, seed and η and
        // linking to a row of the tuning runs' table.
        let tips: Vec<&str> = html
            .split("data-tip=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|t| t.contains("optimizer.learning_rate = "))
            .collect();
        assert_eq!(tips.len(), 8, "{tips:?}");
        assert!(tips.contains(
            &"optimizer=sgd · seed 1000 · optimizer.learning_rate = 0.100 · best_val_acc 0.8500"
        ));
        for arm in ["sgd", "adam"] {
            for eta in ["0.0001", "0.001", "0.01", "0.1"] {
                let id = run_anchor_of_tuning(&format!("{arm}-{eta}"));
                assert_eq!(html.matches(&format!("href=\"#{id}\"")).count(), 1, "{id}");
                assert_eq!(html.matches(&format!("<tr id=\"{id}\"")).count(), 1, "{id}");
            }
        }
        assert!(html.contains("<td>optimizer=adam</td><td>optimizer.learning_rate = 1.00e-4</td>"));
        // An untuned report has no such table.
        let plain = ReportInput {
            tuning: None,
            ..input
        };
        write_report(&out, &plain).unwrap();
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(!html.contains("tuning-runs"));
    }

    #[test]
    fn report_shows_every_seed_the_baseline_comparison_and_divergence() {
        let (runs, epochs, cells) = study();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("study");
        let input = ReportInput {
            study: "t",
            description: "a test",
            cells: &cells,
            baseline_cell_id: "id0",
            runs: &runs,
            epochs: &epochs,
            seed: 1,
            tuning: None,
            workloads: &[],
        };
        let table = write_report(&out, &input).unwrap();
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        for seed in 0..5 {
            assert!(
                md.contains(&format!("\n| {seed} | ")),
                "seed {seed} row:\n{md}"
            );
        }
        assert!(
            md.contains("| 3 | 0.8080 | 0.8180 | diverged@step 42 |"),
            "{md}"
        );
        assert!(
            md.contains("- optimizer=o2, seed 3: diverged at step 42"),
            "{md}"
        );
        // Cell 1 beats the baseline by exactly 0.01 on every seed: the t interval.
        assert!(
            md.contains("| optimizer=o1 | 5 | 0 · 0 | t | +0.0100 | [+0.0100, +0.0100] |"),
            "{md}"
        );
        assert!(md.contains("| optimizer=o0 | baseline |"), "{md}");
        // The diverged run counts: its accuracy at chance (0.1 − 0.808 on seed 3), so all five
        // seeds pair and the mean gain is (4 × 0.02 − 0.708)/5 = −0.1256.
        assert!(
            md.contains("| optimizer=o2 | 5 | 1 · 0 | t | -0.1256 |"),
            "the diverged seed is scored, not left out: {md}"
        );
        // Its loss is +∞: the signed-rank test with Hodges–Lehmann, whose interval at n = 5 is
        // (−∞, ∞).
        assert!(
            md.contains("| optimizer=o2 | 5 | 1 · 0 | HL | +0.0200 | [-∞, +∞] (100.0%) | – |"),
            "{md}"
        );
        // P-values of 0 (no variation) read 0; Holm over the two cells leaves o2's at its own.
        assert!(
            md.contains("| [+0.0100, +0.0100] | 0 | 0 | 1.0000 |"),
            "{md}"
        );
        assert!(md.contains("| 0.4370 | 0.4370 |"), "{md}");
        // Accuracy counts every run; the loss statistics exclude the diverged one, counted.
        assert!(md.contains("| optimizer=o2 | 5 | 0 | 0.6784 |"), "{md}");
        assert!(md.contains("| optimizer=o2 | 4 | 1 |"), "{md}");
        // The divergence rate with its Wilson interval (1 of 5: [0.036, 0.624]).
        assert!(
            md.contains("| optimizer=o2 | 5 | 1 | 0.20 | [0.04, 0.62] |"),
            "{md}"
        );
        assert!(
            md.contains("| optimizer=o1 | 5 | 0 | 0.00 | [0.00, 0.43] |"),
            "{md}"
        );
        assert!(
            md.contains("commit `abc123`") && md.contains("`f00d`"),
            "{md}"
        );
        assert!(md.contains("seeds 0–4"), "{md}");
        assert!(
            md.contains("![")
                && md.contains("(test_acc.png)")
                && md.contains("(val_loss_curves.png)")
        );
        assert!(
            table.contains("optimizer=o1") && table.contains("baseline"),
            "{table}"
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[3].ends_with(" 1"), "o2 has one diverged run: {table}");
        for f in [
            "test_acc.png",
            "test_acc.svg",
            "val_loss_curves.png",
            "val_loss_curves.svg",
        ] {
            let len = std::fs::metadata(out.join(f)).unwrap().len();
            assert!(len > 1000, "{f}");
        }
        assert!(
            !md.contains("## Tuning") && !md.contains("## Variance sources"),
            "an untuned study without seed axes has neither section"
        );
        // Deterministic: the same input gives the same report.
        write_report(&out, &input).unwrap();
        assert_eq!(md, std::fs::read_to_string(out.join("report.md")).unwrap());
        println!("{md}\n{table}");
    }

    #[test]
    fn cells_without_runs_and_a_missing_baseline_are_said_so() {
        let (runs, epochs, mut cells) = study();
        cells.push(("id9".into(), "optimizer=o9".into()));
        let dir = tempfile::tempdir().unwrap();
        let input = ReportInput {
            study: "t",
            description: "",
            cells: &cells,
            baseline_cell_id: "nope",
            runs: &runs,
            epochs: &epochs,
            seed: 1,
            tuning: None,
            workloads: &[],
        };
        let table = write_report(dir.path(), &input).unwrap();
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(md.contains("| optimizer=o9 | no runs yet |"), "{md}");
        assert!(
            md.contains("baseline cell `nope` has no runs in this report"),
            "{md}"
        );
        assert!(!md.contains("| baseline |"), "{md}");
        assert!(table.contains("optimizer=o9"), "{table}");
    }

    #[test]
    fn seed_axes_give_each_source_its_share_of_the_variance() {
        // One cell, init × order crossed over 2 × 3 seeds: accuracy = 0.8 + 0.01·init.
        let mut runs = Vec::new();
        for init in 0..2u64 {
            for order in 0..3u64 {
                let mut r = run(0, init * 3 + order, 0.8 + 0.01 * init as f64, false);
                r.seed_streams = vec![
                    ("init".into(), init),
                    ("order".into(), order),
                    ("noise".into(), 0),
                ];
                runs.push(r);
            }
        }
        let cells = vec![("id0".to_string(), "optimizer=o0".to_string())];
        let dir = tempfile::tempdir().unwrap();
        let input = ReportInput {
            study: "t",
            description: "",
            cells: &cells,
            baseline_cell_id: "id0",
            runs: &runs,
            epochs: &[],
            seed: 1,
            tuning: None,
            workloads: &[],
        };
        write_report(dir.path(), &input).unwrap();
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(md.contains("## Variance sources"), "{md}");
        assert!(
            md.contains("| cell | runs | std of test acc | `init` | `order` | rest |"),
            "noise is held fixed, so it is no column: {md}"
        );
        assert!(
            md.contains("| optimizer=o0 | 6 | 0.0055 | 100% | 0% | 0% |"),
            "{md}"
        );
        // A diverged run leaves the design incomplete: said, not decomposed.
        let mut with_diverged = runs.clone();
        with_diverged[2].diverged = true;
        let input = ReportInput {
            runs: &with_diverged,
            ..input
        };
        write_report(dir.path(), &input).unwrap();
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(
            md.contains("| optimizer=o0 | 6 | a run has no finite value (diverged) |"),
            "{md}"
        );
    }

    /// Writes a realistic report to /tmp/report_preview/report for a person to read and look
    /// at (run with --ignored).
    #[test]
    #[ignore]
    fn preview() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (mut runs, mut epochs, mut cells) = (Vec::new(), Vec::new(), Vec::new());
        let optimizers = ["sgd", "momentum", "adam"];
        let rates = ["0.01", "0.1"];
        for (o, opt) in optimizers.iter().enumerate() {
            for (l, lr) in rates.iter().enumerate() {
                let cell = o * 2 + l;
                let id = format!("{cell:016x}");
                let label = format!("optimizer={opt}, learning_rate={lr}");
                cells.push((id.clone(), label.clone()));
                for seed in 0..10u64 {
                    let diverged = opt == &"adam" && lr == &"0.1" && seed % 4 == 1;
                    let skill = 0.02 * o as f64 - 0.01 * l as f64;
                    let acc = 0.85 + skill + rng.gen_range(-0.01..0.01);
                    let mut r = run(cell, seed, acc, diverged);
                    r.cell_id = id.clone();
                    r.cell_label = label.clone();
                    r.axes = vec![
                        ("optimizer".into(), opt.to_string()),
                        ("learning_rate".into(), lr.to_string()),
                    ];
                    r.epochs_run = if diverged { 4 } else { 15 };
                    runs.push(r);
                    let noise = rng.gen_range(0.0..0.03);
                    for epoch in 1..=r_epochs(diverged) {
                        let val_loss = if diverged && epoch == 4 {
                            f64::NAN
                        } else if diverged && epoch == 3 {
                            25.0
                        } else {
                            0.32 - skill + 0.5 / epoch as f64 + noise
                        };
                        epochs.push(EpochRecord {
                            study: "optimizers".into(),
                            cell_id: id.clone(),
                            seed,
                            epoch,
                            train_loss: val_loss,
                            train_acc: 0.8,
                            val_loss,
                            val_acc: 0.8,
                            learning_rate: 0.01,
                            wall_seconds: 0.1,
                            extra: vec![],
                        });
                    }
                }
            }
        }
        fn r_epochs(diverged: bool) -> u32 {
            if diverged {
                4
            } else {
                15
            }
        }
        let input = ReportInput {
            study: "optimizers",
            description: "SGD, momentum and Adam at two learning rates.",
            cells: &cells,
            baseline_cell_id: &cells[0].0,
            runs: &runs,
            epochs: &epochs,
            seed: 0,
            tuning: None,
            workloads: &[],
        };
        let table = write_report(Path::new("/tmp/report_preview/report"), &input).unwrap();
        println!("{table}");
    }
}
