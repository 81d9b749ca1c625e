//! The text of a report: `report.md` and the console summary table, from the numbers gathered
//! in `report/mod.rs`. Numbers have fixed decimals and nothing reads the clock, so the same
//! input gives byte-identical text. No statistics are computed here beyond formatting, and no
//! files are written.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::comparison::{Comparison, ACCURACY_MARGIN, ALPHA, MAX_SEEDS, TARGET_POWER};
use super::inference::paired::Interval;
use super::stats::{expected_best_of_k, Summary, RESAMPLES};
use super::{CellReport, ReportInput, VsBaseline};
use crate::results::RunRecord;

/// Decimals of accuracies, losses and their differences.
const DECIMALS: usize = 4;

/// The k of the best-of-k table (plus n, every paired seed).
const BEST_OF: [usize; 3] = [1, 3, 5];

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.DECIMALS$}")
    } else {
        "–".into()
    }
}

fn signed(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.DECIMALS$}")
    } else {
        "–".into()
    }
}

fn interval(low: f64, high: f64) -> String {
    format!("[{}, {}]", num(low), num(high))
}

/// An interval of a comparison, its infinite ends written as such (a Hodges–Lehmann interval
/// at n ≤ 5 is (-∞, +∞)), with its level when the method gives another than 95%.
fn comparison_interval(i: Option<&Interval>) -> String {
    let Some(i) = i else {
        return "–".into();
    };
    let end = |x: f64| {
        if x == f64::INFINITY {
            "+∞".to_string()
        } else if x == f64::NEG_INFINITY {
            "-∞".to_string()
        } else {
            signed(x)
        }
    };
    let level = if (i.level - (1.0 - ALPHA)).abs() > 1e-9 {
        format!(" ({:.1}%)", 100.0 * i.level)
    } else {
        String::new()
    };
    format!("[{}, {}]{level}", end(i.low), end(i.high))
}

/// A p-value: four decimals, or two significant digits below 0.0001.
fn p_text(p: Option<f64>) -> String {
    match p {
        Some(0.0) => "0".into(),
        Some(p) if p < 1e-4 => format!("{p:.1e}"),
        Some(p) => format!("{p:.4}"),
        None => "–".into(),
    }
}

/// A gain that may be infinite (a diverged run's loss).
fn gain_text(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 { "+∞" } else { "-∞" }.into()
    } else {
        signed(x)
    }
}

/// A label safe inside a Markdown table cell.
fn cell_text(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A run's test accuracy as the per-seed table shows it.
fn seed_value(run: &RunRecord) -> String {
    if run.diverged {
        match run.diverged_step {
            Some(step) => format!("diverged@step {step}"),
            None => "diverged@step ?".into(),
        }
    } else if run.test_acc.is_finite() {
        num(run.test_acc)
    } else {
        "non-finite".into()
    }
}

/// `report.md`.
pub(super) fn report(input: &ReportInput, cells: &[CellReport]) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Study `{}`\n", input.study);
    if !input.description.trim().is_empty() {
        let _ = writeln!(w, "{}\n", input.description.trim());
    }
    provenance(w, input);

    let _ = writeln!(
        w,
        "## Test accuracy per cell\n\nA diverged run is an outcome, not missing data: its \
         accuracy counts as chance (1/classes), here and in every comparison. n counts the runs \
         with a value; `excluded` counts those without one.\n"
    );
    distribution_table(w, cells, |c| &c.acc_summary);
    let _ = writeln!(
        w,
        "## Final validation loss per cell (lower is better)\n\nA diverged run's loss is +∞: a \
         mean over it is undefined, so these statistics are over the runs that did not diverge \
         (`excluded` = the diverged ones); the comparisons below rank it worst.\n"
    );
    distribution_table(w, cells, |c| &c.loss_summary);
    divergence_table(w, cells);

    versus_baseline(w, input, cells);
    best_of_k(w, cells);
    variance_sources(w, cells);

    let _ = writeln!(
        w,
        "## Charts\n\n![Test accuracy of every seed per cell, with the mean and its 95% bootstrap \
         interval](test_acc.png)\n\nEach point is one seed; red crosses along the bottom are \
         diverged runs (the mean counts them at chance). Also as [SVG](test_acc.svg).\n\n![Validation loss per epoch: every seed \
         thin, the mean thick](val_loss_curves.png)\n\nThin lines are single seeds, thick lines \
         the mean over the seeds that reached that epoch without diverging; a red cross on the \
         top edge marks the epoch where a run diverged. Also as \
         [SVG](val_loss_curves.svg).\n"
    );

    if input
        .runs
        .iter()
        .any(|r| r.extra_metric("reliability.mc.share.01").is_finite())
    {
        calibration(w, input);
    }
    if let Some(section) = input.tuning {
        super::tuning::markdown(w, section);
    }
    per_seed_table(w, cells);
    diverged_section(w, cells);
    md
}

/// With MC dropout: the signed calibration errors beside the ECE (mean over runs), and the
/// reliability diagram (`reliability.png`, drawn by the report).
fn calibration(w: &mut String, input: &ReportInput) {
    let mean = |name: &str| -> f64 {
        let values: Vec<f64> = input
            .runs
            .iter()
            .map(|r| r.extra_metric(name))
            .filter(|v| v.is_finite())
            .collect();
        values.iter().sum::<f64>() / values.len().max(1) as f64
    };
    let _ = writeln!(
        w,
        "## Calibration

Mean over runs. Signed calibration error = mean top-class probability \
         − accuracy (> 0: over-confident); the ECE averages its absolute value per confidence bin \
         (15 bins).

| prediction | signed calibration error | ECE |
| --- | ---: | ---: |
\
         | plain model | {:+.4} | {:.4} |
| MC dropout | {:+.4} | {:.4} |

![Reliability \
         diagram: accuracy against confidence per bin, every run thin, the mean \
         thick](reliability.png)

Below the diagonal the model is over-confident. Also as \
         [SVG](reliability.svg).
",
        mean("test_signed_ce"),
        mean("test_ece"),
        mean("mc_signed_ce"),
        mean("mc_ece"),
    );
}

/// With `seed_axes`: per cell, the share of test accuracy's variance each source of randomness
/// explains (nothing when no cell's runs vary a source apart).
fn variance_sources(w: &mut String, cells: &[CellReport]) {
    // The sources each cell's runs seed apart, in column order, and whether any cell has one.
    let varied = |c: &CellReport| -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for run in &c.runs {
            for (name, _) in &run.seed_streams {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names.retain(|name| {
            let seeds: BTreeSet<u64> = c.runs.iter().map(|r| r.stream_seed(name)).collect();
            seeds.len() > 1
        });
        names
    };
    let per_cell: Vec<Vec<String>> = cells.iter().map(varied).collect();
    let Some(sources) = per_cell.iter().find(|v| !v.is_empty()).cloned() else {
        return;
    };
    let _ = writeln!(
        w,
        "## Variance sources\n\nThe study varies these sources of randomness apart \
         (`seed_axes`), every combination of their seeds a run, the other sources held at seed \
         0. The share of the variance of test accuracy each explains, per cell: variance \
         components of a random-effects ANOVA of the crossed design (main effects; a negative \
         estimate counts 0), `rest` being what no single source explains (their interactions). \
         Diverged runs leave a cell without a decomposition.\n"
    );
    let header: Vec<String> = sources.iter().map(|s| format!("`{s}`")).collect();
    let _ = writeln!(
        w,
        "| cell | runs | std of test acc | {} | rest |",
        header.join(" | ")
    );
    let _ = writeln!(
        w,
        "| --- | ---: | ---: |{} ---: |",
        " ---: |".repeat(sources.len())
    );
    for (c, names) in cells.iter().zip(&per_cell) {
        let label = cell_text(c.label);
        let blank = " – |".repeat(sources.len());
        if *names != sources {
            let _ = writeln!(w, "| {label} | {} | – |{blank} – |", c.runs.len());
            continue;
        }
        let levels: Vec<Vec<u64>> = c
            .runs
            .iter()
            .map(|r| names.iter().map(|n| r.stream_seed(n)).collect())
            .collect();
        let values: Vec<f64> = c.acc.iter().map(|(_, v)| *v).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        match super::variance::decompose(&refs, &levels, &values) {
            Ok(d) => {
                let shares: Vec<String> = d
                    .shares()
                    .iter()
                    .map(|s| format!("{:.0}%", 100.0 * s))
                    .collect();
                let _ = writeln!(
                    w,
                    "| {label} | {} | {} | {} |",
                    d.n,
                    num(d.total_variance.sqrt()),
                    shares.join(" | ")
                );
            }
            Err(why) => {
                let _ = writeln!(w, "| {label} | {} | {why} |{blank} – |", c.runs.len());
            }
        }
    }
    let _ = writeln!(w);
}

fn provenance(w: &mut String, input: &ReportInput) {
    let distinct = |f: fn(&RunRecord) -> &str| -> String {
        let set: BTreeSet<&str> = input.runs.iter().map(f).collect();
        if set.is_empty() {
            return "–".into();
        }
        set.into_iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let seeds: BTreeSet<u64> = input.runs.iter().map(|r| r.seed).collect();
    let _ = writeln!(w, "## Provenance\n");
    let _ = writeln!(
        w,
        "- runs: {} recorded, {} cells in the report; seeds {}",
        input.runs.len(),
        input.cells.len(),
        if seeds.is_empty() {
            "–".into()
        } else {
            seed_ranges(&seeds)
        }
    );
    let versions: BTreeSet<u32> = input.runs.iter().map(|r| r.numerics).collect();
    let versions = versions
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    // Recorded since numerics versions exist; older runs have no path to show.
    let paths: BTreeSet<&str> = input
        .runs
        .iter()
        .map(|r| r.cpu_path.as_str())
        .filter(|p| !p.is_empty())
        .collect();
    let paths = if paths.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = paths.iter().map(|p| format!("`{p}`")).collect();
        format!(" (kernel path {})", list.join(", "))
    };
    let _ = writeln!(
        w,
        "- code: commit {}; trainbench {}; dfdx {}; numerics version {}; device {}{paths}",
        distinct(|r| &r.git_commit),
        distinct(|r| &r.trainbench_version),
        distinct(|r| &r.dfdx_version),
        if versions.is_empty() {
            "–".into()
        } else {
            versions
        },
        distinct(|r| &r.device)
    );
    let _ = writeln!(
        w,
        "- data: {}, SHA-256 {}",
        distinct(|r| &r.dataset),
        distinct(|r| &r.dataset_sha256)
    );
    let _ = writeln!(
        w,
        "- statistics: per cell, 95% percentile-bootstrap intervals of the mean, {RESAMPLES} \
         resamples; against the baseline, the paired t or signed-rank test with BCa beside and \
         Holm across cells; bootstrap seed {}; each cell's full config is in `runs.parquet` \
         (`config_json`)",
        input.seed
    );
    let listed: BTreeSet<&str> = input.cells.iter().map(|(id, _)| id.as_str()).collect();
    let others: BTreeSet<&str> = input
        .runs
        .iter()
        .filter(|r| !listed.contains(r.cell_id.as_str()))
        .map(|r| r.cell_label.as_str())
        .collect();
    if !others.is_empty() {
        let n = input
            .runs
            .iter()
            .filter(|r| !listed.contains(r.cell_id.as_str()))
            .count();
        let _ = writeln!(
            w,
            "- not in this report: {n} recorded run(s) of cells outside its grid: {}",
            others
                .into_iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(w);
}

/// "0–9" or "0–4, 7".
fn seed_ranges(seeds: &BTreeSet<u64>) -> String {
    let mut parts = Vec::new();
    let mut iter = seeds.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
    }
    parts.join(", ")
}

fn distribution_table<'a>(
    w: &mut String,
    cells: &'a [CellReport<'a>],
    summary: impl Fn(&'a CellReport<'a>) -> &'a Summary,
) {
    let _ = writeln!(
        w,
        "| cell | n | excluded | mean | std | median | IQM | min | max | 95% CI of the mean |"
    );
    let _ = writeln!(
        w,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for c in cells {
        let label = cell_text(c.label);
        if c.runs.is_empty() {
            let _ = writeln!(w, "| {label} | no runs yet | | | | | | | | |");
            continue;
        }
        let s = summary(c);
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.n,
            c.runs.len() - s.n,
            num(s.mean),
            num(s.std),
            num(s.median),
            num(s.iqm),
            num(s.min),
            num(s.max),
            interval(s.ci_low, s.ci_high)
        );
    }
    let _ = writeln!(w);
}

fn versus_baseline(w: &mut String, input: &ReportInput, cells: &[CellReport]) {
    let Some(baseline) = cells
        .iter()
        .find(|c| matches!(c.acc_vs_baseline, VsBaseline::IsBaseline))
    else {
        let _ = writeln!(
            w,
            "## Versus the baseline\n\nThe baseline cell `{}` has no runs in this report, so no \
             cell is compared with it.\n",
            input.baseline_cell_id
        );
        return;
    };
    let _ = writeln!(
        w,
        "## Versus the baseline `{}`, paired by seed\n\nEach run is compared with the baseline's \
         run of the same seed (same initial draws and data order). Diverged runs count, never \
         dropped: accuracy at chance, loss +∞ (ranked worst; two diverged runs tie); n = seeds \
         paired, `diverged` = how many of them diverged in the cell · in the baseline. Δ is \
         oriented so that positive is better: the mean difference with its paired Student-t 95% \
         interval when every difference is finite, else (a diverged loss) the Wilcoxon \
         signed-rank test with the Hodges–Lehmann estimate (HL) and its interval. BCa: the 95% \
         bias-corrected bootstrap interval of the mean beside the t interval. p: two-sided, of no \
         difference; Holm: adjusted across the cells compared with the baseline in the table \
         (5% family-wise). TOST: the p-value that accuracy lies within ±{ACCURACY_MARGIN} (0.3 \
         points; < 0.05 = equivalent). MDE: the smallest difference the t test detects with {:.0}% \
         power at this n and the family's strictest level (5%/cells); seeds: those needed for \
         {:.0}% power at the observed difference (– when it is 0 or more than {MAX_SEEDS} would be \
         needed). P(improvement) is the fraction of seeds that improved (ties count half).\n",
        cell_text(baseline.label),
        100.0 * TARGET_POWER,
        100.0 * TARGET_POWER
    );
    let _ = writeln!(w, "### Test accuracy (positive = higher accuracy)\n");
    paired_table(w, cells, |c| &c.acc_vs_baseline);
    let _ = writeln!(w, "### Final validation loss (positive = lower loss)\n");
    paired_table(w, cells, |c| &c.loss_vs_baseline);
}

/// Each cell's diverged runs with the 95% Wilson interval of its rate.
fn divergence_table(w: &mut String, cells: &[CellReport]) {
    let _ = writeln!(
        w,
        "## Divergence per cell\n\nRuns whose loss became non-finite, and the rate with its 95% \
         Wilson interval.\n\n| cell | runs | diverged | rate | 95% interval |\n| --- | ---: | ---: | ---: | --- |"
    );
    for c in cells {
        let label = cell_text(c.label);
        match &c.divergence {
            None => {
                let _ = writeln!(w, "| {label} | no runs yet | | | |");
            }
            Some(r) => {
                let _ = writeln!(
                    w,
                    "| {label} | {} | {} | {:.2} | [{:.2}, {:.2}] |",
                    r.n, r.count, r.rate, r.ci_low, r.ci_high
                );
            }
        }
    }
    let _ = writeln!(w);
}

fn paired_table<'a>(
    w: &mut String,
    cells: &'a [CellReport<'a>],
    vs: impl Fn(&'a CellReport<'a>) -> &'a VsBaseline,
) {
    let _ = writeln!(
        w,
        "| cell | n | diverged | test | Δ | 95% CI | BCa | p | Holm | TOST | MDE · seeds | P(improvement) | best seed's gain | median gain |"
    );
    let _ = writeln!(
        w,
        "| --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
    );
    let empty = " |".repeat(12);
    for c in cells {
        let label = cell_text(c.label);
        match vs(c) {
            VsBaseline::IsBaseline => {
                let _ = writeln!(w, "| {label} | baseline |{empty}");
            }
            VsBaseline::NoBaseline => {}
            VsBaseline::Paired(_) if c.runs.is_empty() => {
                let _ = writeln!(w, "| {label} | no runs yet |{empty}");
            }
            VsBaseline::Paired(p) if p.seeds.is_empty() => {
                let _ = writeln!(w, "| {label} | 0 | no paired seeds |{}", " |".repeat(11));
            }
            VsBaseline::Paired(p) => {
                let _ = writeln!(w, "| {label} | {} |{}", p.seeds.len(), comparison_row(p));
            }
        }
    }
    let _ = writeln!(w);
}

/// The columns after n of a compared cell.
fn comparison_row(p: &Comparison) -> String {
    let (test, estimate) = match &p.evidence {
        Some(e) => (
            match e.method() {
                super::inference::paired::Method::StudentT => "t",
                super::inference::paired::Method::SignedRank => "HL",
            },
            gain_text(e.estimate()),
        ),
        None => ("–", "–".to_string()),
    };
    let power = match &p.power {
        Some(pw) => format!(
            "{} · {}",
            num(pw.minimum_detectable),
            pw.seeds_needed.map_or("–".into(), |n| n.to_string())
        ),
        None => "–".into(),
    };
    format!(
        " {} · {} | {test} | {estimate} | {} | {} | {} | {} | {} | {power} | {:.2} | {} | {} |",
        p.diverged.0,
        p.diverged.1,
        comparison_interval(p.interval.as_ref()),
        comparison_interval(p.bca.as_ref()),
        p_text(p.evidence.as_ref().map(|e| e.p_value())),
        p_text(p.p_holm),
        p_text(p.tost_p),
        p.p_improvement,
        gain_text(p.best_gain),
        gain_text(p.median_gain),
    )
}

fn best_of_k(w: &mut String, cells: &[CellReport]) {
    if !cells
        .iter()
        .any(|c| matches!(c.acc_vs_baseline, VsBaseline::IsBaseline))
    {
        return;
    }
    let _ = writeln!(
        w,
        "## What a cherry-picker would report\n\nExpected test-accuracy gain over the baseline \
         when one tries k seeds and reports the best of them: the exact expectation over every \
         k-subset of the paired seeds (best of 1 = the mean gain, best of n = the best seed's). \
         Compare it with the median gain; \"–\" where fewer than k seeds are paired.\n"
    );
    let mut header = "| cell | n | median gain |".to_string();
    for k in BEST_OF {
        let _ = write!(header, " best of {k} |");
    }
    header.push_str(" best of n | best of n − median |");
    let _ = writeln!(w, "{header}");
    let _ = writeln!(
        w,
        "| --- | ---: | ---: |{}",
        " ---: |".repeat(BEST_OF.len() + 2)
    );
    for c in cells {
        let label = cell_text(c.label);
        let empty = " |".repeat(BEST_OF.len() + 2);
        match &c.acc_vs_baseline {
            VsBaseline::IsBaseline => {
                let _ = writeln!(w, "| {label} | baseline | |{empty}");
            }
            VsBaseline::NoBaseline => {}
            VsBaseline::Paired(p) if p.seeds.is_empty() => {
                let _ = writeln!(w, "| {label} | 0 | no paired seeds |{empty}");
            }
            VsBaseline::Paired(p) => {
                let _ = writeln!(
                    w,
                    "| {label} | {} | {} |{}",
                    p.seeds.len(),
                    signed(p.median_gain),
                    best_row(p)
                );
            }
        }
    }
    let _ = writeln!(w);
}

fn best_row(p: &Comparison) -> String {
    let mut row = String::new();
    for k in BEST_OF {
        let _ = write!(row, " {} |", signed(expected_best_of_k(&p.diffs, k)));
    }
    let best = expected_best_of_k(&p.diffs, p.seeds.len());
    let _ = write!(
        row,
        " {} | {} |",
        signed(best),
        signed(best - p.median_gain)
    );
    row
}

fn per_seed_table(w: &mut String, cells: &[CellReport]) {
    let seeds: BTreeSet<u64> = cells
        .iter()
        .flat_map(|c| c.runs.iter().map(|r| r.seed))
        .collect();
    let _ = writeln!(
        w,
        "## Every seed: test accuracy\n\nOne row per seed, one column per cell; `diverged@step N` \
         is a run whose loss became non-finite at optimizer step N, `–` a run not recorded.\n"
    );
    let labels: Vec<String> = cells.iter().map(|c| cell_text(c.label)).collect();
    let _ = writeln!(w, "| seed | {} |", labels.join(" | "));
    let _ = writeln!(w, "| ---: |{}", " ---: |".repeat(cells.len()));
    for s in &seeds {
        let row: Vec<String> = cells
            .iter()
            .map(|c| match c.runs.iter().find(|r| r.seed == *s) {
                None => "–".into(),
                Some(r) => seed_value(r),
            })
            .collect();
        let _ = writeln!(w, "| {s} | {} |", row.join(" | "));
    }
    if seeds.is_empty() {
        let _ = writeln!(w, "| no runs yet |{}", " |".repeat(cells.len()));
    }
    let _ = writeln!(w);
}

fn diverged_section(w: &mut String, cells: &[CellReport]) {
    let _ = writeln!(w, "## Diverged runs\n");
    let lines: Vec<String> = cells
        .iter()
        .flat_map(|c| {
            c.runs.iter().filter(|r| r.diverged).map(move |r| {
                let step = r
                    .diverged_step
                    .map_or_else(|| "an unrecorded step".to_string(), |s| format!("step {s}"));
                format!(
                    "- {}, seed {}: diverged at {step} ({} epoch(s) run)",
                    c.label, r.seed, r.epochs_run
                )
            })
        })
        .collect();
    if lines.is_empty() {
        let _ = writeln!(w, "none");
    } else {
        let _ = writeln!(w, "{}", lines.join("\n"));
    }
}

/// The console summary: aligned plain-text columns, one row per cell.
pub(super) fn console_table(cells: &[CellReport]) -> String {
    let baseline = cells
        .iter()
        .find(|c| matches!(c.acc_vs_baseline, VsBaseline::IsBaseline))
        .map_or("baseline", |c| c.label);
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
    for c in cells {
        let s = &c.acc_summary;
        let (delta, p_impr) = match &c.acc_vs_baseline {
            VsBaseline::IsBaseline => ("baseline".into(), String::new()),
            VsBaseline::NoBaseline => ("–".into(), "–".into()),
            VsBaseline::Paired(p) => match (&p.evidence, &p.interval) {
                (Some(e), Some(i)) => (
                    format!(
                        "{} {}",
                        gain_text(e.estimate()),
                        comparison_interval(Some(i))
                    ),
                    format!("{:.2}", p.p_improvement),
                ),
                _ => ("–".into(), "–".into()),
            },
        };
        let mean = if c.runs.is_empty() {
            "no runs yet".into()
        } else {
            format!("{} {}", num(s.mean), interval(s.ci_low, s.ci_high))
        };
        rows.push(vec![
            c.label.to_string(),
            c.runs.len().to_string(),
            mean,
            num(s.median),
            num(s.min),
            num(s.max),
            delta,
            p_impr,
            c.diverged().to_string(),
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
                let pad = " ".repeat(width - cell.chars().count());
                if i == 0 {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
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

    #[test]
    fn seed_ranges_compress() {
        let s: BTreeSet<u64> = [0, 1, 2, 3, 7, 9, 10].into_iter().collect();
        assert_eq!(seed_ranges(&s), "0–3, 7, 9–10");
        assert_eq!(seed_ranges(&[5].into_iter().collect()), "5");
    }

    #[test]
    fn numbers_have_fixed_decimals() {
        assert_eq!(num(0.5), "0.5000");
        assert_eq!(num(f64::NAN), "–");
        assert_eq!(signed(0.01), "+0.0100");
        assert_eq!(signed(-0.012345), "-0.0123");
        assert_eq!(cell_text("a|b"), "a\\|b");
    }
}
