//! A cell against the study's baseline as a report shows it, counted the way the claims engine
//! counts (issue 11): a diverged run is an outcome, never left out: its accuracy scores chance
//! (1/classes of its task) and its loss +∞, so it ranks worst. From the values paired by seed,
//! the evidence of [`crate::report::inference::paired`] (the paired t interval, or the Wilcoxon
//! signed-rank test with the Hodges–Lehmann estimate and interval when a difference is infinite;
//! BCa beside; the minimum detectable effect and the seeds needed for 80% power), Holm's
//! adjustment across the cells compared with the baseline, and each cell's divergence rate
//! with its 95% Wilson interval. Pure: the numbers only; markdown.rs writes them.
//! What a run scores lives here too ([`scored_accuracy`], [`scored_loss`]); the summaries and
//! the cherry-picker's best-of-k stay in [`super::stats`].

use super::inference::multiple::holm;
use super::inference::oriented_difference;
use super::inference::paired::{Differences, Interval};
use super::inference::proportion::{wilson, Rate};
use super::inference::t_test::PowerReport;
use crate::results::RunRecord;

/// The confidence of every interval in a report, and the level of its Holm family.
pub const ALPHA: f64 = 0.05;

/// The power the seeds-needed figure is for.
pub const TARGET_POWER: f64 = 0.8;

/// The most seeds a seeds-needed figure is searched up to (more reads "> 1000").
pub const MAX_SEEDS: usize = 1000;

/// The accuracy margin an equivalence test uses: ±0.3 points, the claims' default margin.
pub const ACCURACY_MARGIN: f64 = 0.003;

/// Classes of a run whose config names none: Fashion-MNIST's ten.
const DEFAULT_CLASSES: usize = 10;

/// Chance accuracy of a run's task: 1/classes, the classes read from its recorded config
/// (`classes = [...]` for a subset task, else all ten).
pub fn chance(run: &RunRecord) -> f64 {
    let classes = serde_json::from_str::<serde_json::Value>(&run.config_json)
        .ok()
        .and_then(|c| c.get("classes")?.as_array().map(Vec::len))
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_CLASSES);
    1.0 / classes as f64
}

/// A run's test accuracy as comparisons count it: chance when the run diverged.
pub fn scored_accuracy(run: &RunRecord) -> f64 {
    if run.diverged {
        chance(run)
    } else {
        run.test_acc
    }
}

/// A run's final validation loss as comparisons count it: +∞ when the run diverged.
pub fn scored_loss(run: &RunRecord) -> f64 {
    if run.diverged {
        f64::INFINITY
    } else {
        run.final_val_loss
    }
}

/// The runs of a cell that diverged, with the 95% Wilson interval of the rate (`None` for a
/// cell without runs).
pub fn divergence_rate(runs: &[&RunRecord]) -> Option<Rate> {
    let diverged = runs.iter().filter(|r| r.diverged).count() as u64;
    wilson(diverged, runs.len() as u64, ALPHA).ok()
}

/// A cell against the baseline, seed by seed (positive differences are improvements).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Seeds with a value in both (a diverged run has one: its score).
    pub seeds: Vec<u64>,
    /// The oriented per-seed differences, in the order of `seeds`.
    pub diffs: Vec<f64>,
    /// Of those seeds, the cell's runs and the baseline's that diverged (scored, not dropped).
    pub diverged: (usize, usize),
    /// The cell's runs without a pair (their seed missing from the baseline, or a value that
    /// was not recorded).
    pub unpaired: usize,
    /// The test, estimate and p-value (`None` with fewer than 2 pairs).
    pub evidence: Option<Differences>,
    /// The 95% interval of the estimate (t, or Hodges–Lehmann's at the level it reaches).
    pub interval: Option<Interval>,
    /// The 95% BCa interval of the mean beside it (t path only).
    pub bca: Option<Interval>,
    /// The TOST p-value that the difference lies within ±margin (accuracy only).
    pub tost_p: Option<f64>,
    /// The minimum detectable effect at this n and the seeds needed for 80% power at the
    /// observed effect, at the Holm family's strictest level α/m (t path only).
    pub power: Option<PowerReport>,
    /// The p-value adjusted by Holm across the cells compared with the baseline in this table.
    pub p_holm: Option<f64>,
    /// Fraction of seeds whose difference is positive, a tie counting one half.
    pub p_improvement: f64,
    /// The median difference.
    pub median_gain: f64,
    /// The best single seed's difference: what one lucky run would show.
    pub best_gain: f64,
}

/// Pairs `cell` with `baseline` by seed ((seed, scored value); NaN = not recorded) and tests
/// the oriented differences; `margin` adds the TOST p-value within ±margin; `seed` draws the
/// BCa resamples. [`holm_across`] fills in the adjusted p-values and the power.
pub fn compare(
    cell: &[(u64, f64)],
    baseline: &[(u64, f64)],
    diverged: impl Fn(bool, u64) -> bool,
    higher_is_better: bool,
    margin: Option<f64>,
    seed: u64,
) -> Comparison {
    let mut pairs: Vec<(u64, f64)> = cell
        .iter()
        .filter_map(|&(s, x)| {
            let b = baseline.iter().find(|(bs, _)| *bs == s)?.1;
            let d = oriented_difference(x, b, higher_is_better);
            (!d.is_nan()).then_some((s, d))
        })
        .collect();
    pairs.sort_by_key(|(s, _)| *s);
    pairs.dedup_by_key(|(s, _)| *s);
    let unpaired = cell.len() - pairs.len();
    let (seeds, diffs): (Vec<u64>, Vec<f64>) = pairs.into_iter().unzip();
    let diverged = (
        seeds.iter().filter(|&&s| diverged(true, s)).count(),
        seeds.iter().filter(|&&s| diverged(false, s)).count(),
    );
    let evidence = Differences::new(diffs.clone(), seed).ok();
    let interval = evidence.as_ref().and_then(|e| e.interval(ALPHA).ok());
    let bca = evidence.as_ref().and_then(|e| e.bca(ALPHA));
    let tost_p = margin.and_then(|m| evidence.as_ref()?.tost(-m, m).ok());
    let mut sorted = diffs.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median_gain = match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    let wins: f64 = diffs
        .iter()
        .map(|&d| match d.total_cmp(&0.0) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Less => 0.0,
        })
        .sum();
    Comparison {
        seeds,
        diverged,
        unpaired,
        interval,
        bca,
        tost_p,
        power: None,
        p_holm: None,
        p_improvement: if n == 0 { f64::NAN } else { wins / n as f64 },
        median_gain,
        best_gain: sorted.last().copied().unwrap_or(f64::NAN),
        evidence,
        diffs,
    }
}

/// Holm's adjustment across `comparisons` (the cells of one table; those without evidence are
/// not tests), and each one's power report at the family's strictest level α/m.
pub fn holm_across(comparisons: &mut [&mut Comparison]) {
    let tested: Vec<usize> = (0..comparisons.len())
        .filter(|&i| comparisons[i].evidence.is_some())
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .filter_map(|&i| Some(comparisons[i].evidence.as_ref()?.p_value()))
        .collect();
    let Ok(adjusted) = holm(&p) else {
        return;
    };
    let strictest = ALPHA / tested.len().max(1) as f64;
    for (&i, p_holm) in tested.iter().zip(adjusted) {
        let c = &mut *comparisons[i];
        c.p_holm = Some(p_holm);
        c.power = c
            .evidence
            .as_ref()
            .and_then(|e| e.power(strictest, TARGET_POWER, MAX_SEEDS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::inference::paired::Method;

    fn never(_: bool, _: u64) -> bool {
        false
    }

    #[test]
    fn a_diverged_run_scores_chance_and_infinite_loss_from_its_config() {
        let mut run = crate::report::tests::run(0, 0, 0.8, true);
        run.test_acc = f64::NAN;
        run.config_json = r#"{"epochs": 3, "classes": [5, 6]}"#.into();
        assert_eq!(scored_accuracy(&run), 0.5, "two classes: chance 1/2");
        assert_eq!(scored_loss(&run), f64::INFINITY);
        run.config_json = r#"{"epochs": 3, "classes": null}"#.into();
        assert_eq!(scored_accuracy(&run), 0.1, "all ten classes");
        run.diverged = false;
        run.test_acc = 0.8;
        run.final_val_loss = 0.4;
        assert_eq!((scored_accuracy(&run), scored_loss(&run)), (0.8, 0.4));
    }

    #[test]
    fn a_diverged_seed_is_counted_not_dropped() {
        // Losses: the cell diverged on seed 2 (+∞); the baseline never did. Seed 3 is missing
        // from the baseline.
        let cell = [(0, 0.5), (1, 0.5), (2, f64::INFINITY), (3, 0.4)];
        let base = [(0, 0.6), (1, 0.6), (2, 0.6)];
        let c = compare(&cell, &base, |is_cell, s| is_cell && s == 2, false, None, 1);
        assert_eq!(c.seeds, [0, 1, 2]);
        assert_eq!(c.diverged, (1, 0));
        assert_eq!(c.unpaired, 1);
        assert_eq!(c.diffs[2], f64::NEG_INFINITY, "the diverged run is worst");
        let e = c.evidence.as_ref().unwrap();
        assert_eq!(
            e.method(),
            Method::SignedRank,
            "a mean over +∞ is undefined"
        );
        assert!(c.bca.is_none());
        assert!((c.p_improvement - 2.0 / 3.0).abs() < 1e-12);
        // Both diverged: a tie, not NaN.
        let both = compare(
            &[(0, f64::INFINITY), (1, 0.5)],
            &[(0, f64::INFINITY), (1, 0.6)],
            |_, s| s == 0,
            false,
            None,
            1,
        );
        assert_eq!(both.diffs[0], 0.0);
        assert_eq!(both.diverged, (1, 1));
    }

    #[test]
    fn finite_differences_take_the_t_interval_with_bca_tost_and_holm() {
        let noise = [
            0.001, -0.002, 0.0015, -0.0005, 0.0, 0.002, -0.001, 0.0005, -0.0015, 0.0,
        ];
        let base: Vec<(u64, f64)> = (0..10).map(|s| (s, 0.8)).collect();
        let gain = |g: f64| -> Vec<(u64, f64)> {
            (0..10).map(|s| (s, 0.8 + g + noise[s as usize])).collect()
        };
        let mut big = compare(&gain(0.02), &base, never, true, Some(ACCURACY_MARGIN), 1);
        let mut none = compare(&gain(0.0), &base, never, true, Some(ACCURACY_MARGIN), 1);
        let e = big.evidence.as_ref().unwrap();
        assert_eq!(e.method(), Method::StudentT);
        assert!((e.estimate() - 0.02).abs() < 1e-12);
        let i = big.interval.unwrap();
        assert!(i.low > 0.018 && i.high < 0.022 && i.level == 0.95, "{i:?}");
        assert!(big.bca.is_some());
        assert!(big.tost_p.unwrap() > 0.5, "+2 points is not within ±0.3");
        assert!(
            none.tost_p.unwrap() < 0.05,
            "no gain: equivalent within ±0.3"
        );
        let (p_big, p_none) = (
            big.evidence.as_ref().unwrap().p_value(),
            none.evidence.as_ref().unwrap().p_value(),
        );
        holm_across(&mut [&mut big, &mut none]);
        // Two tests: the smaller p doubled, the larger max(its own, that).
        assert!((big.p_holm.unwrap() - 2.0 * p_big).abs() < 1e-15);
        assert_eq!(none.p_holm.unwrap(), p_none.max(2.0 * p_big).min(1.0));
        let power = big.power.as_ref().unwrap();
        assert!(power.minimum_detectable > 0.0 && power.seeds_needed.is_some());
    }
}
