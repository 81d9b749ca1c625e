//! The choice of an arm's setting, a pure function of the recorded tuning runs ([`decide`]):
//! stage by stage, each candidate scores the mean, over the stage's tuning seeds, of the
//! tuning's validation metric (a diverged run scoring chance accuracy, or an infinite loss);
//! the best `keep` go on to the next stage; the best of the last stage is chosen. Ties go to
//! the candidate drawn first, so the same runs always give the same choice. While runs are
//! missing, the decision says which the next stage needs. No IO, no training.

use std::collections::HashMap;

use super::{Arm, Metric, Tuning};
use crate::results::RunRecord;

/// One stage of an arm whose runs are all recorded: its candidates, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct StageResult {
    /// Indices of the arm's candidates the stage trained, ranked best first.
    pub ranked: Vec<usize>,
    /// Each ranked candidate's mean score, in the same order.
    pub means: Vec<f64>,
}

/// How far an arm's tuning has got, and its choice when it is done.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The stages with every run recorded, in order.
    pub stages: Vec<StageResult>,
    /// The runs the next stage still needs, as (candidate, stage, seed); empty once decided.
    pub missing: Vec<(usize, usize, u64)>,
    /// The chosen candidate, once every stage is complete.
    pub chosen: Option<usize>,
}

impl Decision {
    /// The chosen candidate's mean score over the last stage's seeds.
    pub fn chosen_mean(&self) -> Option<f64> {
        self.chosen?;
        self.stages.last().and_then(|s| s.means.first().copied())
    }
}

/// Ranks scores best first (`higher_is_better`, else lower first); ties keep the given order.
pub fn rank(means: &[f64], higher_is_better: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..means.len()).collect();
    order.sort_by(|&a, &b| {
        let by_score = means[a].total_cmp(&means[b]);
        if higher_is_better {
            by_score.reverse()
        } else {
            by_score
        }
        .then(a.cmp(&b))
    });
    order
}

/// Where the tuning of `arm` stands given the recorded tuning `runs` (of any arm).
pub fn decide(tuning: &Tuning, arm: &Arm, runs: &[RunRecord]) -> Decision {
    let recorded: HashMap<(&str, u64), &RunRecord> = runs
        .iter()
        .map(|r| ((r.cell_id.as_str(), r.seed), r))
        .collect();
    let metric: Metric = tuning.metric;
    let mut decision = Decision {
        stages: Vec::new(),
        missing: Vec::new(),
        chosen: None,
    };
    let mut current: Vec<usize> = (0..arm.candidates.len()).collect();
    for (k, stage) in tuning.stages.iter().enumerate() {
        if k > 0 {
            let keep = stage.keep.unwrap_or(current.len()).min(current.len());
            current = decision.stages[k - 1].ranked[..keep].to_vec();
        }
        let mut means = Vec::with_capacity(current.len());
        for &c in &current {
            let cell = &arm.candidates[c].cells[k];
            let mut sum = 0.0;
            for seed in tuning.seeds(k) {
                match recorded.get(&(cell.id.as_str(), seed)) {
                    Some(run) => sum += metric.of(run, arm.chance),
                    None => decision.missing.push((c, k, seed)),
                }
            }
            means.push(sum / stage.seeds as f64);
        }
        if !decision.missing.is_empty() {
            return decision;
        }
        let order = rank(&means, metric.higher_is_better());
        decision.stages.push(StageResult {
            ranked: order.iter().map(|&i| current[i]).collect(),
            means: order.iter().map(|&i| means[i]).collect(),
        });
    }
    decision.chosen = decision.stages.last().map(|s| s.ranked[0]);
    decision
}

/// For each of `arm`'s keys, whether candidate `chosen`'s value is the lowest or the highest
/// value searched (a choice at the edge of the range: widen it and tune again). A key searched
/// at a single value is not flagged.
pub fn at_edge(arm: &Arm, chosen: usize) -> Vec<bool> {
    (0..arm.space.len())
        .map(|k| {
            let searched = arm.searched(k);
            let value = arm.candidates[chosen].values[k].1;
            searched.len() > 1 && (value == searched[0] || value == searched[searched.len() - 1])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Candidate, KeySpace, Spread, Stage};
    use super::*;
    use crate::study::grid::Cell;

    fn cell(id: &str) -> Cell {
        let config: crate::config::RunConfig =
            toml::from_str("epochs = 1\noptimizer = \"sgd\"\nmodel = { hidden = [4] }").unwrap();
        Cell {
            id: id.into(),
            label: "arm".into(),
            axes: vec![],
            tuned: vec![],
            config_json: String::new(),
            config,
        }
    }

    /// An arm over η ∈ {0.001, 0.01, 0.1, 1}, one cell per candidate and stage (stage 0 a rung
    /// of its own cells `r<i>`, stage 1 the full runs `f<i>`).
    fn tuning(stages: Vec<Stage>, rung: bool) -> Tuning {
        let etas = [0.001, 0.01, 0.1, 1.0];
        let candidates = etas
            .iter()
            .enumerate()
            .map(|(i, &eta)| Candidate {
                values: vec![("optimizer.learning_rate".into(), eta)],
                cells: (0..stages.len())
                    .map(|k| {
                        if rung && k == 0 {
                            cell(&format!("r{i}"))
                        } else {
                            cell(&format!("f{i}"))
                        }
                    })
                    .collect(),
            })
            .collect();
        Tuning {
            metric: Metric::BestValAcc,
            method: super::super::Method::Grid,
            first_seed: 1000,
            stages,
            arms: vec![Arm {
                label: "arm".into(),
                axes: vec![],
                chance: 0.1,
                epochs: 3,
                space: vec![KeySpace {
                    key: "optimizer.learning_rate".into(),
                    spread: Spread::List(etas.to_vec()),
                }],
                candidates,
            }],
        }
    }

    fn run(id: &str, seed: u64, acc: f64, diverged: bool) -> RunRecord {
        let mut r = crate::results::store::tests::run(seed, diverged);
        r.cell_id = id.into();
        r.best_val_acc = acc;
        r
    }

    fn stage(keep: Option<usize>, seeds: u64, epochs_fraction: f64) -> Stage {
        Stage {
            keep,
            seeds,
            epochs_fraction,
        }
    }

    #[test]
    fn one_stage_chooses_the_best_mean_and_a_diverged_run_scores_chance() {
        let t = tuning(vec![stage(None, 2, 1.0)], false);
        let arm = &t.arms[0];
        let mut runs = vec![
            run("f0", 1000, 0.70, false),
            run("f0", 1001, 0.72, false),
            run("f1", 1000, 0.80, false),
            run("f1", 1001, 0.82, false),
            // η = 0.1 has the best run, but its other seed diverged (after a good epoch): it
            // scores (0.9 + 0.1) / 2 = 0.5.
            run("f2", 1000, 0.90, false),
            run("f2", 1001, 0.85, true),
        ];
        let d = decide(&t, arm, &runs);
        assert_eq!(d.chosen, None);
        assert_eq!(d.missing, [(3, 0, 1000), (3, 0, 1001)]);
        runs.push(run("f3", 1000, 0.5, true));
        runs.push(run("f3", 1001, 0.5, true));
        let d = decide(&t, arm, &runs);
        assert_eq!(d.chosen, Some(1));
        assert_eq!(d.stages[0].ranked, [1, 0, 2, 3]);
        assert!((d.chosen_mean().unwrap() - 0.81).abs() < 1e-12);
        assert!((d.stages[0].means[2] - 0.5).abs() < 1e-12, "{:?}", d.stages);
        assert!(
            (d.stages[0].means[3] - 0.1).abs() < 1e-12,
            "both diverged: chance"
        );
        assert_eq!(at_edge(arm, 1), [false]);
        assert_eq!(at_edge(arm, 0), [true]);
        assert_eq!(at_edge(arm, 3), [true]);
    }

    #[test]
    fn ties_go_to_the_candidate_drawn_first_and_losses_rank_low_first() {
        assert_eq!(rank(&[0.5, 0.7, 0.7, 0.1], true), [1, 2, 0, 3]);
        assert_eq!(rank(&[0.5, 0.2, f64::INFINITY, 0.2], false), [1, 3, 0, 2]);
        let mut t = tuning(vec![stage(None, 1, 1.0)], false);
        let runs: Vec<RunRecord> = (0..4)
            .map(|i| {
                let mut r = run(&format!("f{i}"), 1000, 0.8, false);
                r.best_val_loss = [0.5, 0.3, 0.3, 0.2][i];
                r.diverged = i == 3;
                r
            })
            .collect();
        assert_eq!(decide(&t, &t.arms[0], &runs).chosen, Some(0), "all tie");
        t.metric = Metric::BestValLoss;
        let d = decide(&t, &t.arms[0], &runs);
        assert_eq!(
            d.chosen,
            Some(1),
            "0.2 diverged: +inf; 0.3 twice: the first"
        );
        assert_eq!(d.stages[0].ranked, [1, 2, 0, 3]);
    }

    #[test]
    fn stages_keep_the_best_and_reuse_runs_of_the_same_length() {
        // 4 candidates × seed 1000, then the best 2 on seeds 1000..1003 (1000 reused).
        let t = tuning(vec![stage(None, 1, 1.0), stage(Some(2), 3, 1.0)], false);
        let arm = &t.arms[0];
        let mut runs: Vec<RunRecord> = [0.6, 0.8, 0.7, 0.1]
            .iter()
            .enumerate()
            .map(|(i, &a)| run(&format!("f{i}"), 1000, a, false))
            .collect();
        let d = decide(&t, arm, &runs);
        assert_eq!(d.stages.len(), 1);
        assert_eq!(d.stages[0].ranked, [1, 2, 0, 3]);
        assert_eq!(
            d.missing,
            [(1, 1, 1001), (1, 1, 1002), (2, 1, 1001), (2, 1, 1002)],
            "only the new seeds of the two kept"
        );
        // On the new seeds η = 0.1 (candidate 2) does better: mean (0.7 + 0.9 + 0.9) / 3.
        for (c, acc) in [(1, 0.8), (2, 0.9)] {
            for seed in [1001, 1002] {
                runs.push(run(&format!("f{c}"), seed, acc, false));
            }
        }
        let d = decide(&t, arm, &runs);
        assert!(d.missing.is_empty());
        assert_eq!(d.chosen, Some(2));
        assert_eq!(d.stages[1].ranked, [2, 1]);
        assert!((d.chosen_mean().unwrap() - 2.5 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_rung_is_ranked_on_its_own_runs_and_the_last_stage_retrains_in_full() {
        let t = tuning(vec![stage(None, 1, 0.5), stage(Some(1), 1, 1.0)], true);
        let arm = &t.arms[0];
        let mut runs: Vec<RunRecord> = [0.5, 0.6, 0.4, 0.3]
            .iter()
            .enumerate()
            .map(|(i, &a)| run(&format!("r{i}"), 1000, a, false))
            .collect();
        let d = decide(&t, arm, &runs);
        assert_eq!(
            d.missing,
            [(1, 1, 1000)],
            "the full-length run of the best rung"
        );
        runs.push(run("f1", 1000, 0.7, false));
        assert_eq!(decide(&t, arm, &runs).chosen, Some(1));
        assert_eq!(decide(&t, arm, &runs).chosen_mean(), Some(0.7));
    }
}
