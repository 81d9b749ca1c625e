//! Property tests (proptest) of the three parsers that read what a user or a download hands
//! trainbench: the study-file parser, the claims file parser and the IDX reader. Inputs: arbitrary
//! bytes, TOML-ish text built from the study files' own keys and values, mutations of every
//! committed study file and claims file (lines deleted, duplicated or swapped, values swapped or
//! replaced by a wrong type, a huge number or unicode), and mutated headers, sizes and lengths of
//! a small valid IDX file built here.
//!
//! The property: nothing panics, and every rejection is an error that says where: a study or
//! claims file's `file:line:column:` (line and column from 1; a claim's rule errors are placed at
//! their check's `[[claim.check]]`), an IDX file's name.
//!
//! Bounded: `PROPTEST_CASES` cases per property (default [`CASES`]), about 25 s in all in a
//! release build on two busy cores. A failing input proptest finds is saved in
//! `tests/it/fuzz_parsers.proptest-regressions` (committed) and replayed first on every run; each
//! bug found is also a plain #[test] where it was fixed (`study::spec`'s
//! `a_huge_seed_count_is_an_error_not_an_allocation_failure` and
//! `a_dotted_grid_axis_that_is_not_a_list_is_placed_at_its_key`, `claims::spec`'s
//! `a_rule_error_names_the_file_line_and_column_of_its_check`).

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::Config;
use trainbench::claims::spec::ClaimsFile;
use trainbench::data::idx;
use trainbench::study::{spec, Overrides};

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 4000;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    Config {
        cases,
        // A rejection is the expected outcome for most inputs, not a reason to stop.
        max_global_rejects: cases * 10,
        ..Config::default()
    }
}

const STUDY_PATH: &str = "fuzz/study.toml";
const CLAIMS_PATH: &str = "fuzz/claims.toml";

/// Whether `message` starts with `path:line:column: ` with a line and column from 1.
fn positioned(message: &str, path: &str) -> bool {
    let Some(rest) = message.strip_prefix(path).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    let mut fields = rest.splitn(3, ':');
    let number = |f: Option<&str>| {
        f.and_then(|f| f.parse::<usize>().ok())
            .is_some_and(|n| n >= 1)
    };
    number(fields.next())
        && number(fields.next())
        && fields.next().is_some_and(|r| r.starts_with(' '))
}

/// Parses a study file's text; an error must say file:line:column.
fn check_study(text: &str, quick: bool) -> Result<(), TestCaseError> {
    let overrides = Overrides {
        quick,
        ..Overrides::default()
    };
    if let Err(e) = spec::parse(Path::new(STUDY_PATH), text, overrides) {
        let message = e.to_string();
        prop_assert!(
            positioned(&message, STUDY_PATH),
            "a study-file error without file:line:column: {message}\n--- input:\n{text}"
        );
    }
    Ok(())
}

/// Parses a claims file's text; a TOML error must say file:line:column, a rule's error the claim.
fn check_claims(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = ClaimsFile::parse(text, Path::new(CLAIMS_PATH)) {
        let message = e.to_string();
        prop_assert!(
            positioned(&message, CLAIMS_PATH),
            "a claims-file error without file:line:column: {message}\n--- input:\n{text}"
        );
    }
    Ok(())
}

fn committed(dir: &str, claims: bool) -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| (p.file_stem().unwrap() == "claims") == claims)
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    files.sort();
    files
}

/// Every committed study file (studies/ and studies/v1/).
fn study_files() -> Vec<(PathBuf, String)> {
    let mut files = committed("studies", false);
    files.extend(committed("studies/v1", false));
    files
}

/// Every committed claims file.
fn claims_files() -> Vec<(PathBuf, String)> {
    let mut files = committed("studies", true);
    files.extend(committed("studies/v1", true));
    files
}

/// Values of every type, huge and tiny numbers, and unicode.
fn odd_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("1e308".to_string()),
        Just("1e400".to_string()),
        Just("-1e-320".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("9223372036854775807".to_string()),
        Just("18446744073709551616".to_string()),
        Just("4294967296".to_string()),
        Just("100000000".to_string()),
        Just("true".to_string()),
        Just("\"\"".to_string()),
        Just("\"ünïcødé 🦀\"".to_string()),
        Just("\"\u{202e}adam\"".to_string()),
        Just("[]".to_string()),
        Just("[[]]".to_string()),
        Just("{}".to_string()),
        Just("{ name = \"adam\", learning_rate = -0.0 }".to_string()),
        Just("[1, \"two\", 3.0]".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        "\\PC{0,12}".prop_map(|s| format!("{s:?}")),
    ]
}

/// One edit of a file's lines.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// The value after `=` on one line replaced by another line's value.
    SwapValues(usize, usize),
    /// The value after `=` on one line replaced.
    SetValue(usize, String),
    /// Text inserted at a character position of a line.
    Insert(usize, usize, String),
    /// A line cut at a character position.
    Truncate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let index = any::<prop::sample::Index>;
    prop_oneof![
        index().prop_map(|i| Mutation::DeleteLine(i.index(usize::MAX))),
        index().prop_map(|i| Mutation::DuplicateLine(i.index(usize::MAX))),
        (index(), index())
            .prop_map(|(a, b)| Mutation::SwapLines(a.index(usize::MAX), b.index(usize::MAX))),
        (index(), index())
            .prop_map(|(a, b)| Mutation::SwapValues(a.index(usize::MAX), b.index(usize::MAX))),
        (index(), odd_value()).prop_map(|(a, v)| Mutation::SetValue(a.index(usize::MAX), v)),
        (index(), index(), "[\\PC\\[\\]{}=,\"#\\n]{1,4}").prop_map(|(a, b, s)| Mutation::Insert(
            a.index(usize::MAX),
            b.index(usize::MAX),
            s
        )),
        (index(), index())
            .prop_map(|(a, b)| Mutation::Truncate(a.index(usize::MAX), b.index(usize::MAX))),
    ]
}

/// `text` with `mutations` applied, in order.
fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        let value_of = |line: &str| line.split_once('=').map(|(_, v)| v.to_string());
        match m {
            Mutation::DeleteLine(i) => {
                lines.remove(i % n);
            }
            Mutation::DuplicateLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
            Mutation::SwapValues(a, b) => {
                if let (Some(va), Some(vb)) = (value_of(&lines[a % n]), value_of(&lines[b % n])) {
                    let key_a = lines[a % n].split_once('=').unwrap().0.to_string();
                    let key_b = lines[b % n].split_once('=').unwrap().0.to_string();
                    lines[a % n] = format!("{key_a}={vb}");
                    lines[b % n] = format!("{key_b}={va}");
                }
            }
            Mutation::SetValue(a, v) => {
                if let Some((key, _)) = lines[a % n].split_once('=') {
                    lines[a % n] = format!("{key}= {v}");
                }
            }
            Mutation::Insert(a, at, s) => {
                let line = &lines[a % n];
                let chars: Vec<char> = line.chars().collect();
                let at = at % (chars.len() + 1);
                let mut new: String = chars[..at].iter().collect();
                new.push_str(s);
                new.extend(&chars[at..]);
                lines[a % n] = new;
            }
            Mutation::Truncate(a, at) => {
                let line = &lines[a % n];
                let at = at % (line.chars().count() + 1);
                lines[a % n] = line.chars().take(at).collect();
            }
        }
    }
    lines.join("\n")
}

/// TOML-ish text from the study files' own vocabulary.
fn tomlish() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("seeds"),
        Just("epochs"),
        Just("batch_size"),
        Just("train_subset"),
        Just("optimizer"),
        Just("hidden"),
        Just("activation"),
        Just("initializer"),
        Just("baseline"),
        Just("description"),
        Just("learning_rate"),
        Just("numerics"),
        Just("dataset"),
        Just("schedule"),
        Just("dropout"),
        Just("batch_norm"),
        Just("label"),
        Just("rate"),
        Just("name"),
        Just("kind"),
    ];
    let header = prop_oneof![
        Just("[base]"),
        Just("[base.model]"),
        Just("[grid]"),
        Just("[[grid.variant]]"),
        Just("[quick]"),
        Just("[tune]"),
        Just("[seed_axes]"),
        Just("[[claim]]"),
        Just("[[claim.check]]"),
    ];
    let line = prop_oneof![
        3 => (key, odd_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => header.prop_map(str::to_string),
        1 => "\\PC{0,20}",
    ];
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

/// A valid IDX images file of 3 images of 2×2 and its labels file.
fn idx_files() -> (Vec<u8>, Vec<u8>) {
    let mut images = Vec::new();
    for field in [idx::IMAGES_MAGIC, 3, 2, 2] {
        images.extend(field.to_be_bytes());
    }
    images.extend(0..12u8);
    let mut labels = Vec::new();
    for field in [idx::LABELS_MAGIC, 3] {
        labels.extend(field.to_be_bytes());
    }
    labels.extend([0, 5, 9]);
    (images, labels)
}

/// One edit of an IDX file's bytes.
#[derive(Debug, Clone)]
enum ByteEdit {
    /// A header field (u32, big-endian) set.
    Field(usize, u32),
    /// The file cut to a length.
    Truncate(usize),
    /// Bytes appended.
    Append(Vec<u8>),
    /// One byte set.
    Set(usize, u8),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    let field_value = prop_oneof![
        Just(0u32),
        Just(1),
        Just(2),
        Just(3),
        Just(4),
        Just(u32::MAX),
        Just(0x803),
        Just(0x801),
        Just(0x8000_0000),
        any::<u32>(),
    ];
    prop_oneof![
        (0..4usize, field_value).prop_map(|(f, v)| ByteEdit::Field(f, v)),
        (0..40usize).prop_map(ByteEdit::Truncate),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(ByteEdit::Append),
        (0..40usize, any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
    ]
}

fn edit_bytes(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for edit in edits {
        match edit {
            ByteEdit::Field(f, v) => {
                if bytes.len() >= 4 * f + 4 {
                    bytes[4 * f..4 * f + 4].copy_from_slice(&v.to_be_bytes());
                }
            }
            ByteEdit::Truncate(n) => bytes.truncate(*n),
            ByteEdit::Append(more) => bytes.extend(more),
            ByteEdit::Set(i, b) => {
                if let Some(x) = bytes.get_mut(*i) {
                    *x = *b;
                }
            }
        }
    }
    bytes
}

/// An IDX file's bytes; an error must be a corrupt-data error naming the file.
fn check_idx(images: &[u8], labels: &[u8]) -> Result<(), TestCaseError> {
    let (images_path, labels_path) = (
        Path::new("fuzz/train-images-idx3-ubyte"),
        Path::new("fuzz/train-labels-idx1-ubyte"),
    );
    let parsed_images = idx::parse_images(images_path, images);
    let parsed_labels = idx::parse_labels(labels_path, labels);
    match &parsed_images {
        Ok(im) => prop_assert_eq!(im.pixels.len(), im.count * im.rows * im.cols),
        Err(e) => {
            let message = e.to_string();
            prop_assert!(
                message.starts_with("corrupt data file fuzz/train-images-idx3-ubyte: "),
                "{}",
                message
            );
        }
    }
    match &parsed_labels {
        Ok(l) => prop_assert!(l.iter().all(|&c| c < idx::CLASSES)),
        Err(e) => {
            let message = e.to_string();
            prop_assert!(
                message.starts_with("corrupt data file fuzz/train-labels-idx1-ubyte: "),
                "{}",
                message
            );
        }
    }
    if let (Ok(im), Ok(l)) = (parsed_images, parsed_labels) {
        if let Err(e) = idx::check_pair(labels_path, &im, l, 4) {
            let message = e.to_string();
            prop_assert!(
                message.starts_with("corrupt data file fuzz/train-labels-idx1-ubyte: "),
                "{}",
                message
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn study_parser_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400), quick in any::<bool>()) {
        check_study(&String::from_utf8_lossy(&bytes), quick)?;
    }

    #[test]
    fn study_parser_survives_tomlish_text(text in tomlish(), quick in any::<bool>()) {
        check_study(&text, quick)?;
    }

    #[test]
    fn study_parser_survives_mutated_study_files(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
        quick in any::<bool>(),
    ) {
        let files = study_files();
        let (_, text) = &files[file.index(files.len())];
        check_study(&mutate(text, &mutations), quick)?;
    }

    #[test]
    fn claims_parser_survives_arbitrary_bytes_and_tomlish_text(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        text in tomlish(),
    ) {
        check_claims(&String::from_utf8_lossy(&bytes))?;
        check_claims(&text)?;
    }

    #[test]
    fn claims_parser_survives_mutated_claims_files(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let files = claims_files();
        let (_, text) = &files[file.index(files.len())];
        check_claims(&mutate(text, &mutations))?;
    }

    #[test]
    fn idx_reader_survives_mutated_files(
        image_edits in prop::collection::vec(byte_edit(), 0..4),
        label_edits in prop::collection::vec(byte_edit(), 0..4),
    ) {
        let (images, labels) = idx_files();
        check_idx(&edit_bytes(images, &image_edits), &edit_bytes(labels, &label_edits))?;
    }

    #[test]
    fn idx_reader_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_idx(&bytes, &bytes)?;
    }
}

#[test]
fn the_committed_files_parse_and_the_unmutated_idx_files_read() {
    // The mutations start from valid inputs, so what they find is the mutation's doing.
    for (path, text) in study_files() {
        spec::parse(&path, &text, Overrides::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for (path, text) in claims_files() {
        ClaimsFile::parse(&text, &path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let (images, labels) = idx_files();
    let im = idx::parse_images(Path::new("i"), &images).unwrap();
    let l = idx::parse_labels(Path::new("l"), &labels).unwrap();
    idx::check_pair(Path::new("l"), &im, l, 4).unwrap();
    assert!(positioned("fuzz/study.toml:3:7: x", STUDY_PATH));
    assert!(!positioned("fuzz/study.toml:0:0: x", STUDY_PATH));
    assert!(!positioned("invalid claim x: y", CLAIMS_PATH));
}
