//! `results/index.html`: one row per study with results: its description, cells, runs (and
//! how many diverged), when they were recorded, by which commit, and a headline (the cell with
//! the best mean test accuracy, a diverged run counted at chance as everywhere, against the
//! baseline), linking to each study's report and files and to the claims page.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::escape::escape;
use super::page::page;
use crate::report::comparison::scored_accuracy;
use crate::results::RunRecord;

/// A study's line in the index.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyEntry {
    /// The study's name (its directory under the results).
    pub name: String,
    /// Its one-line description.
    pub description: String,
    /// Cells with runs.
    pub cells: usize,
    /// Runs recorded.
    pub runs: usize,
    /// Runs that diverged.
    pub diverged: usize,
    /// The dates the runs started on (first – last), from `started_at`.
    pub dates: String,
    /// The commits that recorded them, shortened.
    pub commits: Vec<String>,
    /// The headline result.
    pub headline: String,
}

/// The date part of a `started_at` stamp.
fn date(stamp: &str) -> &str {
    stamp.split(['T', ' ']).next().unwrap_or(stamp)
}

/// The index entry of study `name` from its runs; `baseline` is the baseline cell's label.
pub fn entry(name: &str, description: &str, baseline: &str, runs: &[RunRecord]) -> StudyEntry {
    // Cells in the order first seen, with their mean scored test accuracy.
    let mut cells: Vec<(&str, f64, usize)> = Vec::new();
    for r in runs {
        match cells.iter_mut().find(|c| c.0 == r.cell_label) {
            Some(c) => {
                c.1 += scored_accuracy(r);
                c.2 += 1;
            }
            None => cells.push((&r.cell_label, scored_accuracy(r), 1)),
        }
    }
    let means: Vec<(&str, f64)> = cells.iter().map(|c| (c.0, c.1 / c.2 as f64)).collect();
    let best =
        means
            .iter()
            .filter(|m| m.1.is_finite())
            .fold(None::<(&str, f64)>, |b, &m| match b {
                Some(b) if b.1 >= m.1 => Some(b),
                _ => Some(m),
            });
    let base = means.iter().find(|m| m.0 == baseline);
    let headline = match (best, base) {
        (Some(b), Some(base)) if b.0 == base.0 => {
            format!(
                "best mean test accuracy: the baseline {} at {:.4}",
                b.0, b.1
            )
        }
        (Some(b), Some(base)) => format!(
            "best mean test accuracy: {} at {:.4}, {:+.4} against the baseline {} ({:.4})",
            b.0,
            b.1,
            b.1 - base.1,
            base.0,
            base.1
        ),
        (Some(b), None) => format!("best mean test accuracy: {} at {:.4}", b.0, b.1),
        (None, _) => "no finite test accuracy".into(),
    };
    let stamps: BTreeSet<&str> = runs.iter().map(|r| date(&r.started_at)).collect();
    let dates = match (stamps.first(), stamps.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => String::new(),
    };
    let commits: BTreeSet<String> = runs
        .iter()
        .map(|r| r.git_commit.chars().take(7).collect())
        .collect();
    StudyEntry {
        name: name.to_string(),
        description: description.to_string(),
        cells: cells.len(),
        runs: runs.len(),
        diverged: runs.iter().filter(|r| r.diverged).count(),
        dates,
        commits: commits.into_iter().collect(),
        headline,
    }
}

/// The index page of `studies`.
pub fn index_page(studies: &[StudyEntry]) -> String {
    let mut body = String::from(
        "<h1>trainbench results</h1>\n<p class=\"lead\">Every study with recorded results: \
         each report has every table, chart and run; the <a href=\"claims.html\">claims page</a> \
         checks the chapter's claims against them. Headline: the cell with the best mean test \
         accuracy (a diverged run counts at chance) against the study's baseline; the report \
         says whether the difference is real.</p>\n\
         <div class=\"table-wrap\"><table class=\"sortable\" id=\"studies\">\n<thead><tr>\
         <th title=\"sort\">study</th><th title=\"sort\">what it compares</th>\
         <th class=\"num\" title=\"sort\">cells</th><th class=\"num\" title=\"sort\">runs</th>\
         <th class=\"num\" title=\"sort\">diverged</th><th title=\"sort\">recorded</th>\
         <th title=\"sort\">commit</th><th title=\"sort\">headline</th><th>files</th>\
         </tr></thead>\n<tbody>\n",
    );
    for s in studies {
        let name = escape(&s.name);
        let _ = writeln!(
            body,
            "<tr id=\"study-{name}\"><td><a href=\"{name}/report.html\">{name}</a></td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td>\
             <td class=\"nowrap\">{}</td><td><code>{}</code></td><td>{}</td><td class=\"nowrap\"><a href=\"{name}/report.md\">md</a> · \
             <a href=\"{name}/runs.parquet\">runs</a> · <a href=\"{name}/epochs.parquet\">epochs</a></td></tr>",
            escape(&s.description),
            s.cells,
            s.runs,
            if s.diverged > 0 { " diverged-count" } else { "" },
            s.diverged,
            escape(&s.dates),
            escape(&s.commits.join(", ")),
            escape(&s.headline),
        );
    }
    body.push_str("</tbody></table></div>\n");
    let links = vec![("claims.html".to_string(), "claims".to_string())];
    page("trainbench results", &links, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::run;

    #[test]
    fn the_headline_names_the_best_cell_against_the_baseline_counting_divergence() {
        let mut runs = vec![run(0, 0, 0.80, false), run(0, 1, 0.82, false)];
        runs.push(run(1, 0, 0.90, false));
        runs.push(run(1, 1, 0.90, true)); // at chance: mean (0.90 + 0.10) / 2
        runs.push(run(2, 0, 0.85, false));
        for r in &mut runs {
            r.started_at = "2026-11-28T10:00:00Z".into();
        }
        runs[4].started_at = "2026-11-29T01:00:00Z".into();
        let e = entry("t", "a <test>", "optimizer=o0", &runs);
        assert_eq!(e.cells, 3);
        assert_eq!(e.runs, 5);
        assert_eq!(e.diverged, 1);
        assert_eq!(
            e.headline,
            "best mean test accuracy: optimizer=o2 at 0.8500, +0.0400 against the baseline optimizer=o0 (0.8100)"
        );
        assert_eq!(e.dates, "2026-11-28 – 2026-11-29");
        assert_eq!(e.commits, ["abc123"]);
        let html = index_page(&[e]);
        assert!(html.contains("<td>a &lt;test&gt;</td>"), "{html}");
        assert!(html.contains("<a href=\"t/report.html\">t</a>"), "{html}");
    }
}
