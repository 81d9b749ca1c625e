//! The report's "Across workloads" section, for a study whose grid names a workload axis
//! (`dataset`, `model.kind`): per arm (a cell's other axes), pooled over workloads, the IQM of
//! normalized scores with its stratified-bootstrap interval, the probability of improvement
//! P(arm > baseline arm) with its interval, and the performance-profile chart. The statistics are
//! [`super::workloads`]'s and [`super::inference::bootstrap`]'s; the chart is
//! [`crate::plot::performance_profile`]'s. Which cell belongs to which workload and arm comes in
//! [`super::ReportInput::workloads`].

use std::fmt::Write;
use std::path::Path;

use super::comparison::scored_accuracy;
use super::inference::bootstrap::{iqm_stratified, probability_of_improvement};
use super::workloads::{median, normalize_by_baseline, performance_profile};
use super::ReportInput;
use crate::error::Result;

/// Where a cell stands on the workload axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellWorkload {
    /// The cell's id.
    pub cell_id: String,
    /// Its workload: the workload axes' `axis=value` pairs (`dataset=mnist, model.kind=cnn`).
    pub workload: String,
    /// Its arm: the other axes' pairs (the same arm on every workload).
    pub arm: String,
}

/// Bootstrap resamples of the section's intervals.
const RESAMPLES: usize = 10_000;

/// Performance-profile τ values: 1 to 2 in steps of 0.01.
fn taus() -> Vec<f64> {
    (0..=100).map(|k| 1.0 + k as f64 / 100.0).collect()
}

/// The id of the baseline cell `cell_id` is compared with: the cell of the baseline's arm on the
/// same workload (the study's baseline itself when the study has no workload axis or the cell is
/// not listed).
pub fn baseline_of<'a>(input: &ReportInput<'a>, cell_id: &str) -> &'a str {
    let find = |id: &str| input.workloads.iter().find(|w| w.cell_id == id);
    let (Some(cell), Some(base)) = (find(cell_id), find(input.baseline_cell_id)) else {
        return input.baseline_cell_id;
    };
    input
        .workloads
        .iter()
        .find(|w| w.workload == cell.workload && w.arm == base.arm)
        .map_or(input.baseline_cell_id, |w| w.cell_id.as_str())
}

/// Distinct values in first-seen order.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The section's Markdown (empty when the study has fewer than two workloads) and, in
/// `out_dir`, the performance-profile chart `performance_profile.{png,svg}`.
pub fn section(out_dir: &Path, input: &ReportInput) -> Result<String> {
    let workloads = distinct(input.workloads.iter().map(|w| w.workload.as_str()));
    if workloads.len() < 2 {
        return Ok(String::new());
    }
    let arms = distinct(input.workloads.iter().map(|w| w.arm.as_str()));
    let Some(base) = input
        .workloads
        .iter()
        .find(|w| w.cell_id == input.baseline_cell_id)
    else {
        return Ok(String::new());
    };
    // scores[arm][workload]: the scored test accuracies of its runs (a diverged run: chance).
    let scores: Vec<Vec<Vec<f64>>> = arms
        .iter()
        .map(|arm| {
            workloads
                .iter()
                .map(|workload| {
                    let ids: Vec<&str> = input
                        .workloads
                        .iter()
                        .filter(|w| w.arm == *arm && w.workload == *workload)
                        .map(|w| w.cell_id.as_str())
                        .collect();
                    let runs = input
                        .runs
                        .iter()
                        .filter(|r| ids.contains(&r.cell_id.as_str()));
                    runs.map(scored_accuracy).collect()
                })
                .collect()
        })
        .collect();
    let base_arm = arms.iter().position(|a| *a == base.arm).unwrap_or(0);
    let mut w = String::new();
    let _ = writeln!(
        w,
        "## Across workloads\n\nWorkloads: {}. Each run's test accuracy (a diverged run scores \
         chance, 0.1) is normalized by the median test accuracy of the baseline arm `{}` on the \
         same workload, so 1.0 means \"as good as the baseline's median seed\" everywhere. IQM: \
         the interquartile mean of an arm's normalized scores pooled over workloads, with a 95% \
         stratified-bootstrap interval (strata = workloads, {RESAMPLES} resamples; rliable's). \
         P(arm > baseline): the probability that a run of the arm scores above a run of the \
         baseline arm on the same workload (Mann–Whitney, ties ½), averaged over workloads, \
         with its 95% stratified bootstrap interval. The performance profile \
         (`performance_profile.png`) plots, for each arm, the fraction of workloads on which \
         its median test error is within τ times the best arm's.\n",
        workloads
            .iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", "),
        base.arm,
    );
    let _ = writeln!(
        w,
        "| arm | IQM normalized [95% CI] | P(arm > baseline) [95% CI] | runs |\n|---|---|---|---|"
    );
    for (a, arm) in arms.iter().enumerate() {
        let normalized: Option<Vec<Vec<f64>>> = scores[a]
            .iter()
            .zip(&scores[base_arm])
            .map(|(s, b)| normalize_by_baseline(s, b).ok())
            .collect();
        let iqm = normalized
            .filter(|n| n.iter().all(|t| !t.is_empty()))
            .and_then(|n| iqm_stratified(&n, 0.05, RESAMPLES, input.seed).ok())
            .map_or("–".to_string(), |e| {
                format!("{:.4} [{:.4}, {:.4}]", e.point, e.ci_low, e.ci_high)
            });
        let improvement = if a == base_arm {
            "baseline".to_string()
        } else {
            probability_of_improvement(&scores[a], &scores[base_arm], 0.05, RESAMPLES, input.seed)
                .map_or("–".to_string(), |e| {
                    format!("{:.3} [{:.3}, {:.3}]", e.point, e.ci_low, e.ci_high)
                })
        };
        let runs: usize = scores[a].iter().map(Vec::len).sum();
        let _ = writeln!(w, "| {arm} | {iqm} | {improvement} | {runs} |");
    }
    let costs: Vec<Vec<f64>> = scores
        .iter()
        .map(|per_workload| {
            per_workload
                .iter()
                .map(|s| median(s).map_or(f64::NAN, |m| 1.0 - m))
                .collect()
        })
        .collect();
    let taus = taus();
    if let Ok(profiles) = performance_profile(&costs, &taus) {
        let cells: Vec<(String, Vec<f64>)> =
            arms.iter().map(|a| a.to_string()).zip(profiles).collect();
        crate::plot::performance_profile(
            &out_dir.join("performance_profile"),
            &format!(
                "{}: performance profile over {} workloads",
                input.study,
                workloads.len()
            ),
            &taus,
            &cells,
        )?;
        let _ = writeln!(w, "\n![performance profile](performance_profile.png)\n");
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::run;
    use crate::results::RunRecord;

    /// Two workloads × two arms, two seeds each, with values worked out by hand: GELU's
    /// normalized scores are 0.85/0.85, 0.95/0.85 on w1 and 0.3/0.6, 0.9/0.6 on w2, whose IQM
    /// (the middle two of four) is (1 + 1.1176)/2 = 1.0588; P(GELU > ReLU) is 3/4 on w1 and
    /// 2/4 on w2, 0.625 over both.
    #[test]
    fn section_pools_workloads_and_pairs_each_cell_with_its_own_baseline() {
        let accs = [[0.8, 0.9], [0.85, 0.95], [0.5, 0.7], [0.3, 0.9]];
        let runs: Vec<RunRecord> = accs
            .iter()
            .enumerate()
            .flat_map(|(cell, a)| {
                a.iter()
                    .enumerate()
                    .map(move |(seed, &acc)| run(cell, seed as u64, acc, false))
            })
            .collect();
        let workloads: Vec<CellWorkload> = (0..4)
            .map(|cell| CellWorkload {
                cell_id: format!("id{cell}"),
                workload: format!("dataset=w{}", cell / 2 + 1),
                arm: ["act=relu", "act=gelu"][cell % 2].to_string(),
            })
            .collect();
        let cells: Vec<(String, String)> = (0..4)
            .map(|c| (format!("id{c}"), format!("c{c}")))
            .collect();
        let input = ReportInput {
            study: "t",
            description: "d",
            cells: &cells,
            baseline_cell_id: "id0",
            runs: &runs,
            epochs: &[],
            seed: 1,
            tuning: None,
            workloads: &workloads,
        };
        assert_eq!(baseline_of(&input, "id3"), "id2");
        assert_eq!(baseline_of(&input, "id1"), "id0");
        assert_eq!(baseline_of(&input, "id2"), "id2");
        let dir = tempfile::tempdir().unwrap();
        let md = section(dir.path(), &input).unwrap();
        assert!(md.contains("| act=gelu | 1.0588 ["), "{md}");
        assert!(md.contains("| 0.625 ["), "{md}");
        assert!(md.contains("| act=relu | 1.0000 ["), "{md}");
        assert!(dir.path().join("performance_profile.png").exists());
        // One workload: no section.
        let one: Vec<CellWorkload> = workloads[..2].to_vec();
        let input = ReportInput {
            workloads: &one,
            ..input
        };
        assert_eq!(section(dir.path(), &input).unwrap(), "");
    }
}
