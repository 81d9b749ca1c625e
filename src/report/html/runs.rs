//! The table of every run of a study page: one row per (cell, seed) with its outcome, metrics
//! and full config, each row an anchor the charts' points link to, filterable by cell (a menu)
//! and by any text. Diverged runs are marked in the diverged colour. Only the HTML of the
//! table; the page and the script are elsewhere.

use std::fmt::Write as _;

use super::escape::{anchor, escape};
use crate::results::RunRecord;

/// The anchor of a run's row.
pub fn run_anchor(cell_id: &str, seed: u64) -> String {
    format!("run-{}-s{seed}", anchor(cell_id))
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
