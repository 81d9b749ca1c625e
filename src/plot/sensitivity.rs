//! A tuning's sensitivity chart: one arm's validation metric against each tuned key's value
//! (one panel per key, on a log axis where the key was searched on one), every tuning run a
//! point, the mean over seeds of each value joined by a line (one key only), the chosen value
//! marked and, where the choice is at the edge of the searched range, said so. Runs of a
//! shortened stage (successive halving's rungs) and diverged runs (scored as chance) are drawn
//! apart. Plain data in, PNG and SVG out (or SVG text with where each run was drawn, for the
//! HTML report); the choice itself is made in `study::tune`.

use std::path::Path;

use super::axis::{padded, sorted_finite, Axis};
use super::hits::Hit;
use super::layout::Figure;
use super::legend::Swatch;
use super::marks::Mark;
use super::panel::Panel;
use super::style::{colour, Stroke, DIVERGED, GREY};
use super::ticks::compact;
use crate::error::Result;

/// One tuned key as the chart shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TunedKey {
    /// The dotted key.
    pub name: String,
    /// Draw it on a log axis.
    pub log: bool,
    /// The chosen value, when the arm is decided.
    pub chosen: Option<f64>,
    /// Whether the chosen value is the lowest or highest searched.
    pub at_edge: bool,
}

/// One tuning run.
#[derive(Debug, Clone, PartialEq)]
pub struct TuningPoint {
    /// Its (tuning) cell's id.
    pub cell_id: String,
    /// Its seed.
    pub seed: u64,
    /// Its value of each key, in the keys' order.
    pub values: Vec<f64>,
    /// What it scored (a diverged run: chance accuracy or an infinite loss).
    pub score: f64,
    /// Whether it diverged.
    pub diverged: bool,
    /// Whether it trained every epoch (false: a successive-halving rung).
    pub full_length: bool,
}

/// Writes `<stem>.png` and `<stem>.svg`: `metric` against each of `keys` for every run of
/// `points`, with a grey line at `chance` when given (accuracy metrics).
pub fn sensitivity(
    stem: &Path,
    title: &str,
    metric: &str,
    keys: &[TunedKey],
    points: &[TuningPoint],
    chance: Option<f64>,
) -> Result<()> {
    let dir = stem.parent().unwrap_or(Path::new("."));
    let name = stem
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    figure(title, metric, keys, points, chance).write(dir, &name)?;
    Ok(())
}

/// The same chart as [`sensitivity`] as SVG text (the bytes of its `.svg` file), with where each
/// run was drawn: a [`Hit`] per run per key's panel, `series` the key's index and `member` the
/// run's index in `points`.
pub fn sensitivity_svg(
    title: &str,
    metric: &str,
    keys: &[TunedKey],
    points: &[TuningPoint],
    chance: Option<f64>,
) -> Result<(String, Vec<Hit>)> {
    figure(title, metric, keys, points, chance).svg_with_hits()
}

/// The chart: a panel per key, side by side.
fn figure(
    title: &str,
    metric: &str,
    keys: &[TunedKey],
    points: &[TuningPoint],
    chance: Option<f64>,
) -> Figure {
    let scores = sorted_finite(points.iter().map(|p| p.score).chain(chance));
    let (y0, y1) = match (scores.first(), scores.last()) {
        (Some(&lo), Some(&hi)) => padded(lo, hi),
        _ => (0.0, 1.0),
    };
    let panels: Vec<Panel> = keys
        .iter()
        .enumerate()
        .map(|(k, key)| panel(k, key, keys.len() == 1, metric, points, chance, (y0, y1)))
        .collect();
    let n = panels.len().max(1);
    Figure {
        title: title.to_string(),
        size: (
            if n == 1 {
                1000
            } else {
                (560 * n).min(1680) as u32
            },
            600,
        ),
        grid: (1, n),
        panels,
        note: "every tuning run a point; a diverged run scores chance accuracy (an infinite \
               loss, drawn at the top edge)"
            .to_string(),
    }
}

/// The panel of key `k`.
fn panel(
    k: usize,
    key: &TunedKey,
    mean_line: bool,
    metric: &str,
    points: &[TuningPoint],
    chance: Option<f64>,
    (y0, y1): (f64, f64),
) -> Panel {
    let xs = sorted_finite(
        points
            .iter()
            .map(|p| p.values[k])
            .filter(|&x| !key.log || x > 0.0),
    );
    let (lo, hi) = match (xs.first(), xs.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (1.0, 10.0),
    };
    let x = if key.log {
        let pad = if hi > lo { (hi / lo).powf(0.06) } else { 2.0 };
        Axis::log(&key.name, lo / pad, hi * pad)
    } else {
        let (a, b) = padded(lo, hi);
        Axis::linear(&key.name, a, b)
    };
    let mut panel = Panel::new("", x, Axis::linear(metric, y0, y1));
    if let Some(c) = chance {
        panel.mark(Mark::HLine {
            y: c,
            stroke: Stroke::dashed(GREY, 1),
        });
        panel.entry("chance", Swatch::Line(Stroke::dashed(GREY, 1)));
    }
    // A diverged run's score may be infinite (a loss): drawn at the panel's edge.
    let shown = |p: &TuningPoint| (p.values[k], p.score.clamp(y0, y1));
    let full: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.full_length && !p.diverged)
        .map(shown)
        .collect();
    let rungs: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| !p.full_length && !p.diverged)
        .map(shown)
        .collect();
    if mean_line && !full.is_empty() {
        let means: Vec<(f64, f64)> =
            sorted_finite(points.iter().filter(|p| p.full_length).map(|p| p.values[k]))
                .into_iter()
                .fold(Vec::<f64>::new(), |mut v, x| {
                    if v.last() != Some(&x) {
                        v.push(x);
                    }
                    v
                })
                .into_iter()
                .map(|x| {
                    let at: Vec<f64> = points
                        .iter()
                        .filter(|p| p.full_length && p.values[k] == x)
                        .map(|p| p.score)
                        .collect();
                    (x, at.iter().sum::<f64>() / at.len() as f64)
                })
                .collect();
        panel.line(means, Stroke::solid(colour(0), 2));
        panel.entry("mean over seeds", Swatch::Line(Stroke::solid(colour(0), 2)));
    }
    if !rungs.is_empty() {
        panel.mark(Mark::Dots {
            points: rungs,
            colour: colour(1),
            radius: 4,
            alpha: 0.8,
        });
        panel.entry("shortened stage (rung)", Swatch::Dot(colour(1)));
    }
    if !full.is_empty() {
        panel.mark(Mark::Dots {
            points: full,
            colour: colour(0),
            radius: 4,
            alpha: 0.8,
        });
        panel.entry("tuning run", Swatch::Dot(colour(0)));
    }
    let diverged: Vec<&TuningPoint> = points.iter().filter(|p| p.diverged).collect();
    for p in &diverged {
        panel.mark(Mark::Cross {
            at: shown(p),
            colour: DIVERGED,
            size: 5,
        });
    }
    if !diverged.is_empty() {
        panel.entry("diverged", Swatch::Cross(DIVERGED));
    }
    for (member, p) in points.iter().enumerate() {
        panel.target(member, shown(p));
    }
    if let Some(c) = key.chosen {
        let stroke = Stroke::dashed(colour(2), 2);
        panel.mark(Mark::VLine { x: c, stroke });
        let edge = if key.at_edge {
            " (edge of the range!)"
        } else {
            ""
        };
        panel.entry(
            format!("chosen {} = {}{edge}", short_key(&key.name), compact(c)),
            Swatch::Line(stroke),
        );
    }
    panel
}

/// The last part of a dotted key (`optimizer.learning_rate` → `learning_rate`).
fn short_key(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_the_choice_and_its_edge_are_drawn() {
        let dir = tempfile::tempdir().unwrap();
        let key = TunedKey {
            name: "optimizer.learning_rate".into(),
            log: true,
            chosen: Some(0.1),
            at_edge: true,
        };
        let points: Vec<TuningPoint> = [1e-3, 1e-2, 1e-1, 1.0]
            .iter()
            .enumerate()
            .flat_map(|(i, &eta)| {
                (0..2).map(move |s| TuningPoint {
                    cell_id: format!("c{i}"),
                    seed: 1000 + s,
                    values: vec![eta],
                    score: if i == 3 {
                        0.1
                    } else {
                        0.7 + 0.05 * i as f64 + 0.01 * s as f64
                    },
                    diverged: i == 3,
                    full_length: true,
                })
            })
            .collect();
        let stem = dir.path().join("sensitivity");
        sensitivity(
            &stem,
            "arm: best_val_acc by learning rate",
            "best_val_acc",
            std::slice::from_ref(&key),
            &points,
            Some(0.1),
        )
        .unwrap();
        let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
        assert!(svg.contains("chosen learning_rate = 0.100"), "{svg}");
        // The page's copy is the file's bytes, with a hit per run where its dot was drawn.
        let (inline, hits) = sensitivity_svg(
            "arm: best_val_acc by learning rate",
            "best_val_acc",
            std::slice::from_ref(&key),
            &points,
            Some(0.1),
        )
        .unwrap();
        assert_eq!(inline, svg);
        assert_eq!(hits.len(), points.len(), "a hit per run, diverged ones too");
        let at = |member: usize| hits.iter().find(|h| h.member == member).unwrap().lines[0][0];
        assert!(hits.iter().all(|h| h.series == 0 && h.lines.len() == 1));
        assert!(
            at(0).0 < at(2).0 && at(2).0 < at(4).0,
            "larger η further right"
        );
        assert_eq!(at(0).0, at(1).0, "seeds of one η share their x");
        assert!(at(1).1 < at(0).1, "a higher score is drawn higher");
        assert!(
            at(6).1 > at(0).1,
            "a diverged run at chance, below the rest"
        );
        assert!(svg.contains("edge of the range"));
        assert!(svg.contains("diverged") && svg.contains("mean over seeds"));
        assert!(svg.contains("\nchance\n"), "the chance line's legend entry");
        assert!(std::fs::metadata(stem.with_extension("png")).unwrap().len() > 1000);
        // Two keys: a panel each, and an infinite loss still draws.
        let two = [
            key.clone(),
            TunedKey {
                name: "weight_decay".into(),
                log: false,
                chosen: None,
                at_edge: false,
            },
        ];
        let points: Vec<TuningPoint> = (0..6)
            .map(|i| TuningPoint {
                cell_id: format!("c{i}"),
                seed: 1000,
                values: vec![10f64.powi(-(i % 3)), 0.001 * i as f64],
                score: if i == 5 {
                    f64::INFINITY
                } else {
                    0.3 + 0.01 * i as f64
                },
                diverged: i == 5,
                full_length: i % 2 == 0,
            })
            .collect();
        sensitivity(&stem, "two keys", "best_val_loss", &two, &points, None).unwrap();
        let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
        let (_, hits) = sensitivity_svg("two keys", "best_val_loss", &two, &points, None).unwrap();
        assert_eq!(hits.len(), 12, "every run in both panels");
        let x = |series: usize, member: usize| {
            hits.iter()
                .find(|h| h.series == series && h.member == member)
                .unwrap()
                .lines[0][0]
        };
        assert!(
            x(1, 0).0 > x(0, 5).0,
            "the second key's panel is right of the first's"
        );
        assert_eq!(
            x(0, 5).1,
            x(1, 5).1,
            "the infinite loss at the top edge of both"
        );
        assert!(svg.contains("weight_decay") && svg.contains("shortened stage"));
        assert!(!svg.contains("\nchance\n"), "no chance line for a loss");
    }
}
