//! `trainbench figures`: every analytic figure renders; the optimizer paths come from the
//! library's optimizers (gradient descent and momentum checked against their closed forms); the
//! recorded figures render from results tables and are skipped, with a message naming what is
//! missing, when those are absent or incomplete; the trained figures run on synthetic data; the
//! same inputs give byte-identical files; `--strict` alone turns a skip into a failure.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use trainbench::data;
use trainbench::figures::analytic::{optimizer_path, BOWL_KAPPA};
use trainbench::figures::{self, DataSource, Options, Outcome};
use trainbench::results::{store, EpochRecord, RunRecord};
use trainbench::zoo::optim::{Momentum, OptimizerConfig, Sgd};

const ANALYTIC: [&str; 6] = [
    "sigmoid_saturation",
    "leaky_relu",
    "elu_selu",
    "gelu_swish_mish",
    "optimizer_paths",
    "one_cycle_schedule",
];

const RECORDED: [&str; 6] = [
    "learning_rate_curves",
    "activation_std_depth",
    "sigmoid_saturation_depth",
    "grad_norms_init",
    "transfer_gains",
    "transfer_best_of_k",
];

fn options(results: &Path, out: &Path, only: &[&str]) -> Options {
    Options {
        results: results.to_path_buf(),
        out: out.to_path_buf(),
        studies: Path::new(env!("CARGO_MANIFEST_DIR")).join("studies"),
        // Tests never look for the real data: synthetic images of the same shape.
        data: DataSource::Given(Arc::new(data::synthetic(6000, 200, 300, 7))),
        only: only.iter().map(|s| s.to_string()).collect(),
        device: trainbench::device::Compute::Cpu,
    }
}

fn run(options: Options) -> Vec<(&'static str, Outcome)> {
    figures::run(options, |_, _| {}).expect("figures run")
}

fn assert_written(outcomes: &[(&str, Outcome)], out: &Path) {
    for (name, outcome) in outcomes {
        match outcome {
            Outcome::Written { files, .. } => {
                assert_eq!(files.len(), 2, "{name}");
                let png = std::fs::read(out.join(format!("{name}.png"))).unwrap();
                assert_eq!(&png[1..4], b"PNG", "{name}");
                assert!(png.len() > 10_000, "{name}.png: {} bytes", png.len());
                let svg = std::fs::read_to_string(out.join(format!("{name}.svg"))).unwrap();
                assert!(svg.starts_with("<svg"), "{name}.svg");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn every_analytic_figure_renders_as_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("figures");
    let outcomes = run(options(&dir.path().join("no-results"), &out, &ANALYTIC));
    assert_eq!(outcomes.len(), ANALYTIC.len());
    assert_written(&outcomes, &out);
    let svg = |name: &str| std::fs::read_to_string(out.join(format!("{name}.svg"))).unwrap();
    assert!(svg("gelu_swish_mish").contains("Swish (β = 0.6)"));
    assert!(
        svg("optimizer_paths").contains("AdaGrad") && svg("optimizer_paths").contains("Nesterov")
    );
    assert!(svg("elu_selu").contains("SELU"));
    assert!(svg("one_cycle_schedule").contains("momentum"));
}

#[test]
fn gradient_descent_and_momentum_paths_follow_their_closed_forms() {
    let eta = 0.05f64;
    let start = (-4.0f32, 1.5f32);
    let gd = optimizer_path(&OptimizerConfig::new(Sgd { learning_rate: eta }), start, 8).unwrap();
    assert_eq!(gd.len(), 9, "the start and 8 steps");
    let kappa = f64::from(BOWL_KAPPA);
    for (t, &(x, y)) in gd.iter().enumerate() {
        // θ₁ ← (1 − η)θ₁, θ₂ ← (1 − ηκ)θ₂ on f = θ₁²/2 + κθ₂²/2.
        let ex = f64::from(start.0) * (1.0 - eta).powi(t as i32);
        let ey = f64::from(start.1) * (1.0 - eta * kappa).powi(t as i32);
        assert!(
            (x - ex).abs() < 1e-5 && (y - ey).abs() < 1e-5,
            "step {t}: ({x}, {y}) vs ({ex}, {ey})"
        );
    }
    // Momentum: m ← βm − ηg, θ ← θ + m, from the same start.
    let beta = 0.9;
    let momentum = OptimizerConfig::new(Momentum {
        learning_rate: eta,
        momentum: beta,
    });
    let path = optimizer_path(&momentum, start, 6).unwrap();
    let (mut theta, mut m) = ([f64::from(start.0), f64::from(start.1)], [0.0f64; 2]);
    for (t, &(x, y)) in path.iter().enumerate().skip(1) {
        let g = [theta[0], kappa * theta[1]];
        for i in 0..2 {
            m[i] = beta * m[i] - eta * g[i];
            theta[i] += m[i];
        }
        assert!(
            (x - theta[0]).abs() < 1e-5 && (y - theta[1]).abs() < 1e-5,
            "momentum step {t}: ({x}, {y}) vs {theta:?}"
        );
    }
    // The adaptive ones really are other optimizers: their paths differ from plain descent's.
    let adam = optimizer_path(&OptimizerConfig::default_for("adam").unwrap(), start, 3).unwrap();
    let sgd = optimizer_path(&OptimizerConfig::default_for("sgd").unwrap(), start, 3).unwrap();
    assert_ne!(adam, sgd);
    // Adam's first step moves each coordinate by about η whatever the gradient's scale.
    let first = adam[1];
    assert!(
        (first.0 - f64::from(start.0) - 0.001).abs() < 1e-5,
        "{first:?}"
    );
    assert!(
        (first.1 - f64::from(start.1) + 0.001).abs() < 1e-5,
        "{first:?}"
    );
}

#[test]
fn missing_results_are_skipped_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("figures");
    let outcomes = run(options(&dir.path().join("nothing"), &out, &RECORDED));
    assert_eq!(outcomes.len(), RECORDED.len());
    for (name, outcome) in &outcomes {
        let Outcome::Skipped(why) = outcome else {
            panic!("{name}: {outcome:?}");
        };
        assert!(why.contains("no results in"), "{name}: {why}");
        assert!(!out.join(format!("{name}.png")).exists());
    }
    let why = |n: &str| match &outcomes.iter().find(|o| o.0 == n).unwrap().1 {
        Outcome::Skipped(w) => w.clone(),
        _ => unreachable!(),
    };
    assert!(why("learning_rate_curves").contains("v1/schedules"));
    assert!(why("transfer_best_of_k").contains("transfer"));

    // Incomplete results: the cells that are missing are named.
    let results = dir.path().join("partial");
    let runs = vec![
        record(
            "transfer",
            &[("classes", "[5, 6]"), ("variant", "scratch")],
            0,
            0.9,
            vec![],
        ),
        record(
            "transfer",
            &[("classes", "[5, 6]"), ("variant", "transfer")],
            0,
            0.95,
            vec![],
        ),
    ];
    store::save(&results.join("transfer"), &runs, &[]).unwrap();
    let outcomes = run(options(&results, &out, &["transfer_gains"]));
    let Outcome::Skipped(why) = &outcomes[0].1 else {
        panic!("{:?}", outcomes[0]);
    };
    assert!(
        why.contains("classes=[0, 6], variant=scratch")
            && why.contains("classes=[7, 9], variant=transfer"),
        "{why}"
    );
    assert!(!why.contains("classes=[5, 6]"), "{why}");
}

/// A run of `study` in the cell with `axes`.
fn record(
    study: &str,
    axes: &[(&str, &str)],
    seed: u64,
    test_acc: f64,
    extra: Vec<(String, f64)>,
) -> RunRecord {
    let label = axes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    RunRecord {
        study: study.into(),
        cell_id: format!(
            "{:016x}",
            label
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        ),
        cell_label: label,
        axes: axes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        seed,
        seed_streams: vec![],
        tuned: vec![],
        config_json: "{}".into(),
        dataset: "fashion-mnist".into(),
        dataset_sha256: "0".into(),
        epochs_run: 3,
        best_epoch: 3,
        final_train_loss: 0.5,
        final_train_acc: 0.8,
        final_val_loss: 0.5,
        final_val_acc: 0.8,
        best_val_loss: 0.5,
        best_val_acc: 0.8,
        test_loss: 0.5,
        test_acc,
        diverged: false,
        diverged_step: None,
        wall_seconds: 1.0,
        samples_per_sec: 1.0,
        trainbench_version: "0".into(),
        git_commit: "test".into(),
        dfdx_version: "0.13".into(),
        device: "cpu".into(),
        started_at: "2025-01-01T00:00:00Z".into(),
        numerics: 1,
        cpu_path: String::new(),
        extra,
    }
}

fn epoch(run: &RunRecord, epoch: u32, val_loss: f64, extra: Vec<(String, f64)>) -> EpochRecord {
    EpochRecord {
        study: run.study.clone(),
        cell_id: run.cell_id.clone(),
        seed: run.seed,
        epoch,
        train_loss: val_loss,
        train_acc: 0.8,
        val_loss,
        val_acc: 0.8,
        learning_rate: 0.01,
        wall_seconds: 1.0,
        extra,
    }
}

/// Per-layer values `<prefix>.001…` (`layers` of them) from `f(layer)`.
fn per_layer(prefix: &str, layers: usize, f: impl Fn(usize) -> f64) -> Vec<(String, f64)> {
    (1..=layers)
        .map(|l| (format!("{prefix}.{l:03}"), f(l)))
        .collect()
}

/// Small, complete results for every recorded figure, under `root`.
fn fake_results(root: &Path) {
    // schedules: three constant learning rates, 3 seeds × 4 epochs.
    let (mut runs, mut epochs) = (Vec::new(), Vec::new());
    for (i, v) in [
        "constant_0.01",
        "constant_0.03",
        "constant_0.1",
        "one_cycle",
    ]
    .iter()
    .enumerate()
    {
        for seed in 0..3 {
            let r = record("schedules", &[("variant", v)], seed, 0.85, vec![]);
            for e in 1..=4 {
                let loss = 0.4 + 0.5 / (e as f64 * (1.0 + i as f64)) + 0.01 * seed as f64;
                epochs.push(epoch(&r, e, loss, vec![]));
            }
            runs.push(r);
        }
    }
    // Version 1's schedules study (results/v1): the fair re-run tunes the constant rate instead.
    store::save(&root.join("v1").join("schedules"), &runs, &epochs).unwrap();

    // selu: 100 layers, init and per-epoch diagnostics; one ReLU run diverged.
    let (mut runs, mut epochs) = (Vec::new(), Vec::new());
    for (v, growth) in [("selu", 1.0), ("relu_he", 1.03), ("selu_dropout", 0.98)] {
        for seed in 0..3u64 {
            let wobble = 1.0 + 0.05 * seed as f64;
            let init = per_layer("init.act_std", 100, |l| wobble * growth_f(growth, l));
            let mut r = record("selu", &[("variant", v)], seed, 0.8, init);
            r.diverged = v == "relu_he" && seed == 2;
            for e in 1..=2 {
                let diag = if r.diverged && e == 2 {
                    per_layer("act_std", 100, |_| f64::NAN)
                } else {
                    per_layer("act_std", 100, |l| wobble * growth_f(growth, l) * 0.9)
                };
                epochs.push(epoch(&r, e, 0.5, diag));
            }
            runs.push(r);
        }
    }
    store::save(&root.join("selu"), &runs, &epochs).unwrap();

    // initializers: the 3 × 3 grid, 2 seeds, init diagnostics of 20 hidden layers.
    let mut runs = Vec::new();
    for act in ["sigmoid", "tanh", "relu"] {
        for init in ["standard_normal", "glorot_uniform", "he_normal"] {
            for seed in 0..2u64 {
                let s = seed as f64;
                let mut extra = per_layer("init.act_std", 20, |l| 0.43 + 0.001 * (l as f64 + s));
                extra.extend(per_layer("init.act_mean", 20, |l| {
                    0.5 + 0.01 * ((l % 3) as f64 - 1.0)
                }));
                extra.extend(per_layer("init.grad_norm", 21, |l| {
                    if act == "sigmoid" {
                        1e-4 * 1.6f64.powi(l as i32) * (1.0 + s)
                    } else {
                        0.5 + 0.01 * l as f64
                    }
                }));
                runs.push(record(
                    "initializers",
                    &[("model.activation", act), ("model.initializer", init)],
                    seed,
                    0.8,
                    extra,
                ));
            }
        }
    }
    store::save(&root.join("initializers"), &runs, &[]).unwrap();

    // transfer: 4 class pairs × {scratch, transfer} × 5 seeds.
    let mut runs = Vec::new();
    for (p, pair) in ["[5, 6]", "[0, 6]", "[2, 4]", "[7, 9]"].iter().enumerate() {
        for seed in 0..5u64 {
            let base = 0.85 + 0.01 * seed as f64;
            let gain = 0.01 * ((seed * 7 + p as u64 * 3) % 5) as f64 - 0.01;
            runs.push(record(
                "transfer",
                &[("classes", pair), ("variant", "scratch")],
                seed,
                base,
                vec![],
            ));
            runs.push(record(
                "transfer",
                &[("classes", pair), ("variant", "transfer")],
                seed,
                base + gain,
                vec![],
            ));
        }
    }
    store::save(&root.join("transfer"), &runs, &[]).unwrap();
}

fn growth_f(growth: f64, layer: usize) -> f64 {
    growth.powi(layer as i32)
}

#[test]
fn recorded_figures_render_from_results_and_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    fake_results(&results);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let names: Vec<&str> = RECORDED.iter().chain(&ANALYTIC).copied().collect();
    let first = run(options(&results, &a, &names));
    assert_written(&first, &a);
    let second = run(options(&results, &b, &names));
    assert_eq!(first.len(), second.len());
    for name in &names {
        for ext in ["png", "svg"] {
            let f = format!("{name}.{ext}");
            assert!(
                std::fs::read(a.join(&f)).unwrap() == std::fs::read(b.join(&f)).unwrap(),
                "{f} differs between two runs on the same results"
            );
        }
    }
    let note = |n: &str| match &first.iter().find(|o| o.0 == n).unwrap().1 {
        Outcome::Written { note, .. } => note.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        note("learning_rate_curves").contains("constant_0.1: 3 seeds"),
        "{}",
        note("learning_rate_curves")
    );
    assert!(
        note("activation_std_depth").contains("1 run(s) diverged"),
        "{}",
        note("activation_std_depth")
    );
    let svg = std::fs::read_to_string(a.join("transfer_best_of_k.svg")).unwrap();
    assert!(
        svg.contains("sandal vs shirt") && svg.contains("best of 5"),
        "the legend names pairs and n"
    );
    let svg = std::fs::read_to_string(a.join("grad_norms_init.svg")).unwrap();
    assert!(svg.contains("layer 1 / layer 21"));
}

#[test]
fn trained_figures_run_on_given_data_and_repeat_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let names = ["lr_range_test", "mc_dropout_spread"];
    let first = run(options(&dir.path().join("none"), &a, &names));
    assert_written(&first, &a);
    run(options(&dir.path().join("none"), &b, &names));
    for name in names {
        for ext in ["png", "svg"] {
            let f = format!("{name}.{ext}");
            assert!(
                std::fs::read(a.join(&f)).unwrap() == std::fs::read(b.join(&f)).unwrap(),
                "{f}"
            );
        }
    }
}

#[test]
fn the_mc_dropout_images_are_chosen_by_spread() {
    use trainbench::figures::trained::{choose_images, McImage};
    let image = |index: usize, label: u8, spread: f64| McImage {
        index,
        label,
        plain: vec![0.1; 10],
        passes: (0..10)
            .map(|p| {
                let mut v = vec![0.0; 10];
                let wiggle = if p % 2 == 0 { spread } else { -spread };
                v[label as usize] = 0.95 + wiggle.min(0.05);
                v[(label as usize + 1) % 10] = 0.05 - wiggle.min(0.05);
                v
            })
            .collect(),
    };
    let images: Vec<McImage> = vec![
        image(0, 1, 0.001),
        image(1, 2, 0.04),
        image(2, 2, 0.05),
        image(3, 3, 0.03),
        image(4, 4, 0.02),
        image(5, 5, 0.01),
    ];
    let chosen: Vec<usize> = choose_images(&images).iter().map(|i| i.index).collect();
    // The confident one first, then by spread, one image per class (image 1 shares image 2's).
    assert_eq!(chosen, [0, 2, 3, 4, 5]);
}

#[test]
fn unknown_figure_names_are_refused_and_strict_fails_on_a_skip() {
    let err = figures::select(&["nope".to_string()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no figure named 'nope'") && err.contains("transfer_best_of_k"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("empty");
    let out = dir.path().join("out");
    let args = |strict: bool| {
        let mut cmd = common::trainbench();
        cmd.args(["figures", "--results"])
            .arg(&results)
            .arg("--out")
            .arg(&out)
            .args(["--only", "transfer_gains,leaky_relu"]);
        if strict {
            cmd.arg("--strict");
        }
        cmd.output().unwrap()
    };
    let plain = args(false);
    let stdout = String::from_utf8_lossy(&plain.stdout);
    assert!(plain.status.success(), "{stdout}");
    assert!(
        stdout.contains("transfer_gains") && stdout.contains("SKIPPED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 written") && stdout.contains("1 skipped"),
        "{stdout}"
    );
    assert!(out.join("leaky_relu.png").is_file() && out.join("leaky_relu.svg").is_file());
    let strict = args(true);
    assert!(
        !strict.status.success(),
        "--strict fails when a figure is skipped"
    );
    assert!(
        !results.exists(),
        "figures never writes into the results it reads"
    );
}

/// Draws every figure from made-up results into /tmp/figures_preview for a person to look at
/// (run with --ignored).
#[test]
#[ignore]
fn preview() {
    let root = Path::new("/tmp/figures_preview");
    let _ = std::fs::remove_dir_all(root);
    fake_results(&root.join("results"));
    let outcomes = run(options(&root.join("results"), &root.join("figures"), &[]));
    for (name, outcome) in outcomes {
        eprintln!("{name}: {outcome:?}");
    }
}
