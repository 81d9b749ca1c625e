//! How much memory a study needs, estimated from its run configs before anything trains (issue
//! 17 item 1), and the check that refuses a study that cannot fit: a run that allocates more
//! than the machine has would otherwise abort the whole process (stable Rust aborts on a failed
//! allocation) after the other runs started. `--dry-run` prints the estimates.
//!
//! What a run holds at its peak, each term in bytes of f32 (4 bytes) unless said:
//! - **each layer's parameters**: kernel and bias, `(fan_in + 1) × units`, counted
//!   `2 + slots` times: the values, their gradient, and the optimizer's slots (0 for SGD, 1 for
//!   momentum, Nesterov, AdaGrad, RMSProp and Lion, 2 for the Adam family; a user's optimizer
//!   is assumed to keep 2), plus one more copy when early stopping keeps the best weights.
//!   Batch norm adds 4 per unit (γ, β, moving mean and variance) to its layer.
//! - **activations** at `batch_size`: every op's output is kept for the backward pass, and the
//!   backward pass makes a gradient of the same size: `2 × batch_size × Σ units × ops per
//!   layer` (dense, activation, and batch norm's normalized and scaled outputs, dropout's mask),
//!   plus the input batch.
//! - **evaluation**: batches of 1,000 images, forward only: two buffers of the widest layer (a
//!   convolution's: its patch matrix and its output).
//! - **the run's own data copies**: a standardized run copies the three splits, a run on some
//!   classes copies their images (counted as all of them), a drawn training subset copies it.
//! - **once per process**: the dataset as the runs read it (70,000 images of 784 f32 pixels,
//!   219.5 MB, and their labels) and the process itself ([`PROCESS_BYTES`]: code, allocator,
//!   threads, measured).
//!
//! A study at `--jobs J` needs the once-per-process terms plus its J largest runs (the runs in
//! flight at once). What is not counted (pretraining's first model, diagnostics, MC dropout's
//! probabilities) is small next to these for the chapter's networks or no larger than the run's
//! own model.
//!
//! A CNN's layers are counted the same way from the sizes its spec implies
//! ([`crate::model::ModelSpec::layer_shapes`]): its convolutions' kernels and biases, and among
//! the activations each convolution's output, its im2col patch matrix and its pooled output.

use crate::config::RunConfig;
use crate::error::{Error, Result};
use crate::study::grid::Cell;
use crate::study::Study;
use crate::train::{CLASSES, INPUTS};

/// Bytes of one f32.
const F32: u64 = 4;
/// Images of the dataset a process loads (Fashion-MNIST and MNIST: 60,000 + 10,000).
const DATASET_IMAGES: u64 = 70_000;
/// Rows per evaluation batch (`train::eval`).
const EVAL_BATCH: u64 = 1000;
/// The process apart from its data and runs: code, the allocator's arenas, thread stacks,
/// Parquet tables. Measured (2026-12-02, peak RSS by `/usr/bin/time -v`, `--jobs 1`): one run
/// of the chapter's 784-300-100-10 MLP with Adam peaked at 285.3 MB, of which the data and the
/// run account for about 221 and 12 MB.
pub const PROCESS_BYTES: u64 = 64 << 20;

/// One term of an estimate: what it counts, the setting that decides its size, and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// What is counted ("weights, gradients and 2 optimizer slots").
    pub what: String,
    /// The setting that makes it this large ("layer 1 (hidden = 300)", "batch_size = 32").
    pub setting: String,
    /// Bytes.
    pub bytes: u64,
}

/// A run's estimate: its terms and their sum (the once-per-process terms apart).
#[derive(Debug, Clone, PartialEq)]
pub struct RunEstimate {
    /// The terms, in the network's order.
    pub terms: Vec<Term>,
}

impl RunEstimate {
    /// Bytes in all.
    pub fn bytes(&self) -> u64 {
        self.terms.iter().map(|t| t.bytes).sum()
    }

    /// The largest term (the setting to change first).
    pub fn largest(&self) -> Option<&Term> {
        self.terms.iter().max_by_key(|t| t.bytes)
    }
}

/// Slots the optimizer keeps per parameter.
fn optimizer_slots(config: &RunConfig) -> u64 {
    match config.optimizer.name() {
        "sgd" => 0,
        "momentum" | "nesterov" | "adagrad" | "rmsprop" | "lion" => 1,
        "adam" | "adamw" | "adamax" | "nadam" => 2,
        // A user's optimizer: assumed to keep as much as Adam.
        _ => 2,
    }
}

/// Estimates one run of `config` (without the once-per-process terms).
pub fn estimate_run(config: &RunConfig) -> RunEstimate {
    let mut terms = model_terms(config);
    let copies = DATASET_IMAGES * INPUTS as u64 * F32;
    if config.standardize {
        terms.push(Term {
            what: "a standardized copy of the data".into(),
            setting: "standardize = true".into(),
            bytes: copies,
        });
    }
    if config.classes.is_some() {
        terms.push(Term {
            what: "a copy of its classes' images (at most all of them)".into(),
            setting: "classes".into(),
            bytes: copies,
        });
    }
    if let Some(n) = config.train_subset {
        if !config.train_subset_draw.is_first() {
            terms.push(Term {
                what: "a copy of the drawn training images".into(),
                setting: format!("train_subset = {n}"),
                bytes: n as u64 * INPUTS as u64 * F32,
            });
        }
    }
    RunEstimate { terms }
}

/// The model's terms, for either kind: its layers with weights come from
/// [`crate::model::ModelSpec::layer_shapes`] (a CNN's convolutions first, with their im2col
/// patch matrices and pooled outputs among the activations).
fn model_terms(config: &RunConfig) -> Vec<Term> {
    let spec = &config.model;
    let classes = config.classes.as_ref().map_or(CLASSES, Vec::len);
    let layers = spec.layer_shapes(INPUTS, classes);
    let slots = optimizer_slots(config);
    let keeps_best = config
        .early_stopping
        .as_ref()
        .is_some_and(|e| e.restore_best_weights);
    let copies = 2 + slots + u64::from(keeps_best);
    let what = format!(
        "weights, gradients{}{}",
        match slots {
            0 => String::new(),
            1 => ", 1 optimizer slot".into(),
            n => format!(", {n} optimizer slots"),
        },
        if keeps_best {
            ", the best epoch's copy"
        } else {
            ""
        }
    );
    let mut terms = Vec::new();
    for layer in &layers {
        let mut params = layer.parameters as u64;
        if spec.batch_norm.is_some() && !layer.is_output {
            params = params.saturating_add(4 * layer.channels as u64);
        }
        terms.push(Term {
            what: format!("{what} of {params} parameters"),
            setting: layer.name.clone(),
            bytes: params.saturating_mul(copies).saturating_mul(F32),
        });
    }
    // The backward pass makes each kernel's gradient in a fresh buffer before it replaces the
    // old one, and the allocator keeps freed buffers for reuse: one more copy of the largest
    // layer's parameters (this closed the gap to the measured peak, see PROCESS_BYTES).
    if let Some(largest) = terms.iter().max_by_key(|t| t.bytes).cloned() {
        terms.push(Term {
            what: "the backward pass's temporary gradient of the largest layer".into(),
            setting: largest.setting,
            bytes: largest.bytes / copies,
        });
    }
    // Outputs kept per value of a hidden layer: the product's output and the activation's,
    // batch norm's normalized and scaled outputs; a convolution also keeps its im2col patches
    // and its pooled output. Dropout keeps a mask of each dense layer's input.
    let per_unit = 2 + if spec.batch_norm.is_some() { 2 } else { 0 };
    let dropout = u64::from(spec.dropout.is_some());
    let hidden = layers.iter().filter(|l| !l.is_output);
    let kept: u64 = hidden
        .clone()
        .map(|l| {
            let pooled = if l.pooled != l.outputs { l.pooled } else { 0 };
            (l.outputs as u64 * per_unit).saturating_add((l.patches + pooled) as u64)
        })
        .sum();
    let dense_inputs: u64 = layers
        .iter()
        .filter(|l| l.patches == 0)
        .map(|l| l.inputs as u64)
        .sum();
    let units = kept
        .saturating_add(dense_inputs.saturating_mul(dropout))
        .saturating_add(classes as u64)
        .saturating_add(INPUTS as u64);
    let batch = config.batch_size as u64;
    // The layer that makes activations and evaluation buffers large: the widest one.
    let width = |l: &crate::model::LayerShape| l.outputs.max(l.patches) as u64;
    let widest = layers
        .iter()
        .map(width)
        .chain([INPUTS as u64])
        .max()
        .unwrap_or(0);
    let widest_setting = match hidden.clone().find(|l| width(l) == widest) {
        Some(l) => l.name.clone(),
        None if widest == INPUTS as u64 => format!("the {widest} inputs"),
        None => format!("the output layer ({widest} classes)"),
    };
    terms.push(Term {
        what: format!("activations and their gradients at batch_size = {batch}"),
        setting: format!("batch_size = {batch} through {widest_setting}"),
        bytes: batch
            .saturating_mul(units)
            .saturating_mul(2)
            .saturating_mul(F32),
    });
    // Evaluation holds an op's input and output at once: two buffers of the widest layer, or
    // a convolution's patch matrix and its product.
    let widest_output = layers
        .iter()
        .map(|l| l.outputs as u64)
        .chain([INPUTS as u64])
        .max()
        .unwrap_or(0);
    let conv_pair = layers
        .iter()
        .map(|l| (l.patches + if l.patches > 0 { l.outputs } else { 0 }) as u64)
        .max()
        .unwrap_or(0);
    terms.push(Term {
        what: format!("evaluation batches of {EVAL_BATCH} images (forward only)"),
        setting: widest_setting,
        bytes: EVAL_BATCH
            .saturating_mul(widest_output.saturating_mul(2).max(conv_pair))
            .saturating_mul(F32),
    });
    terms
}

/// The once-per-process bytes: the dataset and the process itself.
pub fn process_bytes() -> u64 {
    DATASET_IMAGES * (INPUTS as u64 * F32 + 1) + PROCESS_BYTES
}

/// A study's estimate at `jobs` runs at once.
#[derive(Debug, Clone)]
pub struct StudyEstimate {
    /// Each cell (evaluation cells, then any tuning candidates' cells) with its run's estimate.
    pub runs: Vec<(Cell, RunEstimate)>,
    /// Runs at once.
    pub jobs: usize,
    /// Runs of each cell (its seeds): the runs in flight at once may be seeds of one cell.
    pub seeds: usize,
}

impl StudyEstimate {
    /// The bytes of the whole process: the dataset and process once, plus the `jobs` largest runs.
    pub fn total(&self) -> u64 {
        let mut sizes: Vec<u64> = self
            .runs
            .iter()
            .flat_map(|(_, r)| std::iter::repeat_n(r.bytes(), self.seeds.max(1)))
            .collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes
            .iter()
            .take(self.jobs.max(1))
            .fold(process_bytes(), |sum, &b| sum.saturating_add(b))
    }

    /// The largest `jobs` at which the study fits in `limit` bytes (0: not even one run).
    pub fn jobs_that_fit(&self, limit: u64) -> usize {
        (1..=self.jobs)
            .rev()
            .find(|&j| {
                StudyEstimate {
                    runs: self.runs.clone(),
                    jobs: j,
                    seeds: self.seeds,
                }
                .total()
                    <= limit
            })
            .unwrap_or(0)
    }
}

/// Estimates every distinct cell of `study` (its tuning candidates too) at `jobs` runs at once.
pub fn estimate_study(study: &Study, jobs: usize) -> StudyEstimate {
    let mut cells: Vec<&Cell> = study.cells.iter().collect();
    if let Some(tuning) = &study.tuning {
        for arm in &tuning.arms {
            for candidate in &arm.candidates {
                cells.extend(candidate.cells.iter());
            }
        }
    }
    let mut runs: Vec<(Cell, RunEstimate)> = Vec::new();
    for cell in cells {
        if !runs.iter().any(|(c, _)| c.id == cell.id) {
            runs.push((cell.clone(), estimate_run(&cell.config)));
        }
    }
    StudyEstimate {
        runs,
        jobs,
        seeds: study.seeds.len(),
    }
}

/// "313.6 GB", "12.0 MB", "900 B" (decimal units, as `free -H` and the issue write them).
pub fn human(bytes: u64) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (unit, size) in UNITS {
        if bytes as f64 >= size {
            return format!("{:.1} {unit}", bytes as f64 / size);
        }
    }
    format!("{bytes} B")
}

/// Parses `--max-memory`: bytes with an optional k, M, G or T suffix (powers of 1000; `Ki`, `Mi`,
/// `Gi`, `Ti` for powers of 1024), e.g. "16G", "512MiB", "2.5GB".
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size: write e.g. 16G, 512M or 2.5GB"))?;
    let unit = unit.trim().trim_end_matches(['B', 'b']);
    let scale = match unit {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" | "m" => 1e6,
        "G" | "g" => 1e9,
        "T" | "t" => 1e12,
        "Ki" | "ki" => 1024.0,
        "Mi" | "mi" => 1024.0 * 1024.0,
        "Gi" | "gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" | "ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "'{text}': unknown unit '{unit}'; valid: k, M, G, T (powers of 1000) or Ki, Mi, \
                 Gi, Ti (powers of 1024)"
            ))
        }
    };
    Ok((value * scale) as u64)
}

/// The machine's available memory (`MemAvailable` of /proc/meminfo), if it can be read.
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The memory a study may use: `--max-memory` when given, else what the machine has available.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Bytes.
    pub bytes: u64,
    /// Whether it is `--max-memory` (else MemAvailable).
    pub from_option: bool,
}

impl Limit {
    /// `--max-memory` if given, else MemAvailable; None when neither is known.
    pub fn resolve(max_memory: Option<u64>) -> Option<Limit> {
        match max_memory {
            Some(bytes) => Some(Limit {
                bytes,
                from_option: true,
            }),
            None => available().map(|bytes| Limit {
                bytes,
                from_option: false,
            }),
        }
    }

    fn describe(&self) -> String {
        if self.from_option {
            format!("the {} of --max-memory", human(self.bytes))
        } else {
            format!(
                "the {} this machine has available (MemAvailable in /proc/meminfo; \
                 --max-memory sets another limit)",
                human(self.bytes)
            )
        }
    }
}

/// Refuses `estimate` when it does not fit in `limit`: a run that cannot fit even alone is named
/// with its largest term; a study whose runs fit one by one but not `jobs` at once is told the
/// `--jobs` that fits.
pub fn check(study_name: &str, estimate: &StudyEstimate, limit: Limit) -> Result<()> {
    let alone = process_bytes();
    if let Some((cell, run)) = estimate
        .runs
        .iter()
        .filter(|(_, r)| alone.saturating_add(r.bytes()) > limit.bytes)
        .max_by_key(|(_, r)| r.bytes())
    {
        let largest = run.largest().expect("a run has terms");
        return Err(Error::Memory(format!(
            "study {study_name}, cell {}: {} needs ~{} ({}); the run needs ~{} with the data, \
             more than {}",
            cell.label,
            largest.setting,
            human(largest.bytes),
            largest.what,
            human(alone.saturating_add(run.bytes())),
            limit.describe(),
        )));
    }
    let total = estimate.total();
    if total > limit.bytes {
        let fits = estimate.jobs_that_fit(limit.bytes);
        return Err(Error::Memory(format!(
            "study {study_name}: {} runs at once need ~{} with the data, more than {}; --jobs \
             {fits} fits",
            estimate.jobs,
            human(total),
            limit.describe()
        )));
    }
    Ok(())
}

/// The `--dry-run` lines: each cell's run, the total at `jobs`, and the limit.
pub fn describe(estimate: &StudyEstimate, limit: Option<Limit>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "memory, estimated from the configs (per run; largest term):"
    );
    for (cell, run) in &estimate.runs {
        let largest = run.largest().expect("a run has terms");
        let _ = writeln!(
            out,
            "  ~{:>9}  {}  ({}: ~{})",
            human(run.bytes()),
            cell.label,
            largest.setting,
            human(largest.bytes)
        );
    }
    let _ = writeln!(
        out,
        "  in all at --jobs {}: ~{} (the data and the process once, ~{}, and {} at once){}",
        estimate.jobs,
        human(estimate.total()),
        human(process_bytes()),
        if estimate.jobs <= 1 {
            "the largest run".to_string()
        } else {
            format!("the {} largest runs", estimate.jobs)
        },
        match limit {
            Some(l) if estimate.total() > l.bytes => format!("; MORE than {}", l.describe()),
            Some(l) => format!("; fits in {}", l.describe()),
            None => String::new(),
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::spec::parse;
    use crate::study::Overrides;

    fn study(model: &str, optimizer: &str) -> Study {
        let text = format!(
            "description = \"d\"\nseeds = 2\n[base]\nepochs = 1\nbatch_size = 32\n\
             optimizer = \"{optimizer}\"\nmodel = {model}\n"
        );
        parse(std::path::Path::new("m.toml"), &text, Overrides::default()).unwrap()
    }

    #[test]
    fn the_chapter_mlp_is_counted_term_by_term() {
        let s = study(
            r#"{ hidden = [300, 100], activation = "relu", initializer = "he_normal" }"#,
            "adam",
        );
        let run = estimate_run(&s.cells[0].config);
        // 785·300 + 301·100 + 101·10 parameters, values + gradients + 2 Adam slots.
        assert_eq!(run.terms[0].bytes, 785 * 300 * 4 * 4);
        assert_eq!(run.terms[1].bytes, 301 * 100 * 4 * 4);
        assert_eq!(run.terms[2].bytes, 101 * 10 * 4 * 4);
        assert_eq!(run.terms[0].setting, "layer 1 (hidden = 300)");
        // The largest layer's gradient once more, made before it replaces the old one.
        assert_eq!(run.terms[3].bytes, 785 * 300 * 4);
        assert_eq!(run.terms[3].setting, "layer 1 (hidden = 300)");
        // 32 × (2·400 units + 10 logits + 784 inputs), kept and its gradient.
        assert_eq!(run.terms[4].bytes, 32 * (800 + 10 + 784) * 2 * 4);
        assert_eq!(
            run.terms[4].setting,
            "batch_size = 32 through the 784 inputs"
        );
        assert_eq!(run.terms[5].bytes, 1000 * 784 * 2 * 4);
        assert_eq!(run.terms.len(), 6);
        let sgd = estimate_run(&study(r#"{ hidden = [300, 100] }"#, "sgd").cells[0].config);
        assert_eq!(sgd.terms[0].bytes, 785 * 300 * 2 * 4, "SGD keeps no slots");
    }

    #[test]
    fn a_very_wide_layer_is_refused_naming_the_layer_and_its_size() {
        let s = study(r#"{ hidden = [100000000] }"#, "sgd");
        let estimate = estimate_study(&s, 2);
        let limit = Limit {
            bytes: 128 << 30,
            from_option: true,
        };
        let e = check("wide", &estimate, limit).unwrap_err().to_string();
        // Its evaluation batches (1000 × 1e8 outputs, twice) are the largest part; its weights
        // and gradients (78.5e9 parameters, 8 bytes each) the next.
        assert!(
            e.contains("cell base: layer 1 (hidden = 100000000) needs ~800.0 GB (evaluation"),
            "{e}"
        );
        let run = &estimate.runs[0].1;
        assert_eq!(run.terms[0].bytes, 628_000_000_000);
        assert_eq!(run.terms[0].setting, "layer 1 (hidden = 100000000)");
        assert!(e.contains("--max-memory"), "{e}");
        // The chapter's network fits easily in the same limit, at any sensible --jobs.
        let chapter = estimate_study(&study(r#"{ hidden = [300, 100] }"#, "adam"), 16);
        check("chapter", &chapter, limit).unwrap();
    }

    #[test]
    fn a_cnn_counts_its_convolutions_patches_and_pooled_maps() {
        let s = study(r#"{ kind = "cnn" }"#, "sgd");
        let run = &estimate_study(&s, 1).runs[0].1;
        let settings: Vec<&str> = run.terms.iter().map(|t| t.setting.as_str()).collect();
        assert_eq!(settings[0], "conv layer 1 (filters = 6, kernel = 5)");
        assert_eq!(settings[2], "layer 3 (hidden = 120)");
        // Conv 1's kernel and bias (26 × 6 values) twice (values, gradients) in f32.
        assert_eq!(run.terms[0].bytes, 26 * 6 * 2 * 4);
        // Per image: conv 1 keeps 4,704 outputs twice, 19,600 patch values and 1,176 pooled;
        // conv 2 1,600 twice, 15,000 and 400; the dense layers 120 and 84 twice; 10 logits
        // and 784 pixels. At batch 32, with their gradients.
        let kept = 4704 * 2 + 19_600 + 1176 + 1600 * 2 + 15_000 + 400 + (120 + 84) * 2 + 10 + 784;
        let activations = run
            .terms
            .iter()
            .find(|t| t.what.starts_with("activations"))
            .unwrap();
        assert_eq!(activations.bytes, 32 * kept * 2 * 4);
        // The widest buffer is conv 1's patch matrix (784 positions × 25 values).
        assert_eq!(
            activations.setting,
            "batch_size = 32 through conv layer 1 (filters = 6, kernel = 5)"
        );
        // Evaluation: conv 1's patch matrix and output for 1,000 images.
        let eval = run
            .terms
            .iter()
            .find(|t| t.what.starts_with("evaluation"))
            .unwrap();
        assert_eq!(eval.bytes, 1000 * (19_600 + 4704) * 4);
        // A CNN too wide to fit is refused naming its convolution.
        let wide = study(
            r#"{ kind = "cnn", conv = [{ filters = 10000000 }] }"#,
            "sgd",
        );
        let limit = Limit {
            bytes: 128 << 30,
            from_option: true,
        };
        let e = check("wide", &estimate_study(&wide, 1), limit)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("conv layer 1 (filters = 10000000, kernel = 5)"),
            "{e}"
        );
    }

    #[test]
    fn runs_that_fit_alone_but_not_together_are_told_the_jobs_that_fit() {
        let s = study(r#"{ hidden = [300, 100] }"#, "adam");
        let one = estimate_study(&s, 1).total();
        let estimate = estimate_study(&s, 8);
        let limit = Limit {
            bytes: one + 10,
            from_option: true,
        };
        let e = check("s", &estimate, limit).unwrap_err().to_string();
        assert!(
            e.contains("8 runs at once") && e.contains("--jobs 1 fits"),
            "{e}"
        );
    }

    #[test]
    fn sizes_parse_with_units_and_say_what_is_valid() {
        assert_eq!(parse_size("16G").unwrap(), 16_000_000_000);
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("2.5GB").unwrap(), 2_500_000_000);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        let e = parse_size("3X").unwrap_err();
        assert!(e.contains("unknown unit 'X'") && e.contains("Gi"), "{e}");
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert_eq!(human(313_600_000_000), "313.6 GB");
    }
}
