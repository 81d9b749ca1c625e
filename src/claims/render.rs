//! The claims table as Markdown (results/claims.md, and what `trainbench claims` prints): the
//! rules in brief; one row per claim with its verdict, the verdict before the new rules and what
//! changed; then each claim's checks with their evidence (estimate and interval at the level
//! tested, BCa, p-values, equivalence, power, divergence, gates); then every seed's values.
//! Numbers only; the verdicts come from `super`.

use std::fmt::Write;

use super::spec::{Expect, Role};
use super::{CheckResult, ClaimResult, Evidence, Verdict};
use crate::report::inference::paired::{Interval, Method};
use crate::report::inference::proportion::Rate;

fn num(x: f64) -> String {
    if x.is_nan() {
        return "–".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+∞" } else { "−∞" }.into();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e4).contains(&a) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

fn signed(x: f64) -> String {
    let s = num(x);
    if x.is_finite() && x >= 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

fn p(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x < 1e-4 {
        format!("{x:.1e}")
    } else {
        format!("{x:.4}")
    }
}

fn percent(level: f64) -> String {
    let pct = level * 100.0;
    if (pct - pct.round()).abs() < 0.05 {
        format!("{pct:.0}%")
    } else {
        format!("{pct:.1}%")
    }
}

fn interval(i: &Interval) -> String {
    format!("[{}, {}]", signed(i.low), signed(i.high))
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn verdict_text(verdict: Verdict, why: &Option<String>) -> String {
    match (verdict, why) {
        (Verdict::Invalid | Verdict::NoVerdict, Some(why)) => format!("{verdict}: {why}"),
        (_, Some(why)) => format!("{verdict} ({why})"),
        (_, None) => verdict.to_string(),
    }
}

fn expectation(c: &CheckResult) -> String {
    let m = c.margin.map(num).unwrap_or_default();
    let b = c.bound.map(num).unwrap_or_default();
    let mut s = match c.expect {
        Expect::Higher => format!("a > b (margin {m})"),
        Expect::Lower => format!("a < b (margin {m})"),
        Expect::Equal => format!("\\|a − b\\| < {m}"),
        Expect::Below => format!("a < {b}"),
        Expect::Above => format!("a > {b}"),
    };
    if let Some([low, high]) = c.band {
        let _ = write!(s, ", by {}–{}", num(low), num(high));
    }
    if c.hedged {
        s.push_str(", hedged");
    }
    s
}

fn rate(r: &Option<Rate>) -> String {
    match r {
        Some(r) => format!("{}/{} [{:.2}, {:.2}]", r.count, r.n, r.ci_low, r.ci_high),
        None => String::new(),
    }
}

fn evidence(e: &Evidence) -> (String, String, String, String, String) {
    let method = match e.method {
        Some(Method::StudentT) => "t",
        Some(Method::SignedRank) => "HL",
        None => "rates",
    };
    let estimate = format!(
        "{} {} {} ({method})",
        signed(e.estimate),
        interval(&e.interval),
        percent(e.interval.level)
    );
    let bca = e.bca.as_ref().map(interval).unwrap_or_else(|| "–".into());
    let pv = match e.p_holm {
        Some(h) if h != e.p_value => format!("{} (Holm {})", p(e.p_value), p(h)),
        _ => p(e.p_value),
    };
    let equivalence = e.tost_p.map(p).unwrap_or_default();
    let power = match &e.power {
        Some(pw) => format!(
            "{} · {}",
            num(pw.minimum_detectable),
            pw.seeds_needed
                .map_or_else(|| "–".to_string(), |n| n.to_string())
        ),
        None => "–".into(),
    };
    (estimate, bca, pv, equivalence, power)
}

fn counts(c: &CheckResult) -> String {
    let mut notes = Vec::new();
    if c.scored != (0, 0) {
        notes.push(format!(
            "{} + {} diverged runs scored",
            c.scored.0, c.scored.1
        ));
    }
    if c.censored != (0, 0) {
        notes.push(format!(
            "{} + {} never reached the target",
            c.censored.0, c.censored.1
        ));
    }
    let (a, b, one_side) = c.left_out;
    if a + b + one_side > 0 {
        notes.push(format!(
            "left out: {a} + {b} without a value, {one_side} on one side only"
        ));
    }
    notes.join("; ")
}

fn gates(c: &CheckResult) -> String {
    c.gates
        .iter()
        .map(|g| format!("{} {} {}", g.arm, g.gate, if g.passed { "✓" } else { "✗" }))
        .collect::<Vec<_>>()
        .join(", ")
}

const RULES: &str = "Made by `trainbench claims` from studies/claims.toml (the rules, fixed before \
the runs they judge; the full rule is the module doc of src/claims/mod.rs) and the committed \
results. In brief: each check pairs two cells' runs by seed. **A diverged run counts**: chance \
accuracy, +∞ loss, ranked worst; a target never reached is +∞. **Gates**: a check whose gated arm \
did not train (median best validation accuracy below chance + 10 points) or did not converge (fewer \
than half its runs plateaued: the last 3 epochs lowered the best validation loss by under 1%, or \
early stopping fired) is *invalid*. **Inference**: the paired Student-t interval, or the Wilcoxon \
signed-rank test with the Hodges–Lehmann estimate (HL) when a value is infinite; the BCa interval \
beside, and where the two disagree the check is inconclusive. **Holm within each claim** (5% \
family-wise per claim): every interval is shown at the level its check was tested at. \"Equal\" \
and stated magnitudes are TOST with the margin or band written in claims.toml; a direction shown \
to lie within ±margin is *equivalent*, which counts against the claim; a hedged claim (\"may\", \
\"tends to\") is contradicted only by equivalence or by the opposite sign in every hedged check. \
**Benjamini–Hochberg across claims**: a verdict whose q-value exceeds 0.05 becomes inconclusive. \
MDE: the minimum detectable effect at 80% power (at the strictest level of the claim's family); \
seeds: those needed for 80% power at the observed effect.";

/// The whole document.
pub fn markdown(results: &[ClaimResult]) -> String {
    let mut out = String::new();
    out.push_str("# The chapter's claims, checked\n\n");
    out.push_str(RULES);
    out.push_str(
        "\n\nThe \"before\" column is the verdict of the rules before issue 11 on the same \
         (version-1) results (results/claims-before.md); \"what changed\" says how the rule \
         changed since.\n\n",
    );
    out.push_str(
        "| claim | the chapter says | study | verdict | before | what changed |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in results {
        let mut verdict = format!("**{}**", r.verdict);
        if let Some(why) = &r.why {
            let _ = write!(verdict, ": {why}");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.id,
            cell(&r.text),
            r.study,
            cell(&verdict),
            r.before.as_deref().unwrap_or("–"),
            cell(r.changed.as_deref().unwrap_or(""))
        );
    }
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(
        out,
        "\nOf {} claims: {} supported, {} contradicted, {} inconclusive, {} invalid, {} without \
         a verdict.\n",
        results.len(),
        count(Verdict::Supported),
        count(Verdict::Contradicted),
        count(Verdict::Inconclusive),
        count(Verdict::Invalid),
        count(Verdict::NoVerdict)
    );

    out.push_str("## The checks\n\n");
    out.push_str(
        "Per check: the cells compared (a, b), n = seeds paired; the estimate (mean difference \
         for t, Hodges–Lehmann for HL, oriented so that positive is the claimed direction; for a \
         bound, a − bound above it or bound − a below it) with its interval at the level \
         tested; BCa at the same level; the p-value (TOST for equal and stated magnitudes) and \
         its Holm adjustment; the TOST p-value of equivalence within ±margin; MDE · seeds; each \
         arm's divergence rate with its 95% Wilson interval; the gates.\n\n",
    );
    for r in results {
        let _ = writeln!(out, "### {}: {}\n", r.id, r.text);
        let mut line = format!("**{}**", verdict_text(r.verdict, &r.why));
        if let Some(q) = r.q_value {
            let _ = write!(line, " · Benjamini–Hochberg q = {}", p(q));
        }
        let design = r.design.describe();
        if !design.is_empty() {
            let _ = write!(line, " · sequential design, stopped at {design}");
        }
        if let Some(textbook) = &r.textbook {
            let _ = write!(line, " · the textbook: {textbook}");
        }
        let _ = writeln!(out, "{line}\n");
        if r.checks.is_empty() {
            continue;
        }
        out.push_str(
            "| check | a · b | metric | expected | n | estimate [interval] | BCa | p | \
             equivalence p | MDE · seeds | diverged a · b | gates | verdict |\n\
             | --- | --- | --- | --- | ---: | --- | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for c in &r.checks {
            let (estimate, bca, pv, equivalence, power) = match &c.evidence {
                Some(e) => evidence(e),
                None => Default::default(),
            };
            let what = match c.role {
                Role::Test => c.what.clone(),
                Role::Sanity => format!("{} (sanity check)", c.what),
                Role::Descriptive => format!("{} (descriptive)", c.what),
            };
            let notes = counts(c);
            let n = if notes.is_empty() {
                c.n.to_string()
            } else {
                format!("{} ({notes})", c.n)
            };
            let arms = if c.arms.1.is_empty() {
                c.arms.0.join(" + ")
            } else {
                format!("{} · {}", c.arms.0.join(" + "), c.arms.1.join(" + "))
            };
            let diverged = match (&c.divergence.0, &c.divergence.1) {
                (a, None) => rate(a),
                (a, b) => format!("{} · {}", rate(a), rate(b)),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&what),
                cell(&arms),
                cell(&c.metric),
                expectation(c),
                n,
                estimate,
                bca,
                pv,
                equivalence,
                power,
                diverged,
                gates(c),
                cell(&verdict_text(c.verdict, &c.why)),
            );
        }
        out.push('\n');
    }

    out.push_str(
        "## Every seed\n\nEach seed's a (and b) value and the oriented difference; +∞ is a \
         loss of a diverged run or a target never reached, – a value that does not exist.\n\n",
    );
    for r in results {
        for c in &r.checks {
            if c.per_seed.is_empty() {
                continue;
            }
            let seeds: Vec<String> = c
                .per_seed
                .iter()
                .map(|s| match s.b {
                    Some(b) => format!(
                        "s{} {} vs {} ({})",
                        s.seed,
                        num(s.a),
                        num(b),
                        signed(s.difference)
                    ),
                    None => format!("s{} {}", s.seed, num(s.a)),
                })
                .collect();
            let _ = writeln!(out, "- {} · {}: {}", r.id, c.what, seeds.join(", "));
        }
    }
    let mut commits: Vec<&str> = results
        .iter()
        .flat_map(|r| r.commits.iter().map(String::as_str))
        .collect();
    commits.sort();
    commits.dedup();
    let _ = writeln!(
        out,
        "\nResults made by commit(s): {}\n",
        if commits.is_empty() {
            "none yet".to_string()
        } else {
            commits.join(", ")
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_levels() {
        assert_eq!(num(f64::INFINITY), "+∞");
        assert_eq!(num(f64::NAN), "–");
        assert_eq!(signed(0.0123), "+0.0123");
        assert_eq!(signed(-2e-5), "-2.000e-5");
        assert_eq!(percent(0.95), "95%");
        assert_eq!(percent(1.0 - 0.05 / 3.0), "98.3%");
        assert_eq!(p(3e-7), "3.0e-7");
        assert_eq!(p(0.04321), "0.0432");
    }
}
