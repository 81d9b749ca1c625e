//! The HTML pages: a study's `report.html` beside its `report.md`, the results' `index.html`
//! and `claims.html`. Each page is one self-contained file (inline SVG, CSS and a small script,
//! nothing fetched), readable from a checkout or a static host. A report page holds every
//! table of report.md (converted from the Markdown itself, so none can be missing), sortable;
//! the charts as inline SVG whose points name their cell, seed and value and link to their run;
//! and every run in a filterable table with its config.
//!
//! - [`escape`]: escaping text and making anchors;
//! - [`markdown`]: the Markdown subset trainbench writes, as HTML;
//! - [`charts`]: a chart's SVG with a target per seed;
//! - [`runs`]: the table of every run;
//! - [`claims`]: claims.md's per-seed lines as tables, its studies linked;
//! - [`index`]: the page `results/index.html`;
//! - [`page`]: the frame, style sheet and script every page shares.
//!
//! No statistics are computed here (they come from `report`'s analysis) and nothing trains.

pub mod charts;
pub mod claims;
pub mod escape;
pub mod index;
pub mod markdown;
pub mod page;
pub mod runs;

use std::path::Path;

use super::tuning::{self, TuningSection};
use super::CellReport;
use crate::error::{Error, Result};
use crate::plot::{self, SeedColumn};
use crate::results::RunRecord;
use charts::{figure, Point};
use escape::escape;
use markdown::Images;
use runs::{outcome, run_anchor, runs_table, tuning_anchor, tuning_runs_table};

/// Writes `html` to `path` atomically (a reader never sees half a page).
pub fn write_page(path: &Path, html: &str) -> Result<()> {
    crate::atomic::write(path, html.as_bytes())
}

/// A Markdown document (claims.md) as a page of its own: `title`, links along the top.
pub fn markdown_page(title: &str, links: &[(String, String)], md: &str) -> String {
    struct AsImages;
    impl Images for AsImages {
        fn image(&mut self, alt: &str, src: &str) -> String {
            format!("<img src=\"{}\" alt=\"{}\">", escape(src), escape(alt))
        }
    }
    page::page(title, links, &markdown::to_html(md, &mut AsImages))
}

/// What a study page is made of besides its Markdown.
pub(super) struct StudyPage<'a> {
    /// The study's name.
    pub study: &'a str,
    /// Where the report is written (other charts' SVG files are read from here).
    pub out_dir: &'a Path,
    /// The report's cells.
    pub cells: &'a [CellReport<'a>],
    /// Every recorded run.
    pub runs: &'a [RunRecord],
    /// The test-accuracy chart's columns (the same as its PNG's).
    pub points: &'a [SeedColumn],
    /// Its title.
    pub points_title: &'a str,
    /// The validation-loss chart's curves (the same as its PNG's).
    pub curves: &'a [(String, Vec<Vec<f64>>)],
    /// Its title.
    pub curves_title: &'a str,
    /// The study file as the page links to it, when known.
    pub study_file: Option<&'a str>,
    /// A tuned study's tuning: its charts' points and its runs' table.
    pub tuning: Option<&'a TuningSection>,
}

/// The charts of a report page, by the PNG name report.md shows them under.
struct ReportCharts<'a, 'b> {
    page: &'b StudyPage<'a>,
    error: Option<Error>,
}

impl ReportCharts<'_, '_> {
    fn point(
        &self,
        series: usize,
        member: usize,
        what: &str,
        value: impl Fn(&RunRecord) -> f64,
    ) -> Option<Point> {
        let cell = self.page.cells.get(series)?;
        let run = cell.runs.get(member)?;
        let v = value(run);
        Some(Point {
            cell: cell.label.to_string(),
            seed: run.seed,
            value: if run.diverged || !v.is_finite() {
                outcome(run)
            } else {
                format!("{v:.4}")
            },
            what: what.to_string(),
            href: format!("#{}", run_anchor(&run.cell_id, run.seed)),
        })
    }

    fn chart(&mut self, alt: &str, src: &str) -> Result<String> {
        let p = self.page;
        if let (Some(section), Some(k)) = (p.tuning, tuning::chart_arm(src)) {
            return self.tuning_chart(section, k, alt);
        }
        match src {
            "test_acc.png" => {
                let (svg, hits) = plot::seed_points_svg(p.points_title, "test accuracy", p.points)?;
                Ok(figure(
                    &svg,
                    &hits,
                    |h| self.point(h.series, h.member, "test accuracy", |r| r.test_acc),
                    alt,
                ))
            }
            "val_loss_curves.png" => {
                let (svg, hits) =
                    plot::learning_curves_svg(p.curves_title, "validation loss", p.curves)?;
                Ok(figure(
                    &svg,
                    &hits,
                    |h| {
                        self.point(h.series, h.member, "final validation loss", |r| {
                            r.final_val_loss
                        })
                    },
                    alt,
                ))
            }
            _ => {
                // Another chart: its SVG file inline, without per-seed targets.
                let svg_path = p.out_dir.join(Path::new(src).with_extension("svg"));
                match std::fs::read_to_string(&svg_path) {
                    Ok(svg) => Ok(figure(&svg, &[], |_| None, alt)),
                    Err(_) => Ok(format!(
                        "<p><img src=\"{}\" alt=\"{}\"></p>",
                        escape(src),
                        escape(alt)
                    )),
                }
            }
        }
    }
}

impl ReportCharts<'_, '_> {
    /// Arm `k`'s sensitivity chart, each tuning run's point naming its arm, seed, candidate and
    /// score and linking to its row of the tuning runs' table.
    fn tuning_chart(&self, section: &TuningSection, k: usize, alt: &str) -> Result<String> {
        let (Some((title, keys)), Some(arm)) =
            (section.chart_of(self.page.study, k), section.arms.get(k))
        else {
            return Ok(format!("<p>{} (no such arm)</p>", escape(alt)));
        };
        let (svg, hits) =
            plot::sensitivity_svg(&title, &section.metric, &keys, &arm.points, arm.chance)?;
        let point = |h: &crate::plot::Hit| {
            let p = arm.points.get(h.member)?;
            let values: Vec<String> = keys
                .iter()
                .zip(&p.values)
                .map(|(key, v)| format!("{} = {}", key.name, plot::compact(*v)))
                .collect();
            let stage = if p.full_length {
                ""
            } else {
                ", shortened stage"
            };
            Some(Point {
                cell: arm.arm.clone(),
                seed: p.seed,
                value: if p.diverged {
                    "diverged".to_string()
                } else {
                    format!("{:.4}", p.score)
                },
                what: format!("{}{stage} · {}", values.join(", "), section.metric),
                href: format!("#{}", tuning_anchor(&p.cell_id, p.seed)),
            })
        };
        Ok(figure(&svg, &hits, point, alt))
    }
}

impl Images for ReportCharts<'_, '_> {
    fn image(&mut self, alt: &str, src: &str) -> String {
        match self.chart(alt, src) {
            Ok(html) => html,
            Err(e) => {
                let message = format!(
                    "<p class=\"diverged\">chart {} failed: {}</p>",
                    escape(src),
                    escape(&e.to_string())
                );
                self.error.get_or_insert(e);
                message
            }
        }
    }
}

/// The HTML of a study's report page from its Markdown `md`.
pub(super) fn report_page(p: &StudyPage, md: &str) -> Result<String> {
    let mut charts = ReportCharts {
        page: p,
        error: None,
    };
    let body = markdown::to_html(md, &mut charts);
    if let Some(e) = charts.error {
        return Err(e);
    }
    let mut files = vec![
        ("runs.parquet".to_string(), "runs.parquet".to_string()),
        ("epochs.parquet".to_string(), "epochs.parquet".to_string()),
        ("report.md".to_string(), "report.md".to_string()),
    ];
    if let Some(study_file) = p.study_file {
        files.push((study_file.to_string(), "the study file".to_string()));
    }
    let files: Vec<String> = files
        .iter()
        .map(|(href, text)| format!("<a href=\"{}\">{}</a>", escape(href), escape(text)))
        .collect();
    let lead = format!(
        "<p class=\"lead\">Files: {}. Hover a chart's point for its cell, seed and value; \
         click it for its run; click a column's header to sort.</p>\n",
        files.join(" · ")
    );
    // The files go under the title.
    let mut html = match body.find("</h1>\n") {
        Some(end) => format!("{}{lead}{}", &body[..end + 6], &body[end + 6..]),
        None => format!("{lead}{body}"),
    };
    let cells: Vec<(String, String)> = p
        .cells
        .iter()
        .map(|c| (c.id.to_string(), c.label.to_string()))
        .collect();
    html.push_str(&format!(
        "<h2 id=\"every-run\">Every run</h2>\n<p>{} runs; diverged runs in red. Each run's \
         full resolved config is under <em>config</em> (also the <code>config_json</code> \
         column of runs.parquet).</p>\n",
        p.runs.len()
    ));
    html.push_str(&runs_table(&cells, p.runs));
    if let Some(section) = p.tuning.filter(|t| !t.runs.is_empty()) {
        let arm_of = |cell_id: &str| {
            section
                .arms
                .iter()
                .find(|a| a.points.iter().any(|p| p.cell_id == cell_id))
                .map(|a| a.arm.clone())
        };
        html.push_str(&format!(
            "<h2 id=\"every-tuning-run\">Every tuning run</h2>\n<p>{} tuning runs (validation \
             data only; the tuning charts' points link here); diverged runs in red.</p>\n",
            section.runs.len()
        ));
        html.push_str(&tuning_runs_table(&section.runs, arm_of));
    }
    let links = vec![
        ("../index.html".to_string(), "all studies".to_string()),
        ("../claims.html".to_string(), "claims".to_string()),
        ("#every-run".to_string(), "every run".to_string()),
    ];
    Ok(page::page(&format!("Study {}", p.study), &links, &html))
}
