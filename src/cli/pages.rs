//! The commands' HTML pages beyond a study's own report (which `report::write_report_linking`
//! writes): `report --all` (every study with results, then `index.html` and the claims), the
//! claims page beside claims.md, and the relative links between them. The pages' HTML is built
//! in `report::html`; this only decides what goes where.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::report::html::{self, index};
use crate::results::store;
use crate::study::{spec, Overrides, Study};

/// The path of `to` relative to the directory `from`, with `/` separators (for a link), when
/// both exist; `None` otherwise.
pub fn relative_link(from: &Path, to: &Path) -> Option<String> {
    let from = from.canonicalize().ok()?;
    let to = to.canonicalize().ok()?;
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

/// Writes `claims.html` beside the claims Markdown `md_path` from its text `md`; returns its
/// path.
pub fn write_claims_html(md_path: &Path, md: &str) -> anyhow::Result<PathBuf> {
    let path = md_path.with_extension("html");
    let links = vec![
        ("index.html".to_string(), "all studies".to_string()),
        ("claims.md".to_string(), "claims.md".to_string()),
    ];
    let dir = md_path.parent().unwrap_or(Path::new("."));
    let md = html::claims::prepare(md, |study| dir.join(study).join("report.html").is_file());
    let page = html::markdown_page("The chapter's claims, checked", &links, &md);
    html::write_page(&path, &page)?;
    Ok(path)
}

/// `report --all`: rewrites the report (Markdown, charts, HTML) of every study in `studies`
/// with results under `results`, then `results/index.html`, then the claims (claims.md and
/// claims.html) when `studies` has a claims file. A study that fails is reported and the
/// others still written; the exit code is then non-zero. `report` writes one study's report
/// (the `report` command's own).
pub fn report_all(
    studies: &Path,
    results: &Path,
    report: impl Fn(&Study, &Path) -> anyhow::Result<String>,
) -> anyhow::Result<ExitCode> {
    let list =
        spec::list(studies).with_context(|| format!("listing studies in {}", studies.display()))?;
    let mut entries = Vec::new();
    let mut failed = Vec::new();
    for (name, _) in &list {
        let dir = results.join(name);
        if !dir.join("runs.parquet").exists() {
            continue;
        }
        let written = (|| -> anyhow::Result<index::StudyEntry> {
            let study = spec::load(&spec::find(studies, name)?, Overrides::default())?;
            report(&study, results)?;
            let (runs, _) = store::load(&dir)?;
            let baseline = &study.baseline_cell().label;
            Ok(index::entry(name, &study.description, baseline, &runs))
        })();
        match written {
            Ok(entry) => {
                println!(
                    "{name}: {} runs in {} cells → {}",
                    entry.runs,
                    entry.cells,
                    dir.join("report.html").display()
                );
                entries.push(entry);
            }
            Err(e) => {
                eprintln!("error: {name}: {e:#}");
                failed.push(name.clone());
            }
        }
    }
    let index_path = results.join("index.html");
    html::write_page(&index_path, &index::index_page(&entries))?;
    println!("index: {}", index_path.display());
    let claims_file = studies.join("claims.toml");
    if claims_file.exists() {
        let file = crate::claims::load(&claims_file)?;
        let evaluated = crate::claims::evaluate(&file, studies, results);
        let md = crate::claims::render::markdown(&evaluated);
        let md_path = results.join("claims.md");
        crate::atomic::write(&md_path, md.as_bytes())?;
        println!("claims: {}", write_claims_html(&md_path, &md)?.display());
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("reports failed for: {}", failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_between_existing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("results").join("opt");
        let studies = dir.path().join("studies");
        std::fs::create_dir_all(&results).unwrap();
        std::fs::create_dir_all(&studies).unwrap();
        std::fs::write(studies.join("opt.toml"), "").unwrap();
        assert_eq!(
            relative_link(&results, &studies.join("opt.toml")).as_deref(),
            Some("../../studies/opt.toml")
        );
        assert_eq!(relative_link(&results, &studies.join("missing.toml")), None);
    }
}
