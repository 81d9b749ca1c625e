//! From a claim's rule and its study's runs to its verdict, as the module doc of
//! [`crate::claims`] specifies: each check's arms, gates, values and test; Holm within the
//! claim; each check's decision at its level; the claim's verdict; Benjamini–Hochberg across
//! claims. The statistics themselves are [`crate::report::inference`]'s.

use std::collections::BTreeMap;

use super::arms::{self, ArmCell};
use super::gates;
use super::measure::{measure, Value};
use super::sequential::Design;
use super::spec::{Check, Claim, Estimator, Expect, Role};
use super::{
    CheckResult, ClaimResult, Evidence, SeedValues, Verdict, ALPHA, CLAIMS_SEED, MIN_SEEDS,
    TARGET_POWER,
};
use crate::report::inference::multiple::{benjamini_hochberg, holm};
use crate::report::inference::oriented_difference;
use crate::report::inference::paired::{Differences, Interval, Method};
use crate::report::inference::proportion::{compare_rates, wilson, Rate};
use crate::results::{EpochRecord, RunRecord};
use crate::study::Study;

/// Seeds searched for the seeds-needed figure.
const MAX_SEEDS_SEARCHED: usize = 1000;

/// A claim whose study could not be judged at all.
pub(super) fn no_results(claim: &Claim, why: String) -> ClaimResult {
    ClaimResult {
        id: claim.id.clone(),
        text: claim.text.clone(),
        textbook: claim.textbook.clone(),
        study: claim.study.clone(),
        changed: claim.changed.clone(),
        before: None,
        commits: Vec::new(),
        verdict: Verdict::NoVerdict,
        why: Some(why),
        p_value: None,
        q_value: None,
        design: Design::Fixed,
        checks: Vec::new(),
    }
}

/// The test a check is ready for: its oriented differences (or the two arms' divergence
/// counts) and its p-value.
enum Ready {
    Differences(Differences),
    Rates { a: Rate, b: Rate },
}

/// A check on its way to a verdict.
struct Pending {
    result: CheckResult,
    ready: Option<Ready>,
    p_value: f64,
}

/// Every seed's value of one arm: the mean over its cells, or NaN when a cell lacks the seed.
fn arm_values(check: &Check, cells: &[ArmCell]) -> BTreeMap<u64, Value> {
    let mut seeds: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    for cell in cells {
        for (&seed, run) in &cell.runs {
            seeds
                .entry(seed)
                .or_default()
                .push(measure(&check.metric, cell, run));
        }
    }
    seeds
        .into_iter()
        .map(|(seed, values)| {
            let complete = values.len() == cells.len();
            let mean = values.iter().map(|v| v.value).sum::<f64>() / values.len() as f64;
            (
                seed,
                Value {
                    value: if complete { mean } else { f64::NAN },
                    scored: values.iter().any(|v| v.scored),
                    censored: values.iter().any(|v| v.censored),
                },
            )
        })
        .collect()
}

/// Divergence count and runs of an arm.
fn divergence(cells: &[ArmCell]) -> (u64, u64) {
    let runs = cells.iter().flat_map(|c| c.runs.values());
    let (mut count, mut n) = (0, 0);
    for r in runs {
        n += 1;
        count += u64::from(r.run.diverged);
    }
    (count, n)
}

fn rate(cells: &[ArmCell]) -> Option<Rate> {
    let (count, n) = divergence(cells);
    wilson(count, n, ALPHA).ok()
}

/// The oriented difference of one seed (positive = the claimed direction).
fn oriented(expect: Expect, a: f64, b: Option<f64>, bound: f64) -> f64 {
    match (expect, b) {
        (Expect::Higher | Expect::Equal, Some(b)) => oriented_difference(a, b, true),
        (Expect::Lower, Some(b)) => oriented_difference(a, b, false),
        (Expect::Above, _) => oriented_difference(a, bound, true),
        (Expect::Below, _) => oriented_difference(a, bound, false),
        _ => f64::NAN,
    }
}

/// Gathers a check's arms, gates and values, and prepares its test.
fn prepare(
    check: &Check,
    study: &Study,
    runs: &[RunRecord],
    epochs: &[EpochRecord],
    design: &Design,
) -> Pending {
    let mut result = CheckResult {
        what: check.what.clone(),
        metric: check.metric.describe(),
        expect: check.expect,
        role: check.role,
        hedged: check.hedged,
        margin: check.margin,
        bound: check.bound,
        band: check.band,
        arms: (Vec::new(), Vec::new()),
        n: 0,
        left_out: (0, 0, 0),
        scored: (0, 0),
        censored: (0, 0),
        divergence: (None, None),
        gates: Vec::new(),
        evidence: None,
        per_seed: Vec::new(),
        verdict: Verdict::Inconclusive,
        why: None,
    };
    let stop = |mut result: CheckResult, verdict: Verdict, why: String| Pending {
        result: {
            result.verdict = verdict;
            result.why = Some(why);
            result
        },
        ready: None,
        p_value: f64::NAN,
    };
    let seeds = design.seeds();
    let a = match arms::cells(&check.a, check.pool, study, runs, epochs, seeds) {
        Ok(a) => a,
        Err(why) => return stop(result, Verdict::NoVerdict, why),
    };
    let b = match &check.b {
        Some(sel) => match arms::cells(sel, check.pool, study, runs, epochs, seeds) {
            Ok(b) => Some(b),
            Err(why) => return stop(result, Verdict::NoVerdict, why),
        },
        None => None,
    };
    result.arms = (
        a.iter().map(|c| c.label.clone()).collect(),
        b.iter().flatten().map(|c| c.label.clone()).collect(),
    );
    result.divergence = (rate(&a), b.as_deref().and_then(rate));
    result.gates = gates::evaluate(&check.gates, &a, b.as_deref());

    // Divergence rates: a count per arm, compared directly.
    if check.metric.is_divergence() {
        let b = b.as_deref().unwrap_or(&[]);
        let ((ca, na), (cb, nb)) = (divergence(&a), divergence(b));
        result.n = (na.min(nb)) as usize;
        if let Some(failed) = result.gates.iter().find(|g| !g.passed) {
            let why = failed.failure();
            return stop(result, Verdict::Invalid, why);
        }
        return match (
            wilson(ca, na, ALPHA),
            wilson(cb, nb, ALPHA),
            compare_rates(ca, na, cb, nb, ALPHA),
        ) {
            (Ok(ra), Ok(rb), Ok(cmp)) if na as usize >= MIN_SEEDS && nb as usize >= MIN_SEEDS => {
                Pending {
                    result,
                    ready: Some(Ready::Rates { a: ra, b: rb }),
                    p_value: cmp.p_value,
                }
            }
            _ => stop(
                result,
                Verdict::Inconclusive,
                format!("fewer than {MIN_SEEDS} runs in an arm"),
            ),
        };
    }

    let a_values = arm_values(check, &a);
    let b_values = b.as_deref().map(|b| arm_values(check, b));
    let count = |values: &BTreeMap<u64, Value>, f: fn(&Value) -> bool| {
        values.values().filter(|v| f(v)).count()
    };
    result.scored = (
        count(&a_values, |v| v.scored),
        b_values.as_ref().map_or(0, |b| count(b, |v| v.scored)),
    );
    result.censored = (
        count(&a_values, |v| v.censored),
        b_values.as_ref().map_or(0, |b| count(b, |v| v.censored)),
    );
    // An arm where no run has a value: the metric is not recorded (yet).
    for (values, cells) in [(Some(&a_values), Some(&a)), (b_values.as_ref(), b.as_ref())] {
        if let (Some(values), Some(cells)) = (values, cells) {
            if !values.is_empty() && values.values().all(|v| v.value.is_nan()) {
                let why = format!(
                    "no results for this metric: {} is not recorded for {} (the redesigned \
                     study will record it)",
                    check.metric.describe(),
                    cells
                        .iter()
                        .map(|c| c.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return stop(result, Verdict::NoVerdict, why);
            }
        }
    }
    let bound = check.bound.unwrap_or(0.0);
    let mut left_out = (0, 0, 0);
    for (&seed, av) in &a_values {
        let bv = match &b_values {
            Some(b) => match b.get(&seed) {
                Some(bv) => Some(bv.value),
                None => {
                    left_out.2 += 1;
                    continue;
                }
            },
            None => None,
        };
        let difference = oriented(check.expect, av.value, bv, bound);
        if av.value.is_nan() {
            left_out.0 += 1;
        }
        if bv.is_some_and(f64::is_nan) {
            left_out.1 += 1;
        }
        result.per_seed.push(SeedValues {
            seed,
            a: av.value,
            b: bv,
            difference,
        });
    }
    if let Some(b) = &b_values {
        left_out.2 += b.keys().filter(|s| !a_values.contains_key(s)).count();
    }
    result.left_out = left_out;
    let diffs: Vec<f64> = result
        .per_seed
        .iter()
        .map(|s| s.difference)
        .filter(|d| !d.is_nan())
        .collect();
    result.n = diffs.len();
    if let Some(failed) = result.gates.iter().find(|g| !g.passed) {
        let why = failed.failure();
        return stop(result, Verdict::Invalid, why);
    }
    if diffs.len() < MIN_SEEDS {
        let n = diffs.len();
        return stop(
            result,
            Verdict::Inconclusive,
            format!("{n} seeds with a value in both arms; a verdict needs {MIN_SEEDS}"),
        );
    }
    let method = match check.estimator {
        Estimator::Rank => Method::SignedRank,
        Estimator::Auto if diffs.iter().all(|d| d.is_finite()) => Method::StudentT,
        Estimator::Auto => Method::SignedRank,
    };
    let d = match Differences::with_method(diffs, method, CLAIMS_SEED) {
        Ok(d) => d,
        Err(e) => return stop(result, Verdict::Inconclusive, e.to_string()),
    };
    let p_value = match (check.expect, check.band, check.margin) {
        (Expect::Equal, _, Some(m)) => d.tost(-m, m),
        (_, Some([low, high]), _) => d.tost(low, high),
        _ => Ok(d.p_value()),
    };
    match p_value {
        Ok(p) => Pending {
            result,
            ready: Some(Ready::Differences(d)),
            p_value: p,
        },
        Err(e) => stop(result, Verdict::Inconclusive, e.to_string()),
    }
}

/// What deciding one check needs to know about its family.
struct Level {
    /// The family's level (α, or a sequential look's).
    family: f64,
    /// This check's level, α_r.
    check: f64,
    /// Its Holm-adjusted p-value (its own p outside the family).
    p_holm: f64,
    /// The level the power figures are for, α/m.
    power: f64,
}

/// The p-value of the differences lying beyond `x` (two-sided p of the shifted differences,
/// which is twice the one-sided p on the side the data are).
fn p_beyond(d: &Differences, x: f64) -> f64 {
    let shifted: Vec<f64> = d.values().iter().map(|v| v - x).collect();
    Differences::with_method(shifted, d.method(), CLAIMS_SEED).map_or(1.0, |s| s.p_value())
}

/// Decides one check at its level.
fn decide(check: &Check, pending: Pending, level: &Level) -> CheckResult {
    let mut result = pending.result;
    let Some(ready) = pending.ready else {
        return result;
    };
    let significant = level.p_holm <= level.family;
    // The factor that turns a p-value tested at α_r into one comparable with α.
    let multiplier = level.family / level.check;
    let capped = |p: f64| (p * multiplier).min(1.0);
    let d = match ready {
        Ready::Rates { a, b } => {
            let higher = check.expect == Expect::Higher;
            let (lo, hi) = match compare_rates(a.count, a.n, b.count, b.n, level.check) {
                Ok(c) => (c.ci_low, c.ci_high),
                Err(_) => (f64::NAN, f64::NAN),
            };
            let (estimate, interval) = if higher {
                (a.rate - b.rate, (lo, hi))
            } else {
                (b.rate - a.rate, (-hi, -lo))
            };
            result.verdict = if !significant {
                Verdict::Inconclusive
            } else if estimate > 0.0 {
                Verdict::Supported
            } else {
                Verdict::Contradicted
            };
            result.evidence = Some(Evidence {
                method: None,
                estimate,
                p_value: pending.p_value,
                p_holm: Some(level.p_holm),
                alpha: level.check,
                interval: Interval {
                    low: interval.0,
                    high: interval.1,
                    level: 1.0 - level.check,
                },
                bca: None,
                tost_p: None,
                power: None,
                deciding_p: significant.then_some(level.p_holm),
            });
            return result;
        }
        Ready::Differences(d) => d,
    };
    let interval = d.interval(level.check).unwrap_or(Interval {
        low: f64::NAN,
        high: f64::NAN,
        level: f64::NAN,
    });
    let bca = d.bca(level.check);
    let bca_tost = d.bca((2.0 * level.check).min(0.5));
    let margin = check.margin.unwrap_or(0.0);
    let tost_p = matches!(check.expect, Expect::Higher | Expect::Lower)
        .then(|| d.tost(-margin, margin).ok())
        .flatten();
    let rank = d.method() == Method::SignedRank;
    let disagree = if rank {
        "the signed-rank test and its Hodges–Lehmann interval disagree"
    } else {
        "the t and BCa intervals disagree"
    };
    let (verdict, why, deciding_p) = match (check.expect, check.band) {
        // A band (stated magnitude) or "equal": TOST decides support, the interval
        // contradiction.
        (Expect::Equal, _) | (_, Some(_)) => {
            let (low, high) = match check.band {
                Some([low, high]) => (low, high),
                None => (-margin, margin),
            };
            if significant {
                if bca_tost.is_some_and(|b| !b.within(low, high)) {
                    (Verdict::Inconclusive, Some(disagree.to_string()), None)
                } else {
                    (Verdict::Supported, None, Some(level.p_holm))
                }
            } else if interval.outside(low, high) {
                if bca.is_some_and(|b| !b.outside(low, high)) {
                    (Verdict::Inconclusive, Some(disagree.to_string()), None)
                } else {
                    let beyond = if interval.high < low { low } else { high };
                    (
                        Verdict::Contradicted,
                        None,
                        Some(capped(p_beyond(&d, beyond))),
                    )
                }
            } else {
                (Verdict::Inconclusive, None, None)
            }
        }
        // A direction or a bound: the two-sided test decides the side.
        (expect, None) => {
            if significant {
                let positive = d.estimate() > 0.0;
                let on_side = |i: Interval| if positive { i.above(0.0) } else { i.below(0.0) };
                if !on_side(interval) || bca.is_some_and(|b| !on_side(b)) {
                    (Verdict::Inconclusive, Some(disagree.to_string()), None)
                } else if positive {
                    (Verdict::Supported, None, Some(level.p_holm))
                } else {
                    (Verdict::Contradicted, None, Some(level.p_holm))
                }
            } else {
                let direction = matches!(expect, Expect::Higher | Expect::Lower);
                let equivalent = direction
                    && tost_p.is_some_and(|p| p <= level.check)
                    && bca_tost.is_none_or(|b| b.within(-margin, margin));
                if equivalent {
                    (
                        Verdict::Equivalent,
                        Some(format!("the difference lies within ±{margin} (TOST)")),
                        tost_p.map(capped),
                    )
                } else if d.p_value() <= level.check {
                    (
                        Verdict::Inconclusive,
                        Some("Holm's step-down stopped at a check with a smaller p-value".into()),
                        None,
                    )
                } else {
                    (Verdict::Inconclusive, None, None)
                }
            }
        }
    };
    result.verdict = verdict;
    result.why = why;
    result.evidence = Some(Evidence {
        method: Some(d.method()),
        estimate: d.estimate(),
        p_value: pending.p_value,
        p_holm: (check.role == Role::Test).then_some(level.p_holm),
        alpha: level.check,
        interval,
        bca,
        tost_p,
        power: d.power(level.power, TARGET_POWER, MAX_SEEDS_SEARCHED),
        deciding_p,
    });
    result
}

/// Judges one claim on its study's results.
pub(super) fn claim(
    claim: &Claim,
    study: &Study,
    runs: &[RunRecord],
    epochs: &[EpochRecord],
    design: &Design,
) -> ClaimResult {
    // A check judged per workload and overall is expanded into those checks first.
    let expanded = super::workloads::expand(claim, study);
    let claim = expanded.as_ref().unwrap_or(claim);
    let alpha = design.alpha();
    let mut pending: Vec<Pending> = claim
        .check
        .iter()
        .map(|c| prepare(c, study, runs, epochs, design))
        .collect();
    // Holm over the tests that reached a p-value.
    let family: Vec<usize> = (0..pending.len())
        .filter(|&i| claim.check[i].role == Role::Test && pending[i].ready.is_some())
        .collect();
    let p: Vec<f64> = family.iter().map(|&i| pending[i].p_value).collect();
    let adjusted = holm(&p).unwrap_or_else(|_| vec![1.0; p.len()]);
    let m = family.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| p[x].total_cmp(&p[y]));
    let mut levels: BTreeMap<usize, Level> = BTreeMap::new();
    for (rank, &k) in order.iter().enumerate() {
        levels.insert(
            family[k],
            Level {
                family: alpha,
                check: alpha / (m - rank) as f64,
                p_holm: adjusted[k],
                power: alpha / m as f64,
            },
        );
    }
    let checks: Vec<CheckResult> = pending
        .drain(..)
        .enumerate()
        .map(|(i, p)| {
            let check = &claim.check[i];
            let level = levels.remove(&i).unwrap_or(Level {
                family: alpha,
                check: alpha,
                p_holm: p.p_value,
                power: alpha,
            });
            let mut r = decide(check, p, &level);
            if check.role == Role::Descriptive && r.evidence.is_some() {
                r.why = Some(format!("alone: {}", r.verdict));
                r.verdict = Verdict::Descriptive;
            }
            r
        })
        .collect();
    let mut commits: Vec<String> = runs.iter().map(|r| r.git_commit.clone()).collect();
    commits.sort();
    commits.dedup();
    let (verdict, why, p_value) = aggregate(claim, &checks);
    let scale = ALPHA / alpha;
    ClaimResult {
        id: claim.id.clone(),
        text: claim.text.clone(),
        textbook: claim.textbook.clone(),
        study: claim.study.clone(),
        changed: claim.changed.clone(),
        before: None,
        commits,
        verdict,
        why,
        p_value: p_value.map(|p| (p * scale).min(1.0)),
        q_value: None,
        design: design.clone(),
        checks,
    }
}

/// The claim's verdict from its checks (module doc, "A claim"), with its reason and its
/// p-value for Benjamini–Hochberg.
fn aggregate(claim: &Claim, checks: &[CheckResult]) -> (Verdict, Option<String>, Option<f64>) {
    let tests: Vec<(&Check, &CheckResult)> = claim
        .check
        .iter()
        .zip(checks)
        .filter(|(c, _)| c.role == Role::Test)
        .collect();
    let sanity = claim
        .check
        .iter()
        .zip(checks)
        .filter(|(c, _)| c.role == Role::Sanity);
    let missing: Vec<&CheckResult> = claim
        .check
        .iter()
        .zip(checks)
        .filter(|(c, r)| c.role != Role::Descriptive && r.verdict == Verdict::NoVerdict)
        .map(|(_, r)| r)
        .collect();
    if let Some(first) = missing.first() {
        return (
            Verdict::NoVerdict,
            Some(format!(
                "{} of {} checks have no results: {}",
                missing.len(),
                checks.len(),
                first.why.clone().unwrap_or_default()
            )),
            None,
        );
    }
    for (c, r) in sanity {
        if r.verdict != Verdict::Supported {
            return (
                Verdict::Invalid,
                Some(format!("sanity check failed: {} ({})", c.what, r.verdict)),
                None,
            );
        }
    }
    let against =
        |r: &CheckResult| matches!(r.verdict, Verdict::Contradicted | Verdict::Equivalent);
    let deciding = |r: &CheckResult| {
        r.evidence
            .as_ref()
            .and_then(|e| e.deciding_p)
            .unwrap_or(1.0)
    };
    let firm: Vec<f64> = tests
        .iter()
        .filter(|(c, r)| !c.hedged && against(r))
        .map(|(_, r)| deciding(r))
        .collect();
    if !firm.is_empty() {
        return (
            Verdict::Contradicted,
            None,
            Some(firm.iter().copied().fold(1.0, f64::min)),
        );
    }
    let hedged: Vec<&CheckResult> = tests
        .iter()
        .filter(|(c, _)| c.hedged)
        .map(|(_, r)| *r)
        .collect();
    if !hedged.is_empty() && hedged.iter().all(|r| against(r)) {
        return (
            Verdict::Contradicted,
            Some("every hedged check is contradicted or equivalent".into()),
            Some(hedged.iter().map(|r| deciding(r)).fold(0.0, f64::max)),
        );
    }
    if let Some((_, r)) = tests.iter().find(|(_, r)| r.verdict == Verdict::Invalid) {
        return (Verdict::Invalid, r.why.clone(), None);
    }
    if !tests.is_empty() && tests.iter().all(|(_, r)| r.verdict == Verdict::Supported) {
        return (
            Verdict::Supported,
            None,
            Some(tests.iter().map(|(_, r)| deciding(r)).fold(0.0, f64::max)),
        );
    }
    (Verdict::Inconclusive, None, Some(1.0))
}

/// Benjamini–Hochberg across the claims that were tested: q-values, and a decided claim that is
/// not a discovery at 5% FDR becomes inconclusive, saying why.
pub(super) fn across_claims(claims: &mut [ClaimResult]) {
    let tested: Vec<usize> = (0..claims.len())
        .filter(|&i| claims[i].p_value.is_some())
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|&i| claims[i].p_value.unwrap_or(1.0))
        .collect();
    let Ok(q) = benjamini_hochberg(&p) else {
        return;
    };
    let n = tested.len();
    for (&i, q) in tested.iter().zip(q) {
        let claim = &mut claims[i];
        claim.q_value = Some(q);
        if claim.verdict.decided() && q > ALPHA {
            claim.why = Some(format!(
                "{} within the claim, but not a discovery across the {n} tested claims at a \
                 5% false discovery rate (Benjamini–Hochberg q = {q:.3})",
                claim.verdict
            ));
            claim.verdict = Verdict::Inconclusive;
        }
    }
}
