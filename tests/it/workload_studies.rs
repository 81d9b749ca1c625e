//! Issue 13's workload studies (`workloads_*.toml` beside the fair re-run's studies), checked
//! without training anything: each runs its arms on the four workloads {Fashion-MNIST, MNIST} ×
//! {MLP, CNN} with at most 4 arms and CNN runs of at most 10 epochs (the budget), and its
//! Fashion-MNIST × MLP arms are, candidate for candidate, the arms of the study it names in
//! `reuse` (same tuning cells, same evaluation cells), so that study's runs are taken over and
//! not trained twice. A change to either file that breaks this fails here, not after hours.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use trainbench::study::{spec, Overrides, Study};

/// Where the re-run's studies are (the top-level studies/ since the flip to numerics version 2).
fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("studies")
}

fn load(path: &Path) -> Study {
    spec::load(path, Overrides::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn workload_studies() -> Vec<Study> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && p.file_stem()
                    .is_some_and(|s| s.to_string_lossy().starts_with("workloads_"))
        })
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

/// The ids of every tuning cell of the arms whose axes include all of `pick`.
fn candidate_ids(study: &Study, pick: &[(&str, &str)]) -> Vec<(String, HashSet<String>)> {
    let tuning = study.tuning.as_ref().expect("a tuned study");
    tuning
        .arms
        .iter()
        .filter(|arm| {
            pick.iter()
                .all(|(a, v)| arm.axes.iter().any(|(x, y)| x == a && y == v))
        })
        .map(|arm| {
            let ids = arm
                .candidates
                .iter()
                .flat_map(|c| &c.cells)
                .map(|cell| cell.id.clone())
                .collect();
            let variant = arm
                .axes
                .iter()
                .find(|(a, _)| a == "variant")
                .map_or_else(String::new, |(_, v)| v.clone());
            (variant, ids)
        })
        .collect()
}

#[test]
fn each_workload_study_covers_four_workloads_within_budget_and_reuses_its_source_cells() {
    let studies = workload_studies();
    assert_eq!(
        studies.len(),
        4,
        "activations, batch_norm, optimizers, regularization"
    );
    for study in &studies {
        let name = &study.name;
        for axis in ["dataset", "model.kind"] {
            assert!(
                study.axes.iter().any(|a| a == axis),
                "{name}: no {axis} axis"
            );
        }
        let workloads: HashSet<(String, String)> = study
            .cells
            .iter()
            .map(|c| {
                (
                    c.config.dataset.clone(),
                    c.config.model.kind.name().to_string(),
                )
            })
            .collect();
        assert_eq!(workloads.len(), 4, "{name}: {workloads:?}");
        assert!(
            study.cells.len() / 4 <= 4,
            "{name}: at most 4 arms per workload"
        );
        for cell in &study.cells {
            if cell.config.model.kind.name() == "cnn" {
                assert!(
                    cell.config.epochs <= 10,
                    "{name} {}: {} epochs",
                    cell.label,
                    cell.config.epochs
                );
            }
        }

        let source_name = study
            .reuse
            .as_deref()
            .unwrap_or_else(|| panic!("{name}: no reuse"));
        let source = load(&dir().join(format!("{source_name}.toml")));
        let source_arms = candidate_ids(&source, &[]);
        let mine = candidate_ids(
            study,
            &[("dataset", "fashion-mnist"), ("model.kind", "mlp")],
        );
        assert!(!mine.is_empty(), "{name}: no Fashion-MNIST × MLP arms");
        for (variant, ids) in &mine {
            let (_, theirs) = source_arms
                .iter()
                .find(|(v, _)| v == variant)
                .unwrap_or_else(|| panic!("{name}: {source_name} has no arm {variant}"));
            assert_eq!(
                ids, theirs,
                "{name}: the Fashion-MNIST × MLP arm {variant} is not {source_name}'s (its tuning \
                 cells differ, so its runs would be trained again)"
            );
        }
        // Every arm of every workload has the source's tuning budget.
        let budget = source.tuning.as_ref().unwrap().candidates_in(0);
        assert_eq!(
            study.tuning.as_ref().unwrap().candidates_in(0),
            budget,
            "{name}"
        );
    }
}
