//! `trainbench claims`: the chapter's claims checked against the committed results. Each check
//! of studies/claims.toml (see [`spec`]) measures one metric on every run of two cells of a study,
//! pairs the runs by seed, and gives a verdict by the rule fixed in advance:
//!
//! - `higher` / `lower`: **supported** when the 95% bootstrap interval of the mean paired
//!   difference a − b lies wholly on the claimed side of 0, **contradicted** when wholly on the
//!   other, **inconclusive** otherwise;
//! - `equal` (with a margin m): supported when the interval lies within [−m, m], contradicted when
//!   wholly outside it, inconclusive otherwise;
//! - `below` / `above` (one cell, bound m): the interval of the mean against m, likewise.
//!
//! A check needs at least [`MIN_SEEDS`] seeds with a finite value (paired, for a comparison);
//! with fewer it is inconclusive, and the table says how many runs had no finite value (e.g. a
//! diverged run's accuracy). A claim is supported when all its checks are, contradicted when any
//! is, inconclusive otherwise. A claim whose study has missing runs gets no verdict but says what
//! is missing.

pub mod computed;
pub mod render;
pub mod spec;

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::report::stats;
use crate::results::{store, EpochRecord, RunRecord};
use crate::study::grid::AxisValues;
use crate::study::{spec as study_spec, Overrides, Study};
use spec::{Check, Claim, ClaimsFile, Expect, Metric};

/// Fewest seeds that can give a verdict: a bootstrap interval of fewer values says little.
pub const MIN_SEEDS: usize = 5;

/// The bootstrap seed of every verdict, fixed so verdicts are a pure function of the results.
pub const CLAIMS_SEED: u64 = 20_260_101;

/// The outcome of a check or a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The evidence lies wholly on the claimed side.
    Supported,
    /// The evidence lies wholly on the other side.
    Contradicted,
    /// The interval includes no effect (or straddles the margin).
    Inconclusive,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Supported => "supported",
            Verdict::Contradicted => "contradicted",
            Verdict::Inconclusive => "inconclusive",
        })
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The check in words.
    pub what: String,
    /// The metric in words.
    pub metric: String,
    /// The claimed direction.
    pub expect: Expect,
    /// The margin or bound, if any.
    pub margin: Option<f64>,
    /// Seeds that entered (paired and finite).
    pub n: usize,
    /// Mean of a − b (or of a, for a bound).
    pub effect: f64,
    /// 95% bootstrap interval of that mean.
    pub ci: (f64, f64),
    /// Per-seed values of a − b (or a), by seed.
    pub per_seed: Vec<(u64, f64)>,
    /// Runs that never reached a target (epochs_to / seconds_to), in a and b.
    pub censored: (usize, usize),
    /// Runs whose value is not finite (e.g. diverged), in a and b: left out.
    pub non_finite: (usize, usize),
    /// The verdict.
    pub verdict: Verdict,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimResult {
    /// Id.
    pub id: String,
    /// The chapter's words.
    pub text: String,
    /// The textbook's figure.
    pub textbook: Option<String>,
    /// The study.
    pub study: String,
    /// The results' commits (one, normally).
    pub commits: Vec<String>,
    /// Verdict over the checks, or why there is none.
    pub outcome: std::result::Result<Verdict, String>,
    /// Each check.
    pub checks: Vec<CheckResult>,
}

/// Evaluates every claim of `file` against the studies in `studies` and the results in
/// `results`.
pub fn evaluate(file: &ClaimsFile, studies: &Path, results: &Path) -> Vec<ClaimResult> {
    file.claim
        .iter()
        .map(|claim| match evaluate_claim(claim, studies, results) {
            Ok(r) => r,
            Err(why) => ClaimResult {
                id: claim.id.clone(),
                text: claim.text.clone(),
                textbook: claim.textbook.clone(),
                study: claim.study.clone(),
                commits: Vec::new(),
                outcome: Err(why),
                checks: Vec::new(),
            },
        })
        .collect()
}

/// Runs of one cell by seed, with their epoch rows.
type CellRuns<'a> = BTreeMap<u64, (&'a RunRecord, Vec<&'a EpochRecord>)>;

fn evaluate_claim(
    claim: &Claim,
    studies: &Path,
    results: &Path,
) -> std::result::Result<ClaimResult, String> {
    let study_path = study_spec::find(studies, &claim.study).map_err(|e| e.to_string())?;
    let study = study_spec::load(&study_path, Overrides::default()).map_err(|e| e.to_string())?;
    let dir = results.join(&study.name);
    // A tuned study's cells are those of each arm's chosen setting.
    let study = crate::study::runner::evaluated_study(&study, &dir).map_err(|e| e.to_string())?;
    let (runs, epochs) = store::load(&dir).map_err(|e| e.to_string())?;
    if runs.is_empty() {
        return Err(format!(
            "no results: run `trainbench study {}` (results go to {})",
            study.name,
            dir.display()
        ));
    }
    let expected = study.cells.len() * study.seeds.len();
    let recorded = study
        .cells
        .iter()
        .flat_map(|c| study.seeds.iter().map(move |&s| (c.id.as_str(), s)))
        .filter(|&(id, s)| runs.iter().any(|r| r.cell_id == id && r.seed == s))
        .count();
    if recorded < expected {
        return Err(format!(
            "missing runs: {recorded} of {expected} recorded; finish with `trainbench study {}`",
            study.name
        ));
    }
    let mut commits: Vec<String> = runs.iter().map(|r| r.git_commit.clone()).collect();
    commits.sort();
    commits.dedup();
    let mut checks = Vec::new();
    for check in &claim.check {
        checks.push(evaluate_check(check, &study, &runs, &epochs)?);
    }
    let verdicts: Vec<Verdict> = checks.iter().map(|c| c.verdict).collect();
    let outcome = if verdicts.iter().all(|&v| v == Verdict::Supported) {
        Verdict::Supported
    } else if verdicts.contains(&Verdict::Contradicted) {
        Verdict::Contradicted
    } else {
        Verdict::Inconclusive
    };
    Ok(ClaimResult {
        id: claim.id.clone(),
        text: claim.text.clone(),
        textbook: claim.textbook.clone(),
        study: claim.study.clone(),
        commits,
        outcome: Ok(outcome),
        checks,
    })
}

/// The runs of the study's cell whose axes have the values in `wanted`.
fn cell_runs<'a>(
    wanted: &toml::Table,
    study: &Study,
    runs: &'a [RunRecord],
    epochs: &'a [EpochRecord],
) -> std::result::Result<CellRuns<'a>, String> {
    let pick = AxisValues::from_table(wanted);
    let wanted = &pick.0;
    let matching: Vec<_> = study
        .cells
        .iter()
        .filter(|c| pick.matches(&c.axes))
        .collect();
    let cell = match matching.as_slice() {
        [one] => one,
        [] => {
            let labels: Vec<&str> = study.cells.iter().map(|c| c.label.as_str()).collect();
            return Err(format!(
                "no cell of study {} has {wanted:?}; cells: {}",
                study.name,
                labels.join("; ")
            ));
        }
        many => {
            return Err(format!(
                "{} cells of study {} have {wanted:?}: name more axes",
                many.len(),
                study.name
            ))
        }
    };
    let mut out: CellRuns = runs
        .iter()
        .filter(|r| r.cell_id == cell.id)
        .map(|r| (r.seed, (r, Vec::new())))
        .collect();
    for e in epochs.iter().filter(|e| e.cell_id == cell.id) {
        if let Some((_, rows)) = out.get_mut(&e.seed) {
            rows.push(e);
        }
    }
    for (_, rows) in out.values_mut() {
        rows.sort_by_key(|e| e.epoch);
    }
    Ok(out)
}

/// A runs-table column of one run.
fn run_column(run: &RunRecord, name: &str) -> std::result::Result<f64, String> {
    if let Some(metric) = name.strip_prefix("metric.") {
        return Ok(run.extra_metric(metric));
    }
    Ok(match name {
        "test_acc" => run.test_acc,
        "test_loss" => run.test_loss,
        "final_val_acc" => run.final_val_acc,
        "final_val_loss" => run.final_val_loss,
        "final_train_acc" => run.final_train_acc,
        "final_train_loss" => run.final_train_loss,
        "best_val_acc" => run.best_val_acc,
        "best_val_loss" => run.best_val_loss,
        "epochs_run" => f64::from(run.epochs_run),
        "best_epoch" => f64::from(run.best_epoch),
        "wall_seconds" => run.wall_seconds,
        other => return Err(format!("unknown runs column {other}")),
    })
}

/// An epochs-table column of one epoch row.
fn epoch_column(e: &EpochRecord, name: &str) -> std::result::Result<f64, String> {
    if let Some(diag) = name.strip_prefix("diag.") {
        return Ok(e.diagnostic(diag));
    }
    Ok(match name {
        "train_loss" => e.train_loss,
        "train_acc" => e.train_acc,
        "val_loss" => e.val_loss,
        "val_acc" => e.val_acc,
        "learning_rate" => e.learning_rate,
        "wall_seconds" => e.wall_seconds,
        other => return Err(format!("unknown epochs column {other}")),
    })
}

/// The metric of one run; `Ok((value, reached))` where `reached` is false for a run that never
/// reached an epochs_to/seconds_to target.
fn measure(
    metric: &Metric,
    run: &RunRecord,
    rows: &[&EpochRecord],
) -> std::result::Result<(f64, bool), String> {
    let reached_at = |column: &str, target: f64| -> std::result::Result<Option<usize>, String> {
        for (i, e) in rows.iter().enumerate() {
            let v = epoch_column(e, column)?;
            let hit = if Metric::falls(column) {
                v <= target
            } else {
                v >= target
            };
            if hit {
                return Ok(Some(i));
            }
        }
        Ok(None)
    };
    Ok(match metric {
        Metric::Run(name) => (run_column(run, name)?, true),
        Metric::AtEpoch { column, at_epoch } => {
            let row = rows.iter().find(|e| e.epoch == *at_epoch);
            (row.map_or(Ok(f64::NAN), |e| epoch_column(e, column))?, true)
        }
        Metric::EpochsTo { column, epochs_to } => match reached_at(column, *epochs_to)? {
            Some(i) => (rows[i].epoch as f64, true),
            None => (rows.len() as f64 + 1.0, false),
        },
        Metric::SecondsTo { column, seconds_to } => {
            let reached = reached_at(column, *seconds_to)?;
            let upto = reached.map_or(rows.len(), |i| i + 1);
            let seconds: f64 = rows[..upto].iter().map(|e| e.wall_seconds).sum();
            (seconds, reached.is_some())
        }
        Metric::MeanOf { mean_of } => {
            let values = rows
                .iter()
                .map(|e| epoch_column(e, mean_of))
                .collect::<std::result::Result<Vec<f64>, String>>()?;
            (
                values.iter().sum::<f64>() / values.len().max(1) as f64,
                true,
            )
        }
        Metric::Difference { difference: [a, b] } => {
            (run_column(run, a)? - run_column(run, b)?, true)
        }
        Metric::Log10Ratio {
            log10_ratio: [a, b],
        } => ((run_column(run, a)? / run_column(run, b)?).log10(), true),
        Metric::Computed { computed } => (computed::value(computed)?, true),
    })
}

fn values(
    metric: &Metric,
    cell: &CellRuns,
) -> std::result::Result<(Vec<(u64, f64)>, usize), String> {
    let mut out = Vec::new();
    let mut censored = 0;
    for (&seed, (run, rows)) in cell {
        let (v, reached) = measure(metric, run, rows)?;
        if !reached {
            censored += 1;
        }
        out.push((seed, v));
    }
    Ok((out, censored))
}

fn evaluate_check(
    check: &Check,
    study: &Study,
    runs: &[RunRecord],
    epochs: &[EpochRecord],
) -> std::result::Result<CheckResult, String> {
    let a = cell_runs(&check.a, study, runs, epochs)?;
    let (a_values, a_censored) = values(&check.metric, &a)?;
    let non_finite = |v: &[(u64, f64)]| v.iter().filter(|(_, x)| !x.is_finite()).count();
    let a_non_finite = non_finite(&a_values);
    let mut b_non_finite = 0;
    let margin = check.margin.unwrap_or(0.0);
    let (n, effect, ci, per_seed, b_censored, verdict) = match &check.b {
        Some(b_table) => {
            let b = cell_runs(b_table, study, runs, epochs)?;
            let (b_values, b_censored) = values(&check.metric, &b)?;
            b_non_finite = non_finite(&b_values);
            // a − b per seed, with the interval of its mean.
            let p = stats::paired(&a_values, &b_values, true, CLAIMS_SEED);
            let (lo, hi) = (p.ci_low, p.ci_high);
            let verdict = match check.expect {
                Expect::Higher => side(lo > 0.0, hi < 0.0),
                Expect::Lower => side(hi < 0.0, lo > 0.0),
                _ => side(lo >= -margin && hi <= margin, lo > margin || hi < -margin),
            };
            let per_seed = p
                .seeds
                .iter()
                .copied()
                .zip(p.diffs.iter().copied())
                .collect();
            (p.n, p.mean_diff, (lo, hi), per_seed, b_censored, verdict)
        }
        None => {
            let s = stats::summarize(
                &a_values.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
                CLAIMS_SEED,
            );
            let (lo, hi) = (s.ci_low, s.ci_high);
            let verdict = match check.expect {
                Expect::Below => side(hi < margin, lo > margin),
                _ => side(lo > margin, hi < margin),
            };
            let per_seed = a_values
                .into_iter()
                .filter(|(_, v)| v.is_finite())
                .collect();
            (s.n, s.mean, (lo, hi), per_seed, 0, verdict)
        }
    };
    let verdict = if n < MIN_SEEDS {
        Verdict::Inconclusive
    } else {
        verdict
    };
    Ok(CheckResult {
        what: check.what.clone(),
        metric: check.metric.describe(),
        expect: check.expect,
        margin: check.margin,
        n,
        effect,
        ci,
        per_seed,
        censored: (a_censored, b_censored),
        non_finite: (a_non_finite, b_non_finite),
        verdict,
    })
}

fn side(supported: bool, contradicted: bool) -> Verdict {
    if supported {
        Verdict::Supported
    } else if contradicted {
        Verdict::Contradicted
    } else {
        Verdict::Inconclusive
    }
}

/// Loads the claims file, or says where it should be.
pub fn load(path: &Path) -> Result<ClaimsFile> {
    if !path.exists() {
        return Err(Error::invalid(
            "claims",
            format!("no claims file at {}", path.display()),
        ));
    }
    ClaimsFile::load(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::store::tests::{epoch, run};

    const STUDY: &str =
        "description = \"d\"\nseeds = 10\n[base]\nepochs = 3\noptimizer = \"sgd\"\n\
                         model = { hidden = [8] }\n[grid]\noptimizer = [\"sgd\", \"adam\"]\n";

    /// A study dir and a results dir where adam's test accuracy is sgd's + `gain` (± seed noise),
    /// and each run's val_acc reaches 0.8 at epoch 2 (sgd) or 1 (adam).
    fn fixture(gain: f64, drop_one: bool) -> tempfile::TempDir {
        fixture_with(gain, drop_one, 0)
    }

    /// [`fixture`] with adam's first `diverged` seeds' accuracy NaN.
    fn fixture_with(gain: f64, drop_one: bool, diverged: u64) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let studies = dir.path().join("studies");
        std::fs::create_dir_all(&studies).unwrap();
        std::fs::write(studies.join("s.toml"), STUDY).unwrap();
        let study = study_spec::load(&studies.join("s.toml"), Overrides::default()).unwrap();
        let (mut runs, mut epochs) = (Vec::new(), Vec::new());
        for (i, cell) in study.cells.iter().enumerate() {
            for seed in 0..10u64 {
                if drop_one && i == 1 && seed == 9 {
                    continue;
                }
                let noise = 0.001 * ((seed * 7 % 5) as f64 - 2.0);
                let mut r = run(seed, false);
                r.cell_id = cell.id.clone();
                r.cell_label = cell.label.clone();
                r.axes = cell.axes.clone();
                r.test_acc = 0.8 + noise + if i == 1 { gain } else { 0.0 };
                if i == 1 && seed < diverged {
                    r.test_acc = f64::NAN;
                }
                runs.push(r);
                for e in 1..=3u32 {
                    let mut row = epoch(&cell.id, seed);
                    row.epoch = e;
                    row.val_acc = if e as usize > 1 - i { 0.8 } else { 0.5 };
                    epochs.push(row);
                }
            }
        }
        store::save(&dir.path().join("results").join("s"), &runs, &epochs).unwrap();
        dir
    }

    fn claims(expect: &str, metric: &str, margin: &str) -> ClaimsFile {
        toml::from_str(&format!(
            "[[claim]]\nid = \"x-1\"\ntext = \"t\"\nstudy = \"s\"\n[[claim.check]]\nwhat = \"w\"\n\
             a = {{ optimizer = \"adam\" }}\nb = {{ optimizer = \"sgd\" }}\nmetric = {metric}\n\
             expect = \"{expect}\"\n{margin}"
        ))
        .unwrap()
    }

    fn verdict(dir: &tempfile::TempDir, file: &ClaimsFile) -> std::result::Result<Verdict, String> {
        let r = evaluate(
            file,
            &dir.path().join("studies"),
            &dir.path().join("results"),
        );
        r[0].outcome.clone()
    }

    #[test]
    fn verdicts_follow_the_interval_of_the_paired_difference() {
        let better = fixture(0.01, false);
        assert_eq!(
            verdict(&better, &claims("higher", "\"test_acc\"", "")),
            Ok(Verdict::Supported)
        );
        assert_eq!(
            verdict(&better, &claims("lower", "\"test_acc\"", "")),
            Ok(Verdict::Contradicted)
        );
        let same = fixture(0.0, false);
        assert_eq!(
            verdict(&same, &claims("higher", "\"test_acc\"", "")),
            Ok(Verdict::Inconclusive)
        );
        assert_eq!(
            verdict(&same, &claims("equal", "\"test_acc\"", "margin = 0.001")),
            Ok(Verdict::Supported)
        );
        assert_eq!(
            verdict(&better, &claims("equal", "\"test_acc\"", "margin = 0.001")),
            Ok(Verdict::Contradicted)
        );
        // adam reaches val_acc 0.8 at epoch 1, sgd at epoch 2.
        let epochs_to = claims("lower", "{ column = \"val_acc\", epochs_to = 0.8 }", "");
        assert_eq!(verdict(&same, &epochs_to), Ok(Verdict::Supported));
        let r = evaluate(
            &epochs_to,
            &same.path().join("studies"),
            &same.path().join("results"),
        );
        assert_eq!(r[0].checks[0].effect, -1.0);
        assert_eq!(r[0].checks[0].n, 10);
    }

    #[test]
    fn fewer_than_five_finite_pairs_are_inconclusive_and_counted() {
        let five_left = fixture_with(0.01, false, 5);
        let higher = claims("higher", "\"test_acc\"", "");
        assert_eq!(verdict(&five_left, &higher), Ok(Verdict::Supported));
        let four_left = fixture_with(0.01, false, 6);
        assert_eq!(verdict(&four_left, &higher), Ok(Verdict::Inconclusive));
        let r = evaluate(
            &higher,
            &four_left.path().join("studies"),
            &four_left.path().join("results"),
        );
        assert_eq!((r[0].checks[0].n, r[0].checks[0].non_finite), (4, (6, 0)));
    }

    #[test]
    fn missing_runs_or_results_give_no_verdict() {
        let partial = fixture(0.01, true);
        let why = verdict(&partial, &claims("higher", "\"test_acc\"", "")).unwrap_err();
        assert!(why.contains("missing runs: 19 of 20"), "{why}");
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(empty.path().join("studies")).unwrap();
        std::fs::write(empty.path().join("studies/s.toml"), STUDY).unwrap();
        let why = verdict(&empty, &claims("higher", "\"test_acc\"", "")).unwrap_err();
        assert!(why.contains("no results"), "{why}");
    }

    #[test]
    fn the_committed_claims_file_parses_and_names_every_claim_of_claims_md() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let file = load(&root.join("studies/claims.toml")).unwrap();
        let ids: Vec<&str> = file.claim.iter().map(|c| c.id.as_str()).collect();
        for id in [
            "init-1", "act-1", "act-2", "act-3", "act-4", "act-5", "act-6", "bn-1", "bn-2",
            "clip-1", "tl-1", "pre-1", "opt-1", "opt-2", "opt-3", "opt-4", "sch-1", "reg-1",
            "reg-2", "reg-3", "def-1",
        ] {
            assert!(ids.contains(&id), "{id} missing");
        }
    }
}
