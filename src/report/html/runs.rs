//! The table of every run of a study page: one row per (cell, seed) with its outcome, metrics
//! and full config, each row an anchor the charts' points link to, filterable by cell (a menu)
//! and by any text. Diverged runs are marked in the diverged colour. Only the HTML of the
//! table; the page and the script are elsewhere. A tuned study's page has a second table, of
//! every tuning run, whose rows the sensitivity charts' points link to.

use std::fmt::Write as _;

use super::escape::{anchor, escape};
use crate::results::RunRecord;

/// The anchor of a run's row.
pub fn run_anchor(cell_id: &str, seed: u64) -> String {
    format!("run-{}-s{seed}", anchor(cell_id))
}

/// The anchor of a tuning run's row.
pub fn tuning_anchor(cell_id: &str, seed: u64) -> String {
    format!("tune-{}-s{seed}", anchor(cell_id))
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        "–".into()
    }
}

/// What became of a run: "diverged at step N", or "trained".
pub fn outcome(run: &RunRecord) -> String {
    match (run.diverged, run.diverged_step) {
        (true, Some(step)) => format!("diverged at step {step}"),
        (true, None) => "diverged".into(),
        (false, _) => "trained".into(),
    }
}

/// The filter controls and the table of `runs`, in the order of `cells` (id, label), then seed.
pub fn runs_table(cells: &[(String, String)], runs: &[RunRecord]) -> String {
    let mut out = String::from(
        "<div class=\"filter\"><label>cell <select id=\"cell-filter\"><option value=\"\">every cell</option>",
    );
    for (_, label) in cells {
        let _ = write!(out, "<option>{}</option>", escape(label));
    }
    out.push_str(
        "</select></label> <label>contains <input id=\"text-filter\" type=\"search\" \
         placeholder=\"seed, value, config…\"></label></div>\n",
    );
    out.push_str(
        "<div class=\"table-wrap\"><table class=\"sortable\" id=\"runs\">\n<thead><tr>\
         <th title=\"sort\">cell</th><th class=\"num\" title=\"sort\">seed</th>\
         <th title=\"sort\">outcome</th><th class=\"num\" title=\"sort\">test acc</th>\
         <th class=\"num\" title=\"sort\">test loss</th><th class=\"num\" title=\"sort\">final val loss</th>\
         <th class=\"num\" title=\"sort\">best val acc</th><th class=\"num\" title=\"sort\">best epoch</th>\
         <th class=\"num\" title=\"sort\">epochs</th><th class=\"num\" title=\"sort\">wall s</th>\
         <th title=\"sort\">config</th></tr></thead>\n<tbody>\n",
    );
    let order = |r: &RunRecord| cells.iter().position(|(id, _)| *id == r.cell_id);
    let mut sorted: Vec<&RunRecord> = runs.iter().collect();
    sorted.sort_by_key(|r| (order(r).unwrap_or(usize::MAX), r.seed));
    for r in sorted {
        let _ = writeln!(
            out,
            "<tr id=\"{}\" data-cell=\"{}\"{}><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"outcome\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{:.1}</td>\
             <td><details><summary>config</summary><code>{}</code></details></td></tr>",
            run_anchor(&r.cell_id, r.seed),
            escape(&r.cell_label),
            if r.diverged {
                " class=\"diverged\""
            } else {
                ""
            },
            escape(&r.cell_label),
            r.seed,
            escape(&outcome(r)),
            num(r.test_acc),
            num(r.test_loss),
            num(r.final_val_loss),
            num(r.best_val_acc),
            r.best_epoch,
            r.epochs_run,
            r.wall_seconds,
            escape(&r.config_json),
        );
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// A tuning run's candidate: its tuned values (`optimizer.learning_rate = 0.00688`), else its
/// cell's label.
fn candidate(run: &RunRecord) -> String {
    let values: Vec<String> = run
        .tuned
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| format!("{k} = {}", crate::plot::compact(*v)))
        .collect();
    if values.is_empty() {
        run.cell_label.clone()
    } else {
        values.join(", ")
    }
}

/// The table of every tuning run, sortable: its arm (`arm_of` a tuning cell id, when known),
/// candidate, seed, outcome, validation metrics, epochs and config; in the order given.
pub fn tuning_runs_table(runs: &[RunRecord], arm_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::from(
        "<div class=\"table-wrap\"><table class=\"sortable\" id=\"tuning-runs\">\n<thead><tr>\
         <th title=\"sort\">arm</th><th title=\"sort\">candidate</th>\
         <th class=\"num\" title=\"sort\">seed</th><th title=\"sort\">outcome</th>\
         <th class=\"num\" title=\"sort\">best val acc</th><th class=\"num\" title=\"sort\">best val loss</th>\
         <th class=\"num\" title=\"sort\">final val loss</th><th class=\"num\" title=\"sort\">epochs</th>\
         <th class=\"num\" title=\"sort\">wall s</th><th title=\"sort\">config</th></tr></thead>\n<tbody>\n",
    );
    for r in runs {
        let _ = writeln!(
            out,
            "<tr id=\"{}\"{}><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"outcome\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td>\
             <td><details><summary>config</summary><code>{}</code></details></td></tr>",
            tuning_anchor(&r.cell_id, r.seed),
            if r.diverged {
                " class=\"diverged\""
            } else {
                ""
            },
            escape(&arm_of(&r.cell_id).unwrap_or_default()),
            escape(&candidate(r)),
            r.seed,
            escape(&outcome(r)),
            num(r.best_val_acc),
            num(r.best_val_loss),
            num(r.final_val_loss),
            r.epochs_run,
            r.wall_seconds,
            escape(&r.config_json),
        );
    }
    out.push_str("</tbody></table></div>\n");
    out
}
