//! The report's "Tuning" section: how every arm was tuned (the same space, stages and
//! validation metric), a table of arm → chosen value(s) → whether a choice sits at the edge of
//! the searched range, and each arm's sensitivity chart (`tuning_<k>.png`, drawn by
//! [`crate::plot::sensitivity`]). The choices are made in `study::tune`; this only shows them,
//! from plain data.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::plot::{self, compact, TunedKey, TuningPoint};
use crate::results::RunRecord;

/// A study's tuning, as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TuningSection {
    /// The validation metric candidates were ranked by (`best_val_acc`, …).
    pub metric: String,
    /// Whether higher is better (accuracies).
    pub higher_is_better: bool,
    /// One line on the method ("grid", "halton, 16 trials").
    pub method: String,
    /// One line per stage ("8 candidates × seeds 1000–1000, 20 epochs").
    pub stages: Vec<String>,
    /// One per arm, in grid order.
    pub arms: Vec<ArmTuning>,
    /// Every recorded tuning run (the HTML page lists them, and its charts link to them).
    pub runs: Vec<RunRecord>,
}

/// One arm's tuning.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmTuning {
    /// The arm's (cell's) label.
    pub arm: String,
    /// Its tuned keys with what was searched and chosen.
    pub keys: Vec<KeyTuning>,
    /// Every recorded tuning run of the arm.
    pub points: Vec<TuningPoint>,
    /// Chance accuracy (a diverged run's score) for accuracy metrics.
    pub chance: Option<f64>,
    /// The chosen setting's mean score and its number of seeds, once decided.
    pub chosen: Option<(f64, usize)>,
    /// Tuning runs still missing before the arm is decided.
    pub missing: usize,
}

/// One tuned key of an arm.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyTuning {
    /// The dotted key.
    pub name: String,
    /// Searched on a log scale.
    pub log: bool,
    /// The distinct values searched, ascending.
    pub searched: Vec<f64>,
    /// The chosen value, once decided.
    pub chosen: Option<f64>,
    /// Whether it is the lowest or highest value searched.
    pub at_edge: bool,
}

/// The chart of arm `k` (0-based): `tuning_<k+1>`, zero-padded to two digits.
fn chart_name(k: usize) -> String {
    format!("tuning_{:02}", k + 1)
}

/// The arm whose chart is `tuning_<k+1>.png` (the inverse of [`chart_name`]).
pub(super) fn chart_arm(png: &str) -> Option<usize> {
    let digits = png.strip_prefix("tuning_")?.strip_suffix(".png")?;
    digits.parse::<usize>().ok()?.checked_sub(1)
}

impl TuningSection {
    /// Arm `k`'s chart: its title and tuned keys, as [`plot::sensitivity`] takes them.
    pub(super) fn chart_of(&self, study: &str, k: usize) -> Option<(String, Vec<TunedKey>)> {
        let arm = self.arms.get(k)?;
        let keys = arm
            .keys
            .iter()
            .map(|key| TunedKey {
                name: key.name.clone(),
                log: key.log,
                chosen: key.chosen,
                at_edge: key.at_edge,
            })
            .collect();
        let title = format!("{study}, {}: {} per tuned value", arm.arm, self.metric);
        Some((title, keys))
    }
}

/// Draws every arm's sensitivity chart into `out_dir`.
pub(super) fn charts(out_dir: &Path, study: &str, section: &TuningSection) -> Result<()> {
    for (k, arm) in section.arms.iter().enumerate() {
        let Some((title, keys)) = section.chart_of(study, k) else {
            continue;
        };
        plot::sensitivity(
            &out_dir.join(chart_name(k)),
            &title,
            &section.metric,
            &keys,
            &arm.points,
            arm.chance,
        )?;
    }
    Ok(())
}

/// The searched values of a key: "1.00e-4 … 0.100 (8 values, log)".
fn searched(key: &KeyTuning) -> String {
    let scale = if key.log { ", log" } else { "" };
    match key.searched.as_slice() {
        [] => "–".into(),
        [one] => compact(*one),
        [lo, .., hi] => format!(
            "{} … {} ({} values{scale})",
            compact(*lo),
            compact(*hi),
            key.searched.len()
        ),
    }
}

/// The section's Markdown.
pub(super) fn markdown(w: &mut String, section: &TuningSection) {
    let better = if section.higher_is_better {
        "higher"
    } else {
        "lower"
    };
    let _ = writeln!(
        w,
        "## Tuning\n\nEvery arm (cell) was tuned alike before its evaluation runs: {}; each \
         candidate scored by the mean of `{}` ({better} is better; validation data only, a \
         diverged tuning run scoring {}) over its stage's tuning seeds, the best going on; the \
         best of the last stage is the arm's setting. Every tuning run is in `tuning.parquet` \
         (epochs in `tuning_epochs.parquet`).\n",
        section.method,
        section.metric,
        if section.higher_is_better {
            "chance accuracy"
        } else {
            "an infinite loss"
        }
    );
    for (k, stage) in section.stages.iter().enumerate() {
        let _ = writeln!(w, "- stage {}: {stage}", k + 1);
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "| arm | tuned key | searched | chosen | mean `{}` (seeds) | tuning runs | diverged | at the edge? |",
        section.metric
    );
    let _ = writeln!(w, "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |");
    let mut edges = Vec::new();
    for arm in &section.arms {
        let diverged = arm.points.iter().filter(|p| p.diverged).count();
        for (i, key) in arm.keys.iter().enumerate() {
            let (label, mean, runs, div) = if i == 0 {
                (
                    arm.arm.replace('|', "\\|"),
                    match arm.chosen {
                        Some((mean, seeds)) => format!("{mean:.4} ({seeds})"),
                        None => format!("undecided: {} runs missing", arm.missing),
                    },
                    arm.points.len().to_string(),
                    diverged.to_string(),
                )
            } else {
                Default::default()
            };
            let edge = match (key.chosen, key.at_edge) {
                (None, _) => "–",
                (Some(_), true) => "**yes**",
                (Some(_), false) => "no",
            };
            if key.at_edge && key.chosen.is_some() {
                edges.push(format!("`{}` for {}", key.name, arm.arm));
            }
            let _ = writeln!(
                w,
                "| {label} | `{}` | {} | {} | {mean} | {runs} | {div} | {edge} |",
                key.name,
                searched(key),
                key.chosen.map_or("–".into(), compact),
            );
        }
    }
    let _ = writeln!(w);
    if !edges.is_empty() {
        let _ = writeln!(
            w,
            "**At the edge of the searched range:** {}. The best value may lie outside it: widen \
             the range and tune again before trusting this comparison.\n",
            edges.join("; ")
        );
    }
    for (k, arm) in section.arms.iter().enumerate() {
        let name = chart_name(k);
        let _ = writeln!(
            w,
            "![{}: {} against each tuned value, every tuning run]({name}.png)\n",
            arm.arm.replace(['[', ']'], ""),
            section.metric
        );
    }
    let _ = writeln!(
        w,
        "Each point is one tuning run (orange: a shortened successive-halving stage; red ×: \
         diverged, scored as chance); the dashed line is the chosen value. Also as SVG \
         (`tuning_<k>.svg`).\n"
    );
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn section() -> TuningSection {
        let key = |chosen: f64| KeyTuning {
            name: "optimizer.learning_rate".into(),
            log: true,
            searched: vec![1e-4, 1e-3, 1e-2, 1e-1],
            chosen: Some(chosen),
            at_edge: chosen == 1e-1 || chosen == 1e-4,
        };
        let points = |arm: &str, best: f64| -> Vec<TuningPoint> {
            [1e-4, 1e-3, 1e-2, 1e-1]
                .iter()
                .map(|&eta| TuningPoint {
                    cell_id: format!("{arm}-{eta}"),
                    seed: 1000,
                    values: vec![eta],
                    score: if eta == best { 0.85 } else { 0.8 },
                    diverged: false,
                    full_length: true,
                })
                .collect()
        };
        TuningSection {
            metric: "best_val_acc".into(),
            higher_is_better: true,
            method: "a grid of 4 values".into(),
            stages: vec!["4 candidates × tuning seed 1000, 3 epochs".into()],
            arms: vec![
                ArmTuning {
                    arm: "optimizer=sgd".into(),
                    keys: vec![key(1e-1)],
                    points: points("sgd", 1e-1),
                    chance: Some(0.1),
                    chosen: Some((0.85, 1)),
                    missing: 0,
                },
                ArmTuning {
                    arm: "optimizer=adam".into(),
                    keys: vec![key(1e-3)],
                    points: points("adam", 1e-3),
                    chance: Some(0.1),
                    chosen: Some((0.85, 1)),
                    missing: 0,
                },
            ],
            runs: Vec::new(),
        }
    }

    #[test]
    fn the_table_flags_a_choice_at_the_edge_and_links_every_chart() {
        let mut md = String::new();
        markdown(&mut md, &section());
        assert!(
            md.contains(
                "| optimizer=sgd | `optimizer.learning_rate` | 1.00e-4 … 0.100 (4 values, log) | \
                 0.100 | 0.8500 (1) | 4 | 0 | **yes** |"
            ),
            "{md}"
        );
        assert!(md.contains("| optimizer=adam | `optimizer.learning_rate` |"));
        assert!(
            md.contains(" | 0.00100 | 0.8500 (1) | 4 | 0 | no |"),
            "{md}"
        );
        assert!(md.contains(
            "**At the edge of the searched range:** `optimizer.learning_rate` for optimizer=sgd."
        ));
        assert!(md.contains("(tuning_01.png)") && md.contains("(tuning_02.png)"));
        assert!(md.contains("- stage 1: 4 candidates × tuning seed 1000, 3 epochs"));
        let dir = tempfile::tempdir().unwrap();
        charts(dir.path(), "t", &section()).unwrap();
        for f in ["tuning_01.png", "tuning_01.svg", "tuning_02.png"] {
            assert!(dir.path().join(f).exists(), "{f}");
        }
    }
}
