//! `trainbench claims`: the chapter's claims checked against the recorded results, by rules fixed
//! in studies/claims.toml before the runs ([`spec`]). This doc is the rule; claims.toml's header
//! summarizes it and results/claims.md says it in brief.
//!
//! # One check
//! 1. **Arms and values.** Arm a (and b) is a cell of the claim's study, picked by axis values;
//!    a `pool`ed arm is several cells, a seed's value the mean over them. Each run gives the
//!    check's metric ([`measure`]). **Divergence is an outcome**: a diverged run is never
//!    dropped; its trained model scores chance accuracy (1/classes) and a +∞ loss, and a target
//!    a run never reached is +∞ (censored); what it measured before diverging keeps its value.
//!    A value that does not exist (a metric the run did not record) leaves its seed out, counted
//!    in the table. Metric `diverged` compares the arms' divergence rates instead (Newcombe
//!    interval, Fisher's exact test); every check shows each arm's divergence rate with its 95%
//!    Wilson interval.
//! 2. **Gates** ([`gates`]): the arms a check names must have *trained* (median best validation
//!    accuracy ≥ chance + 10 points) and/or *converged* (half of the runs or more: early
//!    stopping fired, or the last 3 epochs lowered the best validation loss by less than 1%). A
//!    failed gate makes the check **invalid: <cell> did not train / did not converge**, never
//!    supported or contradicted. A gate never tests the claim's own outcome (init-1's N(0, 1)
//!    arm failing to train is the evidence, so only the Glorot/He arm is gated).
//! 3. **Differences.** Paired by seed and oriented so that positive is the claimed direction:
//!    a − b for `higher`, b − a for `lower`, a − b for `equal`; for a bound, a − bound
//!    (`above`) or bound − a (`below`). Two infinities of one sign tie (0). At least
//!    [`MIN_SEEDS`] pairs, else inconclusive.
//! 4. **Test** ([`crate::report::inference::paired`]): the paired Student t test when every
//!    difference is finite; the Wilcoxon signed-rank test (Pratt's zeros) with the
//!    Hodges–Lehmann estimate and its interval when one is infinite (a diverged run ranks
//!    worst), or when the check asks for `estimator = "rank"`. The check's p-value is the
//!    two-sided p of no difference for a direction or a bound; the TOST p-value for `equal`
//!    (within ±margin) and for a stated magnitude (`band`, in the claimed direction).
//!
//! # Holm within a claim, and the levels
//! The claim's m tests (role `test` with ≥ 5 pairs, gates passed, results present) are one
//! family at α = 0.05 (family-wise). Ordered by p-value, the r-th is tested at
//! α_r = α/(m − r + 1) and is significant when its Holm-adjusted p-value p̃ ≤ α (it and every
//! check before it pass their α_r: Holm's step-down). **Every interval of a check is shown at
//! the level it was tested at, 1 − α_r** (95% when m = 1), so for the t test a significant
//! check's interval excludes 0 exactly; the minimum detectable effect and the seeds needed for
//! 80% power are computed at α/m, the strictest level a test of the family can get. Then:
//! - **direction** (`higher`/`lower`): significant → **supported** if the estimate is on the
//!   claimed side, **contradicted** if on the other; else **equivalent** when TOST at α_r
//!   shows the difference within ±margin (no effect that matters: it counts against the
//!   claim); else **inconclusive**;
//! - **stated magnitude** (`band`): significant (TOST: the difference lies within the band) →
//!   supported; else contradicted when the 1 − α_r interval lies wholly outside the band
//!   (too small, the wrong sign, or too large); else inconclusive;
//! - **equal**: significant (TOST within ±margin) → supported; contradicted when the 1 − α_r
//!   interval lies wholly outside ±margin; else inconclusive;
//! - **bound** (`below`/`above`, one arm): significant → by the estimate's side.
//!
//! **BCa beside the t interval**: where the t test decides, the BCa interval of the mean at the
//! same level (1 − 2α_r for a TOST decision) must lie on the same side (or within/outside the
//! band alike); where the two disagree the check is inconclusive. With the signed-rank path the
//! mean is undefined and there is no BCa; its Hodges–Lehmann interval must agree instead.
//! Checks of role `sanity` and `descriptive` stay outside the family and are judged alone at α.
//!
//! # A claim
//! - **no verdict** when its study has no results or missing runs, or a check has no results
//!   (a cell or metric the redesigned study will have): the other checks are still shown;
//! - **invalid** when a sanity check is not supported;
//! - **contradicted** when a test that is not hedged is contradicted or equivalent, or when the
//!   claim's hedged tests ("may", "tends to") are *all* contradicted or equivalent (a hedged
//!   claim is contradicted only by equivalence, or by the opposite sign in every setting);
//! - else **invalid** when a test is (a gate failed: the reason is the first failure);
//! - **supported** when every test is; else **inconclusive**.
//!
//! # Benjamini–Hochberg across claims
//! Each claim with results gets one p-value: supported, the largest deciding p-value of its
//! tests (all must hold); contradicted, the smallest among the tests that contradict it (the
//! largest among its hedged tests when the hedged group contradicts it); inconclusive, 1. A
//! check's deciding p-value is its Holm-adjusted p̃, or for a TOST or interval decision its
//! p-value × (m − r + 1); each is ≤ α exactly when it decided. Benjamini–Hochberg q-values are
//! taken over these (invalid and no-verdict claims are not tests). **A supported or
//! contradicted claim whose q > 0.05 becomes inconclusive**, saying so: each verdict is then
//! both 5% family-wise within its claim and a discovery at a 5% false discovery rate across the
//! claims.
//!
//! # Sequential designs
//! A study trained with `trainbench study NAME --until-decided` records its looks (n = 10, 20,
//! 30 by default) and where it stopped in results/NAME/sequential.json ([`sequential`]); its
//! claims are then judged on the first n seeds of that look, with α = the look's nominal level
//! from Lan–DeMets O'Brien–Fleming spending (0.00069, 0.0161, 0.0439 for 10/20/30 at 5%) in
//! place of 0.05, and their BH p-value scaled by 0.05/α.
//!
//! The "before" column of results/claims.md comes from results/claims-before.md ([`before`]).

pub mod arms;
pub mod before;
pub mod computed;
pub mod gates;
pub mod measure;
pub mod render;
pub mod sequential;
pub mod spec;
mod verdict;
pub mod workloads;

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::report::inference::paired::{Interval, Method};
use crate::report::inference::proportion::Rate;
use crate::report::inference::t_test::PowerReport;
use crate::results::{store, EpochRecord, RunRecord};
use crate::study::{spec as study_spec, Overrides, Study};
use gates::GateResult;
use sequential::Design;
use spec::{ClaimsFile, Expect, Role};

/// Fewest pairs (or values, for a bound) that can give a verdict.
pub const MIN_SEEDS: usize = 5;

/// The family-wise level of a claim's tests, and the false discovery rate across claims.
pub const ALPHA: f64 = 0.05;

/// The power the seeds-needed figure is for.
pub const TARGET_POWER: f64 = 0.8;

/// The bootstrap seed of every BCa interval, fixed so verdicts are a pure function of the
/// results.
pub const CLAIMS_SEED: u64 = 20_260_101;

/// The outcome of a check or a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The evidence is on the claimed side (within the stated magnitude, or equivalent for
    /// "equal").
    Supported,
    /// The evidence is on the other side (or outside the stated magnitude or the margin).
    Contradicted,
    /// A claimed direction, but the difference is shown to lie within ±margin.
    Equivalent,
    /// Not decided at this n.
    Inconclusive,
    /// A gated arm did not train or converge, or a sanity check failed.
    Invalid,
    /// No results to judge (study, runs, cell or metric missing).
    NoVerdict,
    /// Shown beside the verdict, deciding nothing.
    Descriptive,
}

impl Verdict {
    /// Supported, contradicted or (for a check) equivalent.
    pub fn decided(self) -> bool {
        matches!(
            self,
            Verdict::Supported | Verdict::Contradicted | Verdict::Equivalent
        )
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Supported => "supported",
            Verdict::Contradicted => "contradicted",
            Verdict::Equivalent => "equivalent",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Invalid => "invalid",
            Verdict::NoVerdict => "no verdict",
            Verdict::Descriptive => "descriptive",
        })
    }
}

/// The statistics behind a check's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The test: paired t or signed-rank; `None` for divergence rates (Fisher's exact test).
    pub method: Option<Method>,
    /// Mean difference, Hodges–Lehmann estimate, or difference of rates (oriented).
    pub estimate: f64,
    /// The check's p-value (two-sided of no difference; TOST for equal and a band).
    pub p_value: f64,
    /// Holm-adjusted within the claim (tests only).
    pub p_holm: Option<f64>,
    /// The level the check was tested at, α_r (α for checks outside the family).
    pub alpha: f64,
    /// The interval of the estimate at 1 − alpha (Newcombe's for rates).
    pub interval: Interval,
    /// The BCa interval of the mean at 1 − alpha (t path only).
    pub bca: Option<Interval>,
    /// For a direction: the TOST p-value of equivalence within ±margin.
    pub tost_p: Option<f64>,
    /// The minimum detectable effect and seeds needed (t path only), at α/m.
    pub power: Option<PowerReport>,
    /// The p-value that decided the check (see the module doc), if it was decided.
    pub deciding_p: Option<f64>,
}

/// One seed's values.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedValues {
    /// The seed.
    pub seed: u64,
    /// a's value (NaN when missing).
    pub a: f64,
    /// b's value, for a comparison.
    pub b: Option<f64>,
    /// The oriented difference (NaN when a value is missing).
    pub difference: f64,
}

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The check in words.
    pub what: String,
    /// The metric in words.
    pub metric: String,
    /// The claimed direction.
    pub expect: Expect,
    /// Its role.
    pub role: Role,
    /// Whether its direction is hedged.
    pub hedged: bool,
    /// The margin (comparisons).
    pub margin: Option<f64>,
    /// The bound (bounds).
    pub bound: Option<f64>,
    /// The stated magnitude.
    pub band: Option<[f64; 2]>,
    /// The cells of a and b (labels).
    pub arms: (Vec<String>, Vec<String>),
    /// Seeds that entered (paired, with values).
    pub n: usize,
    /// Seeds left out: a value missing in a, in b, or a seed recorded on one side only.
    pub left_out: (usize, usize, usize),
    /// Diverged runs scored (chance / +∞) in a and b.
    pub scored: (usize, usize),
    /// Runs that never reached the target (+∞) in a and b.
    pub censored: (usize, usize),
    /// Divergence rates of a and b with their 95% Wilson intervals.
    pub divergence: (Option<Rate>, Option<Rate>),
    /// The gates, each cell of each gated arm.
    pub gates: Vec<GateResult>,
    /// The statistics, when the check got that far.
    pub evidence: Option<Evidence>,
    /// Every seed's values.
    pub per_seed: Vec<SeedValues>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why (an invalid or no-verdict check's reason; what made a check inconclusive).
    pub why: Option<String>,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimResult {
    /// Id.
    pub id: String,
    /// The chapter's words.
    pub text: String,
    /// The textbook's figure.
    pub textbook: Option<String>,
    /// The study.
    pub study: String,
    /// What changed in its rule since the "before" verdict.
    pub changed: Option<String>,
    /// The verdict before (results/claims-before.md), if known.
    pub before: Option<String>,
    /// The results' commits.
    pub commits: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why (invalid, no verdict, or changed by Benjamini–Hochberg).
    pub why: Option<String>,
    /// The claim's p-value for Benjamini–Hochberg (scaled for a sequential look).
    pub p_value: Option<f64>,
    /// Its Benjamini–Hochberg q-value across the claims.
    pub q_value: Option<f64>,
    /// The design it was judged under.
    pub design: Design,
    /// Each check.
    pub checks: Vec<CheckResult>,
}

/// A study's recorded results, loaded once for all its claims.
struct StudyResults {
    study: Study,
    runs: Vec<RunRecord>,
    epochs: Vec<EpochRecord>,
    design: Design,
}

/// Loads a study and its results, or says why there is nothing to judge.
fn load_study(
    name: &str,
    studies: &Path,
    results: &Path,
) -> std::result::Result<StudyResults, String> {
    let path = study_spec::find(studies, name).map_err(|e| e.to_string())?;
    let study = study_spec::load(&path, Overrides::default()).map_err(|e| e.to_string())?;
    let dir = results.join(&study.name);
    // A tuned study's cells are those of each arm's chosen setting.
    let study = crate::study::runner::evaluated_study(&study, &dir).map_err(|e| e.to_string())?;
    let (runs, epochs) = store::load(&dir).map_err(|e| e.to_string())?;
    if runs.is_empty() {
        return Err(format!(
            "no results: run `trainbench study {}` (results go to {})",
            study.name,
            dir.display()
        ));
    }
    let design = sequential::design_of(&dir)?;
    let seeds: Vec<u64> = match &design {
        Design::Fixed => study.seeds.clone(),
        Design::Sequential { .. } => (0..design.seeds() as u64).collect(),
    };
    let expected = study.cells.len() * seeds.len();
    let recorded = study
        .cells
        .iter()
        .flat_map(|c| seeds.iter().map(move |&s| (c.id.as_str(), s)))
        .filter(|&(id, s)| runs.iter().any(|r| r.cell_id == id && r.seed == s))
        .count();
    if recorded < expected {
        return Err(format!(
            "missing runs: {recorded} of {expected} recorded; finish with `trainbench study {}`",
            study.name
        ));
    }
    Ok(StudyResults {
        study,
        runs,
        epochs,
        design,
    })
}

/// Evaluates every claim of `file` against the studies in `studies` and the results in
/// `results` (each study under the design its results record), then applies
/// Benjamini–Hochberg across the claims; fills the "before" column from
/// `<results>/claims-before.md` when it exists.
pub fn evaluate(file: &ClaimsFile, studies: &Path, results: &Path) -> Vec<ClaimResult> {
    let mut loaded: BTreeMap<&str, std::result::Result<StudyResults, String>> = BTreeMap::new();
    for claim in &file.claim {
        loaded
            .entry(claim.study.as_str())
            .or_insert_with(|| load_study(&claim.study, studies, results));
    }
    let before = before::load(&results.join(before::BEFORE_FILE));
    let mut out: Vec<ClaimResult> = file
        .claim
        .iter()
        .map(|claim| {
            let mut r = match &loaded[claim.study.as_str()] {
                Ok(s) => verdict::claim(claim, &s.study, &s.runs, &s.epochs, &s.design),
                Err(why) => verdict::no_results(claim, why.clone()),
            };
            r.before = before.get(&claim.id).cloned();
            r
        })
        .collect();
    verdict::across_claims(&mut out);
    out
}

/// The claims of `file` about study `study`, judged on its results under `design` (the look
/// `--until-decided` is at), without Benjamini–Hochberg (a look decides each claim alone).
pub fn evaluate_study(
    file: &ClaimsFile,
    study: &Study,
    results: &Path,
    design: &Design,
) -> Result<Vec<ClaimResult>> {
    let dir = results.join(&study.name);
    // A tuned study's cells are those of each arm's chosen setting, as in `evaluate`.
    let study = &crate::study::runner::evaluated_study(study, &dir)?;
    let (runs, epochs) = store::load(&dir)?;
    Ok(file
        .claim
        .iter()
        .filter(|c| c.study == study.name)
        .map(|claim| verdict::claim(claim, study, &runs, &epochs, design))
        .collect())
}

/// Loads the claims file, or says where it should be.
pub fn load(path: &Path) -> Result<ClaimsFile> {
    if !path.exists() {
        return Err(Error::invalid(
            "claims",
            format!("no claims file at {}", path.display()),
        ));
    }
    ClaimsFile::load(path)
}

#[cfg(test)]
mod tests;
