//! The claims table as Markdown (results/claims.md, and what `trainbench claims` prints): one
//! row per check with the claim's verdict, the effect with its 95% interval, the number of seeds
//! and the textbook's own figure; then the per-seed values of every check.

use std::fmt::Write;

use super::spec::Expect;
use super::{CheckResult, ClaimResult};

fn num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e4).contains(&a) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn expectation(c: &CheckResult) -> String {
    let m = c.margin.map(num).unwrap_or_default();
    match c.expect {
        Expect::Higher => "a > b".into(),
        Expect::Lower => "a < b".into(),
        Expect::Equal => format!("|a − b| ≤ {m}"),
        Expect::Below => format!("a < {m}"),
        Expect::Above => format!("a > {m}"),
    }
}

/// The whole document.
pub fn markdown(results: &[ClaimResult]) -> String {
    let mut out = String::new();
    out.push_str(
        "# The chapter's claims, checked\n\n\
         Made by `trainbench claims` from studies/claims.toml (the rules, fixed before the runs) \
         and the committed results. Effect: mean over seeds of a − b (paired by seed) or of a \
         (a bound), with its 95% bootstrap interval; n = seeds that entered (at least 5 for a \
         verdict). Verdict rules: see studies/claims.toml.\n\n\
         | claim | verdict | check | metric | expected | effect [95% CI] | n | textbook |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in results {
        let verdict = match &r.outcome {
            Ok(v) => format!("**{v}**"),
            Err(why) => format!("no verdict: {why}"),
        };
        let textbook = r.textbook.clone().unwrap_or_default();
        if r.checks.is_empty() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | | | | | {} |",
                r.id,
                cell(&verdict),
                cell(&r.text),
                cell(&textbook)
            );
            continue;
        }
        for (i, c) in r.checks.iter().enumerate() {
            let (id, v, tb) = if i == 0 {
                (r.id.as_str(), verdict.as_str(), textbook.as_str())
            } else {
                ("", "", "")
            };
            let mut censored = match c.censored {
                (0, 0) => String::new(),
                (a, b) => format!(" ({a} + {b} runs never reached the target)"),
            };
            if c.non_finite != (0, 0) {
                let (a, b) = c.non_finite;
                censored.push_str(&format!(
                    " ({a} + {b} runs without a finite value, left out)"
                ));
            }
            let _ = writeln!(
                out,
                "| {id} | {v} | {} ({}) | {} | {} | {} [{}, {}]{censored} | {} | {tb} |",
                cell(&c.what),
                c.verdict,
                cell(&c.metric),
                cell(&expectation(c)),
                num(c.effect),
                num(c.ci.0),
                num(c.ci.1),
                c.n,
            );
        }
    }
    out.push_str("\n## Every seed\n\n");
    for r in results {
        for c in &r.checks {
            let seeds: Vec<String> = c
                .per_seed
                .iter()
                .map(|(s, v)| format!("s{s} {}", num(*v)))
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
