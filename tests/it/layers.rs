//! The crate's layers point down (src/lib.rs's module doc): this test reads every file under src/,
//! finds the crate modules it names (`crate::x`, `crate::{x, y::z}`, `super::…::x` reaching out of
//! its own module, `trainbench::x` in doc examples) and fails when a module names one its layer
//! may not import ([`MAY_IMPORT`]), or when two files directly in one top-level folder import each
//! other (a circle like the one study/grid.rs and study/spec.rs once had). Comments count: a doc
//! link up a layer is a dependency too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the crate modules it may import. A module missing here fails the
/// test: place it in a layer first. (`lib.rs` and `main.rs` may import anything.)
const MAY_IMPORT: &[(&str, &[&str])] = &[
    // The bottom: no crate module below them.
    ("error", &[]),
    // The one atomic file writer: any layer that writes a file uses it (zoo does no IO).
    ("atomic", &["error"]),
    ("seed", &["error"]),
    ("provenance", &["error"]),
    ("device", &["error"]),
    // The data and the techniques (pure math); data's synthetic sets use zoo's seeded draws.
    ("data", &["error", "atomic", "seed", "zoo"]),
    ("zoo", &["error", "seed"]),
    // The network, and a run's configuration (which holds a model spec).
    ("model", &["error", "atomic", "seed", "data", "zoo"]),
    ("config", &["error", "model", "zoo"]),
    // The one training loop.
    (
        "train",
        &["error", "seed", "data", "zoo", "model", "config"],
    ),
    // The output side, beside the rest: records, statistics and charts, nothing that trains.
    ("results", &["error", "atomic"]),
    ("plot", &["error", "atomic"]),
    ("report", &["error", "atomic", "results", "plot"]),
    // Exports send recorded results to other tools (MLflow); they read records only.
    ("export", &["error", "provenance", "results"]),
    // Studies parse and schedule; they call train and write results.
    (
        "study",
        &[
            "error",
            "atomic",
            "seed",
            "provenance",
            "device",
            "data",
            "zoo",
            "model",
            "config",
            "train",
            "results",
        ],
    ),
    // Claims and figures read studies and results; figures also train briefly.
    (
        "claims",
        &[
            "error", "atomic", "seed", "data", "zoo", "model", "config", "train", "results",
            "plot", "report", "study",
        ],
    ),
    (
        "figures",
        &[
            "error", "atomic", "seed", "device", "data", "zoo", "model", "config", "train",
            "results", "plot", "report", "study",
        ],
    ),
    // The command line: everything.
    (
        "cli",
        &[
            "error",
            "atomic",
            "seed",
            "provenance",
            "device",
            "data",
            "zoo",
            "model",
            "config",
            "train",
            "results",
            "plot",
            "report",
            "study",
            "claims",
            "figures",
            "export",
        ],
    ),
];

/// The module path of a source file: src/train/step.rs → [train, step], src/train/mod.rs →
/// [train], src/config.rs → [config].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut path: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

/// The paths a `use` tree or an expression names from where `rest` starts, group by group:
/// `study::{grid, spec}::X` → [study, grid], [study, spec]; `report::write()` → [report, write].
fn expand(rest: &str) -> Vec<Vec<String>> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        // Split at the group's top-level commas, up to its closing brace.
        let (mut depth, mut items, mut item) = (0usize, Vec::new(), String::new());
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        items.push(item);
        return items.iter().flat_map(|item| expand(item)).collect();
    }
    let segment: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if segment.is_empty() {
        return vec![Vec::new()];
    }
    match rest[segment.len()..].strip_prefix("::") {
        Some(tail) => expand(tail)
            .into_iter()
            .map(|t| std::iter::once(segment.clone()).chain(t).collect())
            .collect(),
        None => vec![vec![segment]],
    }
}

/// The crate paths `text` (the file of module `module`) names, each as its first two segments
/// from the crate root: `crate::study::grid::X` → [study, grid]; `crate::{data, study::seed}` →
/// [data], [study, seed]; in src/train/step.rs, `super::super::report::x` → [report, x].
/// `super` is resolved from the file's own module (an inline `mod tests` is one deeper, so its
/// `super::*` is the file's module: at worst a name that does not exist is reported).
fn named_paths(text: &str, module: &[String]) -> BTreeSet<Vec<String>> {
    let text = text.replace("trainbench::", "crate::");
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        out.extend(expand(&text[at + "crate::".len()..]));
    }
    for (at, _) in text.match_indices("super::") {
        // Only the start of a chain: not the second `super::` of `super::super::`.
        if text[..at].ends_with("super::") {
            continue;
        }
        let mut rest = &text[at..];
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        let base = &module[..module.len().saturating_sub(ups)];
        for tail in expand(rest) {
            out.insert(base.iter().cloned().chain(tail).collect());
        }
    }
    out.into_iter()
        .map(|p| p.into_iter().take(2).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file with its module path and text.
fn sources() -> Vec<(PathBuf, Vec<String>, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f.clone(), module_path(&src, &f), text)
        })
        .collect()
}

#[test]
fn the_scanner_finds_every_form_of_a_crate_path() {
    let module: Vec<String> = ["train", "step"].iter().map(|s| s.to_string()).collect();
    let text =
        "use crate::{data, study::{grid, spec::Study}};\nuse super::{eval::x, minibatch::Plan};\n\
                fn f() { super::super::report::write(); crate::figures::run(); }\n\
                /// See [`trainbench::claims::evaluate`].";
    let found: Vec<String> = named_paths(text, &module)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        found,
        [
            "claims::evaluate",
            "data",
            "figures::run",
            "report::write",
            "study::grid",
            "study::spec",
            "train::eval",
            "train::minibatch"
        ]
    );
}

#[test]
fn every_import_points_down_a_layer() {
    let layers: BTreeMap<&str, &[&str]> = MAY_IMPORT.iter().copied().collect();
    let mut wrong = Vec::new();
    for (file, module, text) in sources() {
        let top = module[0].as_str();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(allowed) = layers.get(top) else {
            wrong.push(format!(
                "{}: module `{top}` has no layer; add it to MAY_IMPORT in tests/it/layers.rs",
                file.display()
            ));
            continue;
        };
        for path in named_paths(&text, &module) {
            let named = path[0].as_str();
            let is_module = layers.contains_key(named);
            if named != top && is_module && !allowed.contains(&named) {
                wrong.push(format!(
                    "{}: `{top}` imports `{}`, which is not below it",
                    file.display(),
                    path.join("::")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports up a layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_layers_form_no_circle() {
    // With every import allowed by MAY_IMPORT, a circle of imports needs one in the table.
    let layers: BTreeMap<&str, &[&str]> = MAY_IMPORT.iter().copied().collect();
    fn reaches(
        layers: &BTreeMap<&str, &[&str]>,
        from: &str,
        to: &str,
        seen: &mut Vec<String>,
    ) -> bool {
        for &next in layers.get(from).copied().unwrap_or_default() {
            if next == to {
                return true;
            }
            if !seen.iter().any(|s| s == next) {
                seen.push(next.to_string());
                if reaches(layers, next, to, seen) {
                    return true;
                }
            }
        }
        false
    }
    for &(module, _) in MAY_IMPORT {
        assert!(
            !reaches(&layers, module, module, &mut Vec::new()),
            "`{module}` can reach itself through MAY_IMPORT"
        );
    }
}

#[test]
fn no_two_files_of_a_folder_import_each_other() {
    // Sibling files (e.g. study/grid.rs and study/spec.rs) by the modules they name.
    let mut imports: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (_, module, text) in sources() {
        if module.len() < 2 {
            continue;
        }
        let parent = &module[..module.len() - 1];
        for path in named_paths(&text, &module) {
            // Resolve to a full path from the crate root: crate::study::grid is [study, grid].
            if path.len() == 2 && path[..1] == parent[..] && path[1] != module[module.len() - 1] {
                imports.entry(module.clone()).or_default().insert(path);
            }
        }
    }
    let mut circles = Vec::new();
    for (a, named) in &imports {
        for b in named {
            if imports.get(b).is_some_and(|back| back.contains(a)) && a < b {
                circles.push(format!("{} <-> {}", a.join("/"), b.join("/")));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files importing each other: {circles:?}"
    );
}
