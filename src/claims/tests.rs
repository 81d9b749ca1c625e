//! The claims engine on synthetic result tables: a three-cell study (optimizer sgd, adam,
//! nadam; 6 epochs) whose runs each test describes seed by seed, so every rule of the module
//! doc is checked without training. Each test would fail if its rule were removed.

use std::path::Path;

use super::*;
use crate::report::inference::paired;
use crate::report::inference::t_test::paired_t;
use crate::report::inference::Alternative;
use crate::results::store::tests::{epoch, run};
use crate::study::{spec as study_spec, Overrides};

const STUDY: &str = "description = \"d\"\nseeds = 10\n[base]\nepochs = 6\noptimizer = \"sgd\"\n\
                     model = { hidden = [8, 4] }\n[grid]\noptimizer = [\"sgd\", \"adam\", \"nadam\"]\n";

/// One run as a test describes it.
#[derive(Debug, Clone)]
struct Spec {
    test_acc: f64,
    /// Validation loss per epoch (its length is the epochs run).
    val_loss: Vec<f64>,
    /// Validation accuracy per epoch.
    val_acc: Vec<f64>,
    /// Diverged in its last epoch.
    diverged: bool,
    extra: Vec<(String, f64)>,
}

/// A run that trained (best validation accuracy 0.86) and converged (its loss flat for the
/// last 3 epochs), with test accuracy `acc`.
fn trained(acc: f64) -> Spec {
    Spec {
        test_acc: acc,
        val_loss: vec![1.0, 0.6, 0.5, 0.45, 0.45, 0.45],
        val_acc: vec![0.5, 0.7, 0.8, 0.85, 0.86, 0.86],
        diverged: false,
        extra: Vec::new(),
    }
}

/// A run whose loss became non-finite in epoch 2.
fn diverged() -> Spec {
    Spec {
        test_acc: 0.1,
        val_loss: vec![2.5, f64::NAN],
        val_acc: vec![0.12, f64::NAN],
        diverged: true,
        extra: Vec::new(),
    }
}

/// A small deterministic noise in [−0.002, 0.002] by seed.
fn noise(seed: u64) -> f64 {
    0.001 * ((seed * 7 % 5) as f64 - 2.0)
}

/// Study dir + results dir with `seeds` seeds of every cell as `spec(optimizer, seed)` says.
fn fixture_seeds(seeds: u64, spec: impl Fn(&str, u64) -> Spec) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let studies = dir.path().join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(studies.join("s.toml"), STUDY).unwrap();
    let study = study_spec::load(&studies.join("s.toml"), Overrides::default()).unwrap();
    let (mut runs, mut epochs) = (Vec::new(), Vec::new());
    for cell in &study.cells {
        let optimizer = &cell.axes[0].1;
        for seed in 0..seeds {
            let s = spec(optimizer, seed);
            let mut r = run(seed, s.diverged);
            r.cell_id = cell.id.clone();
            r.cell_label = cell.label.clone();
            r.axes = cell.axes.clone();
            r.test_acc = s.test_acc;
            r.epochs_run = s.val_loss.len() as u32;
            r.final_val_loss = *s.val_loss.last().unwrap();
            r.final_val_acc = *s.val_acc.last().unwrap();
            r.best_val_acc = s
                .val_acc
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max);
            r.test_loss = if s.diverged {
                f64::NAN
            } else {
                1.0 - s.test_acc
            };
            r.extra = s.extra.clone();
            runs.push(r);
            for (i, (&loss, &acc)) in s.val_loss.iter().zip(&s.val_acc).enumerate() {
                let mut row = epoch(&cell.id, seed);
                row.epoch = i as u32 + 1;
                row.val_loss = loss;
                row.val_acc = acc;
                epochs.push(row);
            }
        }
    }
    store::save(&dir.path().join("results").join("s"), &runs, &epochs).unwrap();
    dir
}

fn fixture(spec: impl Fn(&str, u64) -> Spec) -> tempfile::TempDir {
    fixture_seeds(10, spec)
}

/// A claims file of one claim with these checks (each a `[[claim.check]]` body).
fn claims(checks: &[&str]) -> ClaimsFile {
    claims_of(&[("x-1", "", checks)])
}

/// A claims file of several claims: (id, claim keys, check bodies).
fn claims_of(list: &[(&str, &str, &[&str])]) -> ClaimsFile {
    let mut text = String::new();
    for (id, keys, checks) in list {
        text.push_str(&format!(
            "[[claim]]\nid = \"{id}\"\ntext = \"t\"\nstudy = \"s\"\n{keys}\n"
        ));
        for body in *checks {
            text.push_str(&format!("[[claim.check]]\nwhat = \"w\"\n{body}\n"));
        }
    }
    ClaimsFile::parse(&text, Path::new("claims.toml")).unwrap()
}

/// "adam vs sgd" with these expectation keys and gates.
fn adam_vs_sgd(metric: &str, expect: &str, extra: &str) -> String {
    format!(
        "a = {{ optimizer = \"adam\" }}\nb = {{ optimizer = \"sgd\" }}\nmetric = {metric}\n\
         expect = \"{expect}\"\n{extra}\n"
    )
}

const NO_GATES: &str = "margin = 0.003\ngates = {}";

fn evaluate_in(dir: &tempfile::TempDir, file: &ClaimsFile) -> Vec<ClaimResult> {
    evaluate(
        file,
        &dir.path().join("studies"),
        &dir.path().join("results"),
    )
}

fn verdict_of(dir: &tempfile::TempDir, file: &ClaimsFile) -> Verdict {
    evaluate_in(dir, file)[0].verdict
}

/// adam's test accuracy is sgd's + `gain` (± seed noise); nadam as sgd.
fn gain(g: f64) -> impl Fn(&str, u64) -> Spec {
    move |o, seed| trained(0.8 + noise(seed) + if o == "adam" { g } else { 0.0 })
}

#[test]
fn a_direction_is_decided_by_the_paired_t_interval() {
    let better = fixture(gain(0.01));
    let higher = claims(&[&adam_vs_sgd("\"test_acc\"", "higher", NO_GATES)]);
    let r = &evaluate_in(&better, &higher)[0];
    assert_eq!(r.verdict, Verdict::Supported);
    let e = r.checks[0].evidence.as_ref().unwrap();
    assert_eq!(e.method, Some(paired::Method::StudentT));
    // Every difference is exactly 0.01 up to rounding: the t interval is that value.
    assert!((e.estimate - 0.01).abs() < 1e-9, "{e:?}");
    assert_eq!(e.interval.level, 0.95);
    assert!(e.bca.is_some());
    let lower = claims(&[&adam_vs_sgd("\"test_acc\"", "lower", NO_GATES)]);
    assert_eq!(verdict_of(&better, &lower), Verdict::Contradicted);
}

#[test]
fn a_difference_shown_within_the_margin_is_equivalent_and_counts_against_the_claim() {
    // adam = sgd + noise of ±0.002 around a mean 0: within ±0.003 by TOST.
    let same = fixture(|o, seed| trained(0.8 + if o == "adam" { noise(seed) } else { 0.0 }));
    let higher = claims(&[&adam_vs_sgd("\"test_acc\"", "higher", NO_GATES)]);
    let r = &evaluate_in(&same, &higher)[0];
    assert_eq!(
        r.checks[0].verdict,
        Verdict::Equivalent,
        "{:?}",
        r.checks[0]
    );
    assert_eq!(r.verdict, Verdict::Contradicted);
    // With a margin it cannot show (0.0005), the same data are only inconclusive.
    let tight = claims(&[&adam_vs_sgd(
        "\"test_acc\"",
        "higher",
        "margin = 0.0005\ngates = {}",
    )]);
    assert_eq!(verdict_of(&same, &tight), Verdict::Inconclusive);
    // "equal" is TOST with the margin: supported here; contradicted when the difference lies
    // wholly outside it.
    let equal = claims(&[&adam_vs_sgd("\"test_acc\"", "equal", NO_GATES)]);
    assert_eq!(verdict_of(&same, &equal), Verdict::Supported);
    let apart = fixture(gain(0.01));
    assert_eq!(verdict_of(&apart, &equal), Verdict::Contradicted);
}

#[test]
fn diverged_runs_count_as_chance_and_worst_the_init_1_situation() {
    // sgd (He) trains; adam (N(0, 1)) diverged on 9 seeds and stayed at chance on the tenth.
    let dir = fixture(|o, seed| match o {
        "adam" if seed < 9 => diverged(),
        "adam" => Spec {
            test_acc: 0.1,
            val_loss: vec![2.3; 6],
            val_acc: vec![0.1; 6],
            diverged: false,
            extra: Vec::new(),
        },
        _ => trained(0.85 + noise(seed)),
    });
    let check = "a = { optimizer = \"sgd\" }\nb = { optimizer = \"adam\" }\n\
                 metric = \"final_val_acc\"\nexpect = \"higher\"\nmargin = 0.003\n\
                 gates = { trained = [\"a\"] }";
    let r = &evaluate_in(&dir, &claims(&[check]))[0];
    let c = &r.checks[0];
    assert_eq!(r.verdict, Verdict::Supported, "{c:?}");
    assert_eq!(c.n, 10, "no seed is left out");
    assert_eq!(c.scored, (0, 9), "the 9 diverged runs scored chance");
    let rate = c.divergence.1.unwrap();
    assert_eq!((rate.count, rate.n), (9, 10));
    assert!(rate.ci_low > 0.5, "{rate:?}");
    // 0.86 − 0.1 on every seed: the scored values are chance, not left out.
    assert!((c.evidence.as_ref().unwrap().estimate - 0.76).abs() < 1e-9);

    // A loss: the diverged runs' +∞ takes the signed-rank path, ranked worst.
    let loss = "a = { optimizer = \"sgd\" }\nb = { optimizer = \"adam\" }\n\
                metric = \"final_val_loss\"\nexpect = \"lower\"\nmargin = 0.01\n\
                gates = { trained = [\"a\"] }";
    let r = &evaluate_in(&dir, &claims(&[loss]))[0];
    let e = r.checks[0].evidence.as_ref().unwrap();
    assert_eq!(e.method, Some(paired::Method::SignedRank));
    assert!(e.bca.is_none(), "no mean over +∞");
    assert_eq!(r.verdict, Verdict::Supported, "{:?}", r.checks[0]);

    // Gating the N(0, 1) arm would test the outcome itself: the check becomes invalid.
    let gated = check.replace("[\"a\"]", "[\"a\", \"b\"]");
    let r = &evaluate_in(&dir, &claims(&[&gated]))[0];
    assert_eq!(r.verdict, Verdict::Invalid);
    let why = r.why.as_deref().unwrap();
    assert!(
        why.starts_with("optimizer=adam did not train (median best validation accuracy 0.1"),
        "{why}"
    );

    // Divergence rates compared directly: adam diverges more often (9/10 vs 0/10).
    let rates =
        "a = { optimizer = \"adam\" }\nb = { optimizer = \"sgd\" }\nmetric = \"diverged\"\n\
                 expect = \"higher\"\nmargin = 0.1\ngates = {}";
    let r = &evaluate_in(&dir, &claims(&[rates]))[0];
    assert_eq!(r.verdict, Verdict::Supported, "{:?}", r.checks[0]);
    let e = r.checks[0].evidence.as_ref().unwrap();
    assert_eq!((e.method, e.estimate), (None, 0.9));
    assert!(e.interval.low > 0.0 && e.p_value < 0.001, "{e:?}");
}

#[test]
fn an_arm_that_did_not_train_or_converge_makes_its_check_invalid() {
    // adam beats sgd by far, but sgd barely trained (best validation accuracy 0.15 < 0.2).
    let dir = fixture(|o, seed| {
        if o == "sgd" {
            Spec {
                test_acc: 0.15 + noise(seed),
                val_loss: vec![2.2, 2.1, 2.0, 2.0, 2.0, 2.0],
                val_acc: vec![0.12, 0.14, 0.15, 0.15, 0.15, 0.15],
                diverged: false,
                extra: Vec::new(),
            }
        } else {
            trained(0.85 + noise(seed))
        }
    });
    let ungated = claims(&[&adam_vs_sgd("\"test_acc\"", "higher", NO_GATES)]);
    assert_eq!(verdict_of(&dir, &ungated), Verdict::Supported);
    let gated = claims(&[&adam_vs_sgd(
        "\"test_acc\"",
        "higher",
        "margin = 0.003\ngates = { trained = [\"a\", \"b\"] }",
    )]);
    let r = &evaluate_in(&dir, &gated)[0];
    assert_eq!(r.verdict, Verdict::Invalid);
    assert_eq!(r.checks[0].verdict, Verdict::Invalid);
    assert!(
        r.why
            .as_deref()
            .unwrap()
            .starts_with("optimizer=sgd did not train"),
        "{r:?}"
    );
    // "either": one arm trained is enough.
    let either = claims(&[&adam_vs_sgd(
        "\"test_acc\"",
        "higher",
        "margin = 0.003\ngates = { trained = \"either\" }",
    )]);
    assert_eq!(verdict_of(&dir, &either), Verdict::Supported);

    // adam's validation loss still falls 10% over its last 3 epochs: not converged.
    let improving = fixture(|o, seed| {
        let mut s = trained(0.8 + noise(seed) + if o == "adam" { 0.01 } else { 0.0 });
        if o == "adam" {
            s.val_loss = vec![1.0, 0.8, 0.7, 0.6, 0.55, 0.5];
        }
        s
    });
    let converged = claims(&[&adam_vs_sgd(
        "\"test_acc\"",
        "higher",
        "margin = 0.003\ngates = { converged = [\"a\", \"b\"] }",
    )]);
    let r = &evaluate_in(&improving, &converged)[0];
    assert_eq!(r.verdict, Verdict::Invalid);
    assert!(
        r.why
            .as_deref()
            .unwrap()
            .starts_with("optimizer=adam did not converge (0 of 10 runs converged"),
        "{r:?}"
    );
}

/// Differences whose paired t p-value (two-sided) lies between 0.025 and 0.05: significant
/// alone, not after Holm with a second such check.
const MARGINAL: [f64; 10] = [
    0.004, -0.001, 0.003, 0.0, 0.002, 0.005, -0.002, 0.003, 0.001, 0.002,
];

#[test]
fn holm_within_a_claim_and_intervals_at_the_level_tested() {
    let t = paired_t(&MARGINAL, Alternative::TwoSided, 0.05).unwrap();
    assert!(t.p_value > 0.025 && t.p_value < 0.05, "{t:?}");
    // adam and nadam each beat sgd by MARGINAL.
    let dir = fixture(|o, seed| {
        trained(
            0.8 + if o == "sgd" {
                0.0
            } else {
                MARGINAL[seed as usize]
            },
        )
    });
    let margin = "margin = 0.0001\ngates = {}";
    let adam = adam_vs_sgd("\"test_acc\"", "higher", margin);
    let nadam = adam.replace("adam", "nadam");
    // Alone: supported, at 95%.
    let r = &evaluate_in(&dir, &claims(&[&adam]))[0];
    assert_eq!(r.verdict, Verdict::Supported);
    assert_eq!(r.checks[0].evidence.as_ref().unwrap().interval.level, 0.95);
    // Two in one claim: Holm tests the first at 2.5%, where it fails, and stops.
    let r = &evaluate_in(&dir, &claims(&[&adam, &nadam]))[0];
    assert_eq!(r.verdict, Verdict::Inconclusive, "{r:?}");
    for c in &r.checks {
        assert_eq!(c.verdict, Verdict::Inconclusive);
        let e = c.evidence.as_ref().unwrap();
        let holm = e.p_holm.unwrap();
        assert!((holm - 2.0 * t.p_value).abs() < 1e-12, "{e:?}");
    }
    // Their intervals are shown at the levels Holm tested them at: 97.5% and 95%.
    let mut levels: Vec<f64> = r
        .checks
        .iter()
        .map(|c| c.evidence.as_ref().unwrap().interval.level)
        .collect();
    levels.sort_by(f64::total_cmp);
    assert_eq!(levels, [0.95, 0.975]);
    // In two claims each is 5% family-wise alone, but Benjamini–Hochberg across the claims
    // keeps them: q = p for two equal p-values.
    let two = claims_of(&[("x-1", "", &[&adam]), ("x-2", "", &[&nadam])]);
    let r = evaluate_in(&dir, &two);
    assert!(r.iter().all(|c| c.verdict == Verdict::Supported), "{r:?}");
    assert!((r[0].q_value.unwrap() - t.p_value).abs() < 1e-12);
}

#[test]
fn benjamini_hochberg_across_claims_demotes_a_verdict_that_is_no_discovery() {
    let dir = fixture(|o, seed| {
        let spread = if seed % 2 == 0 { 0.01 } else { -0.01 };
        trained(
            0.8 + match o {
                "adam" => MARGINAL[seed as usize],
                "nadam" => spread,
                _ => 0.0,
            },
        )
    });
    let margin = "margin = 0.0001\ngates = {}";
    let adam = adam_vs_sgd("\"test_acc\"", "higher", margin);
    // nadam vs sgd: ±1 point by seed, mean 0, not equivalent within 0.0001: inconclusive.
    let nadam = adam.replace("adam", "nadam");
    let file = claims_of(&[("x-1", "", &[&adam]), ("x-2", "", &[&nadam])]);
    let r = evaluate_in(&dir, &file);
    assert_eq!(r[1].verdict, Verdict::Inconclusive);
    // x-1 alone is supported at p ≈ 0.03; across 2 claims its q is 2p ≈ 0.06 > 0.05.
    assert_eq!(r[0].verdict, Verdict::Inconclusive, "{:?}", r[0]);
    let why = r[0].why.as_deref().unwrap();
    assert!(
        why.starts_with(
            "supported within the claim, but not a discovery across the 2 tested claims"
        ),
        "{why}"
    );
    assert!(r[0].q_value.unwrap() > 0.05);
}

#[test]
fn a_stated_magnitude_is_checked_as_one() {
    let band = "margin = 0.003\nband = [0.005, 0.025]\ngates = {}";
    let check = claims(&[&adam_vs_sgd("\"test_acc\"", "higher", band)]);
    // +1.5 points ± 0.2: within [0.5, 2.5].
    assert_eq!(
        verdict_of(&fixture(gain(0.015)), &check),
        Verdict::Supported
    );
    // +0.2 points: real but below the stated magnitude: contradicted.
    let small = fixture(|o, seed| {
        trained(
            0.8 + if o == "adam" {
                0.002 + 0.0002 * noise(seed)
            } else {
                0.0
            },
        )
    });
    let r = &evaluate_in(&small, &check)[0];
    assert_eq!(r.verdict, Verdict::Contradicted, "{:?}", r.checks[0]);
    assert!(r.checks[0].evidence.as_ref().unwrap().deciding_p.unwrap() < 0.05);
    // +2.45 points ± 0.2: the interval straddles the band's top: inconclusive.
    let edge = fixture(|o, seed| {
        trained(
            0.8 + if o == "adam" {
                0.0245 + noise(seed)
            } else {
                0.0
            },
        )
    });
    assert_eq!(verdict_of(&edge, &check), Verdict::Inconclusive);
}

#[test]
fn a_hedged_claim_is_contradicted_only_in_every_setting() {
    // adam is worse than sgd on every seed; nadam better.
    let dir = fixture(|o, seed| {
        trained(
            0.8 + noise(seed)
                + match o {
                    "adam" => -0.01,
                    "nadam" => 0.01,
                    _ => 0.0,
                },
        )
    });
    let hedged = "margin = 0.003\nhedged = true\ngates = {}";
    let adam = adam_vs_sgd("\"test_acc\"", "higher", hedged);
    let nadam = adam.replace("adam", "nadam");
    // Hedged, one setting against and one for: inconclusive, not contradicted.
    assert_eq!(
        verdict_of(&dir, &claims(&[&adam, &nadam])),
        Verdict::Inconclusive
    );
    // Not hedged, the same evidence contradicts.
    let firm = adam_vs_sgd("\"test_acc\"", "higher", NO_GATES);
    let firm_nadam = firm.replace("adam", "nadam");
    assert_eq!(
        verdict_of(&dir, &claims(&[&firm, &firm_nadam])),
        Verdict::Contradicted
    );
    // Hedged and against in every setting: contradicted.
    let r = &evaluate_in(&dir, &claims(&[&adam]))[0];
    assert_eq!(r.verdict, Verdict::Contradicted);
    assert_eq!(
        r.why.as_deref(),
        Some("every hedged check is contradicted or equivalent")
    );
}

#[test]
fn missing_cells_metrics_runs_and_results_give_no_verdict_without_failing_the_file() {
    let dir = fixture(gain(0.01));
    let redesigned = "a = { optimizer = \"adamw\" }\nb = { optimizer = \"sgd\" }\n\
                      metric = \"test_acc\"\nexpect = \"higher\"\nmargin = 0.003\ngates = {}";
    let not_recorded = adam_vs_sgd("\"metric.timing.epoch_seconds\"", "higher", NO_GATES);
    let fine = adam_vs_sgd("\"test_acc\"", "higher", NO_GATES);
    let file = claims_of(&[
        ("x-1", "", &[redesigned, &fine]),
        ("x-2", "", &[&not_recorded]),
        ("x-3", "", &[&fine]),
    ]);
    let r = evaluate_in(&dir, &file);
    assert_eq!(r[0].verdict, Verdict::NoVerdict);
    let why = r[0].why.as_deref().unwrap();
    assert!(
        why.starts_with("1 of 2 checks have no results: no results for this cell: study s has no cell with {optimizer = adamw}"),
        "{why}"
    );
    assert_eq!(r[0].checks[1].verdict, Verdict::Supported, "still shown");
    assert!(r[1].why.as_deref().unwrap().contains(
        "no results for this metric: metric.timing.epoch_seconds is not recorded for optimizer=adam"
    ));
    assert_eq!(r[2].verdict, Verdict::Supported);

    // A study with a missing run, or none at all.
    let partial = fixture(gain(0.01));
    let results = partial.path().join("results/s");
    let (mut runs, epochs) = store::load(&results).unwrap();
    runs.pop();
    store::save(&results, &runs, &epochs).unwrap();
    let r = evaluate_in(&partial, &claims(&[&fine]));
    assert!(r[0]
        .why
        .as_deref()
        .unwrap()
        .contains("missing runs: 29 of 30"));
    std::fs::remove_dir_all(&results).unwrap();
    let r = evaluate_in(&partial, &claims(&[&fine]));
    assert!(r[0].why.as_deref().unwrap().contains("no results"));
}

#[test]
fn fewer_than_five_paired_seeds_are_inconclusive_and_the_rest_counted() {
    // adam's test accuracy is missing (NaN, not diverged) on 6 seeds.
    let dir = fixture(|o, seed| {
        let mut s = trained(0.8 + noise(seed) + if o == "adam" { 0.01 } else { 0.0 });
        if o == "adam" && seed < 6 {
            s.test_acc = f64::NAN;
        }
        s
    });
    let r = &evaluate_in(
        &dir,
        &claims(&[&adam_vs_sgd("\"test_acc\"", "higher", NO_GATES)]),
    )[0];
    assert_eq!(r.verdict, Verdict::Inconclusive);
    let c = &r.checks[0];
    assert_eq!((c.n, c.left_out), (4, (6, 0, 0)));
    assert!(c.why.as_deref().unwrap().contains("a verdict needs 5"));
}

#[test]
fn a_failed_sanity_check_makes_the_claim_invalid() {
    let dir = fixture(gain(0.01));
    let test = adam_vs_sgd("\"test_acc\"", "higher", NO_GATES);
    // "sgd's test accuracy is above 0.9": false, so the study is not a valid test.
    let sanity = "a = { optimizer = \"sgd\" }\nmetric = \"test_acc\"\nexpect = \"above\"\n\
                  bound = 0.9\nrole = \"sanity\"\ngates = {}";
    let r = &evaluate_in(&dir, &claims(&[&test, sanity]))[0];
    assert_eq!(r.verdict, Verdict::Invalid);
    assert_eq!(
        r.why.as_deref(),
        Some("sanity check failed: w (contradicted)")
    );
    let holds = sanity.replace("0.9", "0.7");
    assert_eq!(
        verdict_of(&dir, &claims(&[&test, &holds])),
        Verdict::Supported
    );
    // A descriptive check is shown and decides nothing.
    let descriptive = sanity.replace("sanity", "descriptive");
    let r = &evaluate_in(&dir, &claims(&[&test, &descriptive]))[0];
    assert_eq!(r.verdict, Verdict::Supported);
    assert_eq!(r.checks[1].verdict, Verdict::Descriptive);
    assert_eq!(r.checks[1].why.as_deref(), Some("alone: contradicted"));
}

#[test]
fn epochs_to_a_target_censors_runs_that_never_reach_it() {
    // adam reaches validation accuracy 0.8 at epoch 3 (the trained curve); sgd never does
    // on seeds 0–4 (stuck at 0.7), and at epoch 5 otherwise.
    let dir = fixture(|o, seed| {
        let mut s = trained(0.8);
        if o == "sgd" {
            s.val_acc = if seed < 5 {
                vec![0.5, 0.6, 0.7, 0.7, 0.7, 0.7]
            } else {
                vec![0.5, 0.6, 0.7, 0.75, 0.8, 0.81]
            };
        }
        s
    });
    let check = adam_vs_sgd(
        "{ column = \"val_acc\", epochs_to = 0.8 }",
        "lower",
        "margin = 1.0\ngates = {}",
    );
    let r = &evaluate_in(&dir, &claims(&[&check]))[0];
    let c = &r.checks[0];
    assert_eq!(c.censored, (0, 5));
    let e = c.evidence.as_ref().unwrap();
    assert_eq!(e.method, Some(paired::Method::SignedRank), "+∞ is ranked");
    assert_eq!(r.verdict, Verdict::Supported, "{c:?}");
    assert!(c.per_seed[0].b == Some(f64::INFINITY) && c.per_seed[9].b == Some(5.0));
}

#[test]
fn a_pooled_arm_averages_its_cells_per_seed_and_a_rank_estimator_is_robust() {
    // "adam or nadam" vs sgd, one seed a wild outlier.
    let dir = fixture(|o, seed| {
        let outlier = if seed == 3 { 0.3 } else { 0.0 };
        trained(
            0.8 + noise(seed)
                + match o {
                    "adam" => 0.01 + outlier,
                    "nadam" => 0.02,
                    _ => 0.0,
                },
        )
    });
    let pooled =
        "a = {}\nb = { optimizer = \"sgd\" }\nmetric = \"test_acc\"\nexpect = \"higher\"\n\
                  margin = 0.003\npool = true\nestimator = \"rank\"\ngates = { trained = [\"a\"] }";
    let r = &evaluate_in(&dir, &claims(&[pooled]))[0];
    let c = &r.checks[0];
    // {} matches all three cells: (sgd + adam + nadam)/3 − sgd = (0.01 + 0.02)/3 = 0.01.
    assert_eq!(c.arms.0.len(), 3);
    assert_eq!(c.gates.len(), 3, "every pooled cell gated");
    let e = c.evidence.as_ref().unwrap();
    assert_eq!(e.method, Some(paired::Method::SignedRank));
    assert!(
        (e.estimate - 0.01).abs() < 1e-9,
        "HL ignores the outlier: {e:?}"
    );
    assert_eq!(r.verdict, Verdict::Supported);
    // Without `pool`, a selector matching several cells is an error naming them.
    let unpooled = pooled.replace("pool = true\n", "");
    let r = &evaluate_in(&dir, &claims(&[&unpooled]))[0];
    assert!(r
        .why
        .as_deref()
        .unwrap()
        .contains("3 cells of study s have {}"));
}

#[test]
fn a_sequential_look_judges_its_seeds_at_its_own_level() {
    // 20 seeds; adam beats sgd by MARGINAL repeated: p ≈ 0.002 at 20 seeds, which decides at
    // a fixed 5% and at the last look of 10/20 (0.047) but not at look 1 of 10/20/30.
    let dir = fixture_seeds(20, |o, seed| {
        trained(
            0.8 + if o == "adam" {
                MARGINAL[seed as usize % 10]
            } else {
                0.0
            },
        )
    });
    let check = adam_vs_sgd("\"test_acc\"", "higher", "margin = 0.0001\ngates = {}");
    let file = claims(&[&check]);
    let results = dir.path().join("results");
    let study = study_spec::load(&dir.path().join("studies/s.toml"), Overrides::default()).unwrap();
    let at = |looks: &[usize], index| {
        let design = Design::at(looks, index).unwrap();
        evaluate_study(&file, &study, &results, &design).unwrap()[0].clone()
    };
    let first = at(&[10, 20, 30], 0);
    assert_eq!(first.checks[0].n, 10, "look 1 judges the first 10 seeds");
    assert_eq!(first.verdict, Verdict::Inconclusive, "p ≈ 0.03 > 0.00069");
    assert!(!sequential::settled(&[first]));
    assert!(
        !sequential::settled(&[]),
        "no claim judged is not a decision"
    );
    let second = at(&[10, 20, 30], 1);
    assert_eq!(second.checks[0].n, 20);
    assert_eq!(second.verdict, Verdict::Supported, "{:?}", second.checks[0]);
    assert!(sequential::settled(&[second]));
    // The record makes `trainbench claims` judge the look where the study stopped.
    sequential::write(
        &results.join("s"),
        &sequential::Record {
            looks: vec![10, 20, 30],
            stopped_at: 10,
            decided: false,
        },
    )
    .unwrap();
    let r = &evaluate_in(&dir, &file)[0];
    assert_eq!((r.checks[0].n, r.verdict), (10, Verdict::Inconclusive));
    assert!(render::markdown(std::slice::from_ref(r))
        .contains("sequential design, stopped at look 1 of 3"));
}

#[test]
fn the_table_shows_before_what_changed_and_the_evidence() {
    let dir = fixture(gain(0.01));
    std::fs::write(
        dir.path().join("results").join(before::BEFORE_FILE),
        "| claim | verdict |\n| --- | --- |\n| x-1 | **contradicted** | a |\n",
    )
    .unwrap();
    let file = claims_of(&[(
        "x-1",
        "changed = \"diverged runs count\"",
        &[&adam_vs_sgd("\"test_acc\"", "higher", NO_GATES)],
    )]);
    let r = evaluate_in(&dir, &file);
    assert_eq!(r[0].before.as_deref(), Some("contradicted"));
    let md = render::markdown(&r);
    assert!(
        md.contains("| x-1 | t | s | **supported** | contradicted | diverged runs count |"),
        "{md}"
    );
    assert!(md.contains("Benjamini–Hochberg across claims"), "{md}");
    assert!(md.contains("Holm within each claim"), "{md}");
    assert!(md.contains("+0.0100 [+0.0100, +0.0100] 95% (t)"), "{md}");
    assert!(
        md.contains("- x-1 · w: s0 0.8080 vs 0.7980 (+0.0100)"),
        "{md}"
    );
}

#[test]
fn the_committed_claims_file_parses_and_names_every_claim_of_claims_md() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = load(&root.join("studies/claims.toml")).unwrap();
    let ids: Vec<&str> = file.claim.iter().map(|c| c.id.as_str()).collect();
    for id in [
        "init-1", "act-1", "act-2", "act-3", "act-4", "act-5", "act-6", "bn-1", "bn-2", "clip-1",
        "tl-1", "pre-1", "opt-1", "opt-2", "opt-3", "opt-4", "sch-1", "reg-1", "reg-2", "reg-3",
        "def-1",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
    // Every claim says what changed in its rule since the "before" verdicts.
    for claim in &file.claim {
        assert!(
            claim.changed.is_some(),
            "{} has no `changed` line",
            claim.id
        );
    }
}

#[test]
fn where_the_t_and_bca_intervals_disagree_the_check_is_inconclusive() {
    // Nine seeds gain about 0.7 points, one loses 1 point: the t interval excludes 0, the BCa
    // interval (skewed by the loss) does not.
    let skewed = |seed: u64| {
        if seed == 9 {
            -0.01
        } else {
            0.007 + 0.001 * ((seed * 7 % 5) as f64 - 2.0)
        }
    };
    let dir = fixture(|o, seed| trained(0.8 + if o == "adam" { skewed(seed) } else { 0.0 }));
    let r = &evaluate_in(
        &dir,
        &claims(&[&adam_vs_sgd("\"test_acc\"", "higher", NO_GATES)]),
    )[0];
    let c = &r.checks[0];
    let e = c.evidence.as_ref().unwrap();
    assert!(
        e.p_value < 0.05 && e.interval.low > 0.0,
        "the t test alone decides: {e:?}"
    );
    assert!(e.bca.unwrap().low <= 0.0, "{e:?}");
    assert_eq!(c.verdict, Verdict::Inconclusive);
    assert_eq!(c.why.as_deref(), Some("the t and BCa intervals disagree"));
    assert_eq!(r.verdict, Verdict::Inconclusive);
}
