//! A check judged per workload and overall (`per_workload = true` in claims.toml), for a study
//! whose grid names a workload axis (`dataset`, `model.kind`: `study::grid::WORKLOAD_AXES`). The
//! check is expanded before it is judged: the **overall** check pools its arms over the
//! workloads (a seed's value is the mean over that arm's cells, one per workload, as `pool`
//! does) and keeps its role, so it is what decides the claim; one **descriptive** check per
//! workload (the arms' selectors extended with the workload's axis values) is shown beside it.
//! Judging the expanded checks is `verdict.rs`'s, unchanged.

use super::spec::{Check, Claim, Role};
use crate::study::grid::{workload_and_arm, WORKLOAD_AXES};
use crate::study::Study;

/// `claim` with each `per_workload` check expanded into the overall check and one check per
/// workload of `study` (in grid order); None when no check asks for it.
pub fn expand(claim: &Claim, study: &Study) -> Option<Claim> {
    if !claim.check.iter().any(|c| c.per_workload) {
        return None;
    }
    // Each workload once, as (its label, its axis values).
    let mut workloads: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for cell in &study.cells {
        let (label, _) = workload_and_arm(&cell.axes);
        if !workloads.iter().any(|(l, _)| *l == label) {
            let values = cell
                .axes
                .iter()
                .filter(|(axis, _)| WORKLOAD_AXES.contains(&axis.as_str()))
                .cloned()
                .collect();
            workloads.push((label, values));
        }
    }
    let mut checks = Vec::new();
    for check in &claim.check {
        if !check.per_workload {
            checks.push(check.clone());
            continue;
        }
        checks.push(Check {
            what: format!(
                "{} (overall: pooled over {} workloads)",
                check.what,
                workloads.len()
            ),
            pool: true,
            per_workload: false,
            ..check.clone()
        });
        for (label, values) in &workloads {
            let narrow = |selector: &toml::Table| {
                let mut t = selector.clone();
                for (axis, value) in values {
                    t.insert(axis.clone(), toml::Value::String(value.clone()));
                }
                t
            };
            checks.push(Check {
                what: format!("{} (on {label})", check.what),
                a: narrow(&check.a),
                b: check.b.as_ref().map(narrow),
                role: Role::Descriptive,
                hedged: false,
                pool: false,
                per_workload: false,
                ..check.clone()
            });
        }
    }
    Some(Claim {
        check: checks,
        ..claim.clone()
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::claims::spec::ClaimsFile;
    use crate::study::{spec as study_spec, Overrides};

    const STUDY: &str = "description = \"d\"\nseeds = 5\n[base]\nepochs = 2\noptimizer = \"sgd\"\n\
                         model = { hidden = [8] }\n[grid]\ndataset = [\"fashion-mnist\", \"mnist\"]\n\
                         \"model.kind\" = [\"mlp\", \"cnn\"]\noptimizer = [\"sgd\", \"adam\"]\n";

    fn claim(per_workload: bool) -> Claim {
        let text = format!(
            "[[claim]]\nid = \"x-1\"\ntext = \"t\"\nstudy = \"s\"\n[[claim.check]]\nwhat = \"adam beats sgd\"\n\
             a = {{ optimizer = \"adam\" }}\nb = {{ optimizer = \"sgd\" }}\nmetric = \"test_acc\"\n\
             expect = \"higher\"\nmargin = 0.003\ngates = {{ trained = [\"a\"] }}\nper_workload = {per_workload}\n"
        );
        ClaimsFile::parse(&text, Path::new("claims.toml"))
            .unwrap()
            .claim
            .remove(0)
    }

    #[test]
    fn a_per_workload_check_becomes_an_overall_test_and_one_descriptive_check_per_workload() {
        let study = study_spec::parse(Path::new("s.toml"), STUDY, Overrides::default()).unwrap();
        assert!(expand(&claim(false), &study).is_none());
        let expanded = expand(&claim(true), &study).unwrap();
        let checks = &expanded.check;
        assert_eq!(checks.len(), 1 + 4);
        let overall = &checks[0];
        assert!(overall.pool && overall.role == Role::Test);
        assert!(overall.what.contains("overall"), "{}", overall.what);
        assert_eq!(overall.a, claim(true).check[0].a);
        let mut seen = Vec::new();
        for check in &checks[1..] {
            assert_eq!(check.role, Role::Descriptive);
            assert!(!check.pool && !check.per_workload);
            let a = crate::study::grid::AxisValues::from_table(&check.a);
            let b = crate::study::grid::AxisValues::from_table(check.b.as_ref().unwrap());
            // Each selector names exactly one cell: the arm's cell on that workload.
            let one = |v: &crate::study::grid::AxisValues| {
                study.cells.iter().filter(|c| v.matches(&c.axes)).count()
            };
            assert_eq!((one(&a), one(&b)), (1, 1), "{}", check.what);
            assert_eq!(check.a["optimizer"].as_str(), Some("adam"));
            seen.push((check.a["dataset"].clone(), check.a["model.kind"].clone()));
        }
        seen.dedup();
        assert_eq!(seen.len(), 4, "every workload once");
    }
}
