//! The "before" column of results/claims.md: each claim's verdict under the rules before issue
//! 11 (percentile-bootstrap intervals, diverged runs left out, no gates, no multiplicity
//! correction) on the version-1 results. They are kept in results/claims-before.md, which is
//! results/claims.md exactly as that code wrote it (commit da2f9af; made by bd5b8c2), moved
//! aside unchanged when the new rules replaced it: the old evidence stays readable, and this
//! module reads the verdicts back from the first row of each claim in its table. Since the
//! version-1 results moved to results/v1/ a copy of the file is in both roots: results/v1's
//! claims.md sets the old rules beside the new on the same (version-1) runs, results/claims.md
//! sets the old verdicts beside the fair re-run's. Where a results root has no such file the
//! column is empty.

use std::collections::BTreeMap;
use std::path::Path;

/// The file under the results root.
pub const BEFORE_FILE: &str = "claims-before.md";

/// The verdict of each claim in a claims table written by the old renderer: rows
/// `| <id> | **<verdict>** | …` (the first row of a claim) or `| <id> | no verdict: … | …`.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        let (Some(first), Some(second)) = (cells.first(), cells.get(1)) else {
            continue;
        };
        let Some(id) = first.strip_prefix("| ") else {
            continue;
        };
        if id.is_empty() || id.contains(' ') || id == "claim" || id.starts_with("---") {
            continue;
        }
        let verdict = if let Some(v) = second.strip_prefix("**").and_then(|s| s.strip_suffix("**"))
        {
            v.to_string()
        } else if second.starts_with("no verdict") {
            "no verdict".to_string()
        } else {
            continue;
        };
        out.entry(id.to_string()).or_insert(verdict);
    }
    out
}

/// The verdicts in `path`, or none when it does not exist.
pub fn load(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .map(|t| parse(&t))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_row_of_each_claim() {
        let text = "# The chapter's claims, checked\n\n\
            | claim | verdict | check | metric | expected | effect [95% CI] | n | textbook |\n\
            | --- | --- | --- | --- | --- | --- | --- | --- |\n\
            | init-1 | **contradicted** | ReLU: He beats N(0,1) (inconclusive) | final_val_acc | a > b | 0.6924 | 1 |  |\n\
            |  |  | tanh: Glorot beats N(0,1) (supported) | final_val_acc | a > b | 0.6 | 10 |  |\n\
            | act-4 | no verdict: missing runs: 3 of 40 | … | | | | | |\n\
            | tl-1 | **inconclusive** | sandal vs shirt | test_acc | a > b | 0.1 | 20 | x |\n\
            \n- init-1 · ReLU: s4 0.69\n";
        let v = parse(text);
        assert_eq!(v.len(), 3, "{v:?}");
        assert_eq!(v["init-1"], "contradicted");
        assert_eq!(v["act-4"], "no verdict");
        assert_eq!(v["tl-1"], "inconclusive");
    }

    #[test]
    fn the_committed_before_table_has_every_claim() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let v = load(&root.join("results").join(BEFORE_FILE));
        assert_eq!(v.len(), 21, "{v:?}");
        assert_eq!(v["init-1"], "contradicted");
        assert_eq!(v["clip-1"], "supported");
        assert_eq!(v["act-2"], "inconclusive");
    }
}
