//! The redesigned studies of the fair re-run (studies/, issue 11), checked without training
//! anything: every file parses into its grid and tuning budget, computes under numerics version
//! 2, and every cell and metric its claims file (studies/claims.toml) names exists in the
//! study it names — a check naming a cell the study lacks, or a metric its runs would not
//! record, fails here instead of giving "no results" after hours of training.

use std::path::{Path, PathBuf};

use trainbench::claims::spec::Metric;
use trainbench::study::{spec, Overrides, Study};

fn next_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("studies")
}

/// The redesigned studies; with `workloads`, also issue 13's workload studies (their own checks
/// are tests/it/workload_studies.rs; their claims are checked here with the rest).
fn studies_with(workloads: bool) -> Vec<Study> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(next_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            p.file_stem().is_some_and(|s| {
                s != "claims" && (workloads || !s.to_string_lossy().starts_with("workloads"))
            })
        })
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| spec::load(p, Overrides::default()).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn studies() -> Vec<Study> {
    studies_with(false)
}

#[test]
fn every_redesigned_study_parses_runs_version_2_and_mirrors_a_current_one() {
    let studies = studies();
    assert_eq!(studies.len(), 16, "one redesigned file per study");
    for study in &studies {
        // The same file name as a version-1 study (the flip moved those to studies/v1).
        let current = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("studies/v1")
            .join(format!("{}.toml", study.name));
        assert!(current.is_file(), "{} has no current study", study.name);
        for cell in &study.cells {
            assert_eq!(
                cell.config.numerics.get(),
                2,
                "{} {}: the re-run computes under numerics version 2",
                study.name,
                cell.label
            );
        }
        // A tuned study gives every arm the same number of candidates (spec checks it; the
        // count must also be the budget: 8 values, or 16 for η × λ).
        if let Some(t) = &study.tuning {
            let first = t.candidates_in(0);
            assert!(
                first == 8 || first == 16,
                "{}: {first} candidates in the first stage",
                study.name
            );
            assert!(t.seeds(0).start >= study.seeds.len() as u64);
        }
    }
    // The studies the issue says need no tuning have none.
    for name in ["bn_folding", "clipping", "techniques", "dead_relu"] {
        let s = studies.iter().find(|s| s.name == name).unwrap();
        assert!(s.tuning.is_none(), "{name} is not tuned");
    }
}

/// Whether a run of `config` records the runs-table column `column` (a `metric.<name>`, or a
/// plain column every run has) — from what trainbench measures for such a config.
fn records(config: &trainbench::study::RunConfig, column: &str) -> bool {
    let Some(name) = column.strip_prefix("metric.") else {
        return true;
    };
    let dropout = config.model.dropout.is_some();
    match name {
        "timing.epoch_seconds" => true,
        "bn.fold_max_abs_diff" | "timing.fold_speedup" => {
            config.fold_check && config.model.batch_norm.is_some()
        }
        n if n.starts_with("clip.") => config.clipping.is_some(),
        n if n.starts_with("init.train_mode.") => config.diagnostics.is_some() && dropout,
        n if n.starts_with("init.") => {
            let layer: usize = n.rsplit('.').next().unwrap().parse().unwrap();
            let layers = config.model.hidden.len() + usize::from(n.contains("grad_norm"));
            config.diagnostics.is_some() && layer >= 1 && layer <= layers
        }
        "test_ece" | "test_signed_ce" => config.mc_dropout.is_some(),
        n if n.starts_with("mc_") => config.mc_dropout.is_some(),
        n if n.starts_with("pretrain.") => config.pretrain.is_some(),
        _ => false,
    }
}

/// The runs-table columns a metric reads, and the per-layer diagnostic it needs (if any).
fn columns(metric: &Metric) -> (Vec<String>, Option<String>) {
    match metric {
        Metric::Run(c) => (vec![c.clone()], None),
        Metric::SecondsTo {
            epoch_seconds: Some(c),
            ..
        } => (vec![c.clone()], None),
        Metric::UnitWeighted { diagnostic, .. } => (vec![], Some(diagnostic.clone())),
        Metric::Difference { columns }
        | Metric::AbsDifference { columns }
        | Metric::Log10Ratio { columns }
        | Metric::AbsLog10Ratio { columns } => (columns.to_vec(), None),
        _ => (vec![], None),
    }
}

#[test]
fn every_cell_and_metric_the_claims_name_exists_in_its_redesigned_study() {
    let studies = studies_with(true);
    let file = trainbench::claims::load(&next_dir().join("claims.toml")).unwrap();
    let mut checked = 0;
    let mut per_workload = 0;
    for claim in &file.claim {
        let study = studies
            .iter()
            .find(|s| s.name == claim.study)
            .unwrap_or_else(|| panic!("{}: no study {} in studies", claim.id, claim.study));
        // A check judged per workload is checked as the checks it expands into: the pooled one
        // and one per workload, each of which must find its cells.
        let expanded = trainbench::claims::workloads::expand(claim, study);
        if let Some(e) = &expanded {
            per_workload += e.check.len() - claim.check.len();
        }
        let claim = expanded.as_ref().unwrap_or(claim);
        for check in &claim.check {
            let selectors = std::iter::once(&check.a).chain(check.b.as_ref());
            for selector in selectors {
                let cells = trainbench::claims::arms::cells(
                    selector,
                    check.pool,
                    study,
                    &[],
                    &[],
                    study.seeds.len(),
                )
                .unwrap_or_else(|e| panic!("{} '{}': {e}", claim.id, check.what));
                let (columns, diagnostic) = columns(&check.metric);
                for cell in study
                    .cells
                    .iter()
                    .filter(|c| cells.iter().any(|a| a.label == c.label))
                {
                    for column in &columns {
                        assert!(
                            records(&cell.config, column),
                            "{} '{}': {} runs do not record {column}",
                            claim.id,
                            check.what,
                            cell.label
                        );
                    }
                    if diagnostic.is_some() {
                        assert!(
                            cell.config.diagnostics.is_some(),
                            "{} '{}': {} has no diagnostics",
                            claim.id,
                            check.what,
                            cell.label
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 80, "{checked} arms checked");
    // Issue 13's six claims: 13 per-workload checks, each adding four (one per workload).
    assert_eq!(per_workload, 13 * 4, "per-workload checks expanded");
}

#[test]
fn the_check_fails_for_a_cell_or_metric_a_study_lacks() {
    // The test above is only worth something if a wrong name fails it.
    let studies = studies();
    let schedules = studies.iter().find(|s| s.name == "schedules").unwrap();
    let wrong: toml::Table = toml::from_str("variant = \"constant_0.01\"").unwrap();
    assert!(trainbench::claims::arms::cells(&wrong, false, schedules, &[], &[], 10).is_err());
    let right: toml::Table = toml::from_str("variant = \"constant\"").unwrap();
    let cells = trainbench::claims::arms::cells(&right, false, schedules, &[], &[], 10).unwrap();
    let config = &schedules
        .cells
        .iter()
        .find(|c| c.label == cells[0].label)
        .unwrap()
        .config;
    assert!(records(config, "metric.timing.epoch_seconds"));
    assert!(!records(config, "metric.mc_signed_ce"));
    assert!(!records(config, "metric.init.act_std.001"));
}
