//! Figures drawn from the studies' recorded results (every seed drawn, the aggregate on top):
//! learning curves at three constant learning rates (schedules), activation std through 100
//! layers (selu), sigmoid saturation through 20 layers and gradient norms at initialization
//! (initializers), and the transfer study's per-seed gains with what a cherry-picker keeping the
//! best of k tries would report (claim tl-1).

use plotters::style::RGBColor;

use super::{seed_counts, Context, Drawn, Problem, Tables, CLASS_NAMES};
use crate::plot::{
    self, colour, Anchor, Axis, Figure, LegendAt, Mark, Panel, Scale, Stroke, Swatch,
};
use crate::report::stats::{expected_best_of_k, median, paired};
use crate::results::RunRecord;

/// The bootstrap seed of the paired statistics (only the median and the diffs are drawn, which
/// do not depend on it).
const STATS_SEED: u64 = 20_170_825;

/// Validation loss per epoch of SGD at η = 0.01, 0.03 and 0.1 (schedules study).
pub fn learning_rate_curves(ctx: &mut Context, name: &str) -> Drawn {
    // Version 1's schedules study trained plain SGD at three fixed rates for every seed; the
    // fair re-run tunes the constant rate instead, so these curves come from results/v1.
    let t = ctx.study("v1/schedules")?;
    let rates = ["0.01", "0.03", "0.1"];
    let variants: Vec<String> = rates.iter().map(|r| format!("constant_{r}")).collect();
    let selectors: Vec<[(&str, &str); 1]> =
        variants.iter().map(|v| [("variant", v.as_str())]).collect();
    let selectors: Vec<&[(&str, &str)]> = selectors.iter().map(|s| &s[..]).collect();
    let cells = t.cells(&selectors)?;
    let mut chart_cells = Vec::new();
    for (rate, runs) in rates.iter().zip(&cells) {
        let curves: Vec<Vec<f64>> = runs
            .iter()
            .map(|r| t.epochs_of(r).iter().map(|e| e.val_loss).collect())
            .filter(|c: &Vec<f64>| !c.is_empty())
            .collect();
        if curves.is_empty() {
            return Err(Problem::Missing(format!(
                "v1/schedules: no per-epoch rows for variant=constant_{rate}"
            )));
        }
        chart_cells.push((
            format!("η = {rate} ({} seed{})", curves.len(), s(curves.len())),
            curves,
        ));
    }
    plot::learning_curves(
        &ctx.out().join(name),
        "Learning curves at three constant learning rates (plain SGD, version 1's schedules study)",
        "validation loss",
        &chart_cells,
    )?;
    Ok(format!("v1/schedules; {}", seed_counts(&variants, &cells)))
}

fn s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The per-layer values `<prefix>001`, `<prefix>002`, … of a run until the first absent one.
fn layers(get: impl Fn(&str) -> f64, prefix: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for layer in 1..=10_000 {
        let v = get(&format!("{prefix}{layer:03}"));
        if v.is_nan() {
            // NaN is what an absent column reads as; a diverged run's later layers are NaN too,
            // so look a little further before stopping.
            let more = (layer + 1..layer + 4).any(|l| !get(&format!("{prefix}{l:03}")).is_nan());
            if !more {
                break;
            }
        }
        out.push(v);
    }
    out
}

/// The init profile of `runs` under metric prefix `init.<what>.`.
fn init_profiles(runs: &[&RunRecord], what: &str) -> Vec<Vec<f64>> {
    runs.iter()
        .map(|r| layers(|n| r.extra_metric(n), &format!("init.{what}.")))
        .collect()
}

/// One cell's per-layer curves, one per seed.
struct Profile {
    label: String,
    colour: RGBColor,
    seeds: Vec<Vec<f64>>,
}

/// The mean over seeds per layer (of log10 on a log axis: the geometric mean), over finite
/// (and, on a log axis, positive) values.
fn layer_mean(seeds: &[Vec<f64>], log: bool) -> Vec<f64> {
    let depth = seeds.iter().map(Vec::len).max().unwrap_or(0);
    (0..depth)
        .map(|l| {
            let v: Vec<f64> = seeds
                .iter()
                .filter_map(|s| s.get(l).copied())
                .filter(|v| v.is_finite() && (!log || *v > 0.0))
                .map(|v| if log { v.log10() } else { v })
                .collect();
            if v.is_empty() {
                f64::NAN
            } else {
                let m = v.iter().sum::<f64>() / v.len() as f64;
                if log {
                    10f64.powf(m)
                } else {
                    m
                }
            }
        })
        .collect()
}

/// The finite (positive, on a log axis) range of the values, padded; None when there are none.
fn value_range<'a>(values: impl Iterator<Item = &'a f64>, log: bool) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && (!log || **v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if lo > hi {
        return None;
    }
    Some(if log {
        let (a, b) = (lo.log10(), hi.log10());
        let pad = ((b - a) * 0.06).max(0.05);
        (10f64.powf(a - pad), 10f64.powf(b + pad))
    } else {
        let pad = ((hi - lo) * 0.06).max(1e-3);
        (lo - pad, hi + pad)
    })
}

/// A panel of per-layer profiles: every seed thin, the mean thick.
/// The x axis of a through-depth panel: hidden layers 1..=depth.
fn depth_axis(depth: usize) -> Axis {
    Axis::integers(
        "hidden layer (1 = nearest the input)",
        0.5,
        depth as f64 + 0.5,
        11,
    )
}

fn depth_panel(title: &str, x: Axis, y: Axis, profiles: &[Profile]) -> Panel {
    let log = y.scale == Scale::Log;
    let mut p = Panel::new(title, x, y);
    for prof in profiles {
        for seed in &prof.seeds {
            let pts = seed
                .iter()
                .enumerate()
                .map(|(l, &v)| (l as f64 + 1.0, v))
                .collect();
            p.line(pts, Stroke::faint(prof.colour));
        }
    }
    for prof in profiles {
        let mean = layer_mean(&prof.seeds, log);
        let pts = mean
            .iter()
            .enumerate()
            .map(|(l, &v)| (l as f64 + 1.0, v))
            .collect();
        p.line(pts, Stroke::solid(prof.colour, 3));
        p.entry(
            prof.label.clone(),
            Swatch::Line(Stroke::solid(prof.colour, 3)),
        );
    }
    p.entry(
        if log {
            "thin: one seed; thick: geometric mean"
        } else {
            "thin: one seed; thick: mean"
        },
        Swatch::SeedsAndMean(RGBColor(90, 90, 90)),
    );
    p
}

/// How many seeds have a non-finite value somewhere.
fn non_finite(seeds: &[Vec<f64>]) -> usize {
    seeds
        .iter()
        .filter(|s| s.iter().any(|v| !v.is_finite()))
        .count()
}

/// Per-layer activation std through the 100-layer MLP, SELU + LeCun vs ReLU + He, at
/// initialization and after training (selu study).
pub fn activation_std_depth(ctx: &mut Context, name: &str) -> Drawn {
    let t = ctx.study("selu")?;
    let labels = ["SELU + LeCun normal", "ReLU + He normal"];
    let cells = t.cells(&[&[("variant", "selu")], &[("variant", "relu_he")]])?;
    let init: Vec<Vec<Vec<f64>>> = cells.iter().map(|r| init_profiles(r, "act_std")).collect();
    if init.iter().flatten().all(Vec::is_empty) {
        return Err(Problem::Missing(
            "selu: the runs have no init.act_std.* metrics (recorded without diagnostics)".into(),
        ));
    }
    // The last recorded epoch of each run.
    let mut last_epoch = 0;
    let after: Vec<Vec<Vec<f64>>> = cells
        .iter()
        .map(|runs| {
            runs.iter()
                .filter_map(|r| {
                    let epochs = t.epochs_of(r);
                    let e = epochs.last()?;
                    last_epoch = last_epoch.max(e.epoch);
                    let v = layers(|n| e.diagnostic(n), "act_std.");
                    (!v.is_empty()).then_some(v)
                })
                .collect()
        })
        .collect();
    let depth = init
        .iter()
        .chain(&after)
        .flatten()
        .map(Vec::len)
        .max()
        .unwrap_or(1);
    let all = init.iter().chain(&after).flatten().flatten();
    let (lo, hi) = value_range(all, true).unwrap_or((0.1, 10.0));
    let x_axis = || depth_axis(depth);
    let y_axis = || Axis::log("std of the layer's activations", lo, hi);
    let profiles = |sets: &[Vec<Vec<f64>>]| -> Vec<Profile> {
        labels
            .iter()
            .zip(sets)
            .enumerate()
            .map(|(i, (l, seeds))| Profile {
                label: format!("{l} ({} seed{})", seeds.len(), s(seeds.len())),
                colour: colour(i),
                seeds: seeds.clone(),
            })
            .collect()
    };
    let mut panels = vec![depth_panel(
        "at initialization",
        x_axis(),
        y_axis(),
        &profiles(&init),
    )];
    let mut note = format!(
        "selu; {}",
        seed_counts(&["selu".to_string(), "relu_he".to_string()], &cells)
    );
    let broken = after.iter().map(|a| non_finite(a)).sum::<usize>();
    if after.iter().all(Vec::is_empty) {
        let mut p = Panel::new("after training", x_axis(), y_axis());
        p.text(
            "no per-epoch diagnostics recorded",
            (depth as f64 / 2.0, (lo * hi).sqrt()),
            16,
            RGBColor(120, 120, 120),
            Anchor::Centre,
        );
        panels.push(p);
        note.push_str("; no per-epoch diagnostics");
    } else {
        let mut p = depth_panel(
            &format!("after training (epoch {last_epoch})"),
            x_axis(),
            y_axis(),
            &profiles(&after),
        );
        let diverged = cells.iter().flatten().filter(|r| r.diverged).count();
        if broken + diverged > 0 {
            p.entry(
                format!("{diverged} run(s) diverged; lines break at non-finite values"),
                Swatch::Cross(RGBColor(220, 0, 0)),
            );
            note.push_str(&format!("; {diverged} run(s) diverged"));
        }
        panels.push(p);
    }
    for p in &mut panels {
        p.mark(Mark::HLine {
            y: 1.0,
            stroke: Stroke::dashed(RGBColor(110, 110, 110), 1),
        });
        p.legend_at = LegendAt::Auto;
    }
    let fig = Figure {
        title: format!(
            "Activation std through {depth} layers: SELU + LeCun normal vs ReLU + He normal"
        ),
        size: (1300, 620),
        grid: (1, 2),
        panels,
        note: "selu study: diagnostics on 500 validation images (standardized inputs), at \
               initialization and after the last epoch; dashed: std = 1."
            .into(),
    };
    fig.write(ctx.out(), name)?;
    Ok(note)
}

/// Sigmoid with N(0, 1) init: per-layer activation std and mean at initialization, against
/// Glorot init when recorded (initializers study).
pub fn sigmoid_saturation_depth(ctx: &mut Context, name: &str) -> Drawn {
    let t = ctx.study("initializers")?;
    let normal: &[(&str, &str)] = &[
        ("model.activation", "sigmoid"),
        ("model.initializer", "standard_normal"),
    ];
    let glorot: &[(&str, &str)] = &[
        ("model.activation", "sigmoid"),
        ("model.initializer", "glorot_uniform"),
    ];
    let cells = t.cells(&[normal])?;
    let mut sets = vec![("sigmoid + N(0, 1)", cells[0].clone())];
    let contrast = t.cell(glorot);
    let mut note = format!(
        "initializers; sigmoid+standard_normal: {} seeds",
        cells[0].len()
    );
    if contrast.is_empty() {
        note.push_str("; sigmoid+glorot_uniform not recorded (drawn without it)");
    } else {
        note.push_str(&format!(
            "; sigmoid+glorot_uniform: {} seeds",
            contrast.len()
        ));
        sets.push(("sigmoid + Glorot uniform", contrast));
    }
    let stds: Vec<Vec<Vec<f64>>> = sets
        .iter()
        .map(|(_, r)| init_profiles(r, "act_std"))
        .collect();
    let means: Vec<Vec<Vec<f64>>> = sets
        .iter()
        .map(|(_, r)| init_profiles(r, "act_mean"))
        .collect();
    if stds[0].iter().all(Vec::is_empty) || means[0].iter().all(Vec::is_empty) {
        return Err(Problem::Missing(
            "initializers: sigmoid+standard_normal runs have no init.act_std.* / init.act_mean.* \
             metrics (recorded without diagnostics)"
                .into(),
        ));
    }
    let depth = stds.iter().flatten().map(Vec::len).max().unwrap_or(1);
    let profiles = |values: &[Vec<Vec<f64>>]| -> Vec<Profile> {
        sets.iter()
            .zip(values)
            .enumerate()
            .map(|(i, ((l, _), seeds))| Profile {
                label: format!("{l} ({} seed{})", seeds.len(), s(seeds.len())),
                colour: colour(if i == 0 { 3 } else { 0 }),
                seeds: seeds.clone(),
            })
            .collect()
    };
    let x_axis = || depth_axis(depth);
    let mut std_panel = depth_panel(
        "std of each layer's outputs",
        x_axis(),
        Axis::linear("std of the sigmoid outputs", 0.0, 0.8),
        &profiles(&stds),
    );
    std_panel.mark(Mark::HLine {
        y: 0.5,
        stroke: Stroke::dashed(RGBColor(180, 30, 30), 2),
    });
    std_panel.entry(
        "0.5: every output at 0 or 1 (fully saturated)",
        Swatch::Line(Stroke::dashed(RGBColor(180, 30, 30), 2)),
    );
    std_panel.legend_at = LegendAt::UpperRight;
    let mut mean_panel = depth_panel(
        "mean of each layer's outputs",
        x_axis(),
        Axis::linear("mean of the sigmoid outputs", 0.0, 1.0),
        &profiles(&means),
    );
    // The left panel's legend names both.
    mean_panel.legend.clear();
    mean_panel.mark(Mark::HLine {
        y: 0.5,
        stroke: Stroke::dashed(RGBColor(110, 110, 110), 1),
    });
    let fig = Figure {
        title: "Sigmoid with N(0, 1) weights: each layer's outputs at initialization (std 0.5 = all at 0 or 1)"
            .into(),
        size: (1300, 620),
        grid: (1, 2),
        panels: vec![std_panel, mean_panel],
        note: "initializers study (20 hidden layers of 100 units): diagnostics at initialization \
               on 500 validation images."
            .into(),
    };
    fig.write(ctx.out(), name)?;
    Ok(note)
}

/// Per-layer gradient norms at initialization: sigmoid + N(0, 1) vs ReLU + He (initializers).
pub fn grad_norms_init(ctx: &mut Context, name: &str) -> Drawn {
    let t = ctx.study("initializers")?;
    let wanted: [(&str, &[(&str, &str)]); 2] = [
        (
            "sigmoid + N(0, 1)",
            &[
                ("model.activation", "sigmoid"),
                ("model.initializer", "standard_normal"),
            ],
        ),
        (
            "ReLU + He normal",
            &[
                ("model.activation", "relu"),
                ("model.initializer", "he_normal"),
            ],
        ),
    ];
    let selectors: Vec<&[(&str, &str)]> = wanted.iter().map(|w| w.1).collect();
    let cells = t.cells(&selectors)?;
    let norms: Vec<Vec<Vec<f64>>> = cells
        .iter()
        .map(|r| init_profiles(r, "grad_norm"))
        .collect();
    if norms.iter().any(|n| n.iter().all(Vec::is_empty)) {
        return Err(Problem::Missing(
            "initializers: the runs have no init.grad_norm.* metrics (recorded without diagnostics)"
                .into(),
        ));
    }
    let depth = norms.iter().flatten().map(Vec::len).max().unwrap_or(1);
    let (lo, hi) = value_range(norms.iter().flatten().flatten(), true).unwrap_or((1e-3, 1.0));
    let mut ratios = Vec::new();
    let profiles: Vec<Profile> = wanted
        .iter()
        .zip(&norms)
        .enumerate()
        .map(|(i, ((label, _), seeds))| {
            let mean = layer_mean(seeds, true);
            let ratio = match (mean.first(), mean.last()) {
                (Some(a), Some(b)) if *b > 0.0 => a / b,
                _ => f64::NAN,
            };
            ratios.push(format!("{label}: {}", plot::significant(ratio, 2)));
            Profile {
                label: format!(
                    "{label} ({} seed{}); layer 1 / layer {depth}: {}",
                    seeds.len(),
                    s(seeds.len()),
                    ratio_text(ratio)
                ),
                colour: colour(if i == 0 { 3 } else { 0 }),
                seeds: seeds.clone(),
            }
        })
        .collect();
    let mut p = depth_panel(
        "",
        Axis::integers(
            &format!("dense layer (1 = nearest the input, {depth} = output layer)"),
            0.5,
            depth as f64 + 0.5,
            depth.min(21) + 1,
        ),
        Axis::log("‖∂loss/∂kernel‖ (L2, log scale)", lo, hi),
        &profiles,
    );
    p.legend_at = LegendAt::Auto;
    let fig = Figure::single(
        "Gradient norms per layer at initialization: sigmoid + N(0, 1) vs ReLU + He",
        p,
        "initializers study (20 hidden layers of 100 units): kernel gradient norms of the loss on \
         500 validation images, before any update.",
    );
    fig.write(ctx.out(), name)?;
    Ok(format!(
        "initializers; {}; layer 1 / output layer (geometric means): {}",
        seed_counts(&wanted.map(|w| w.0.to_string()), &cells),
        ratios.join(", ")
    ))
}

fn ratio_text(r: f64) -> String {
    if !r.is_finite() {
        "n/a".into()
    } else if (0.01..100.0).contains(&r) {
        format!("{r:.2}")
    } else {
        format!("{r:.1e}")
    }
}

/// The transfer study's class pairs (axis `classes`), in the study's order.
pub const TRANSFER_PAIRS: [[u8; 2]; 4] = [[5, 6], [0, 6], [2, 4], [7, 9]];

/// The textbook's gain for sandal vs shirt, in accuracy points (91.85% → 93.85%).
pub const TEXTBOOK_GAIN: f64 = 2.0;

/// `sandal vs shirt`.
pub fn pair_name(pair: [u8; 2]) -> String {
    format!(
        "{} vs {}",
        CLASS_NAMES[pair[0] as usize], CLASS_NAMES[pair[1] as usize]
    )
}

/// Per class pair: its name and the per-seed gains (transfer − scratch test accuracy, same seed)
/// in accuracy points, by seed.
/// Per class pair, its name and the (seed, gain) pairs.
type PairGains = Vec<(String, Vec<(u64, f64)>)>;

fn transfer_gains_by_pair(t: &Tables) -> Result<PairGains, Problem> {
    let labels: Vec<String> = TRANSFER_PAIRS
        .iter()
        .map(|p| format!("[{}, {}]", p[0], p[1]))
        .collect();
    let mut selectors: Vec<[(&str, &str); 2]> = Vec::new();
    for l in &labels {
        selectors.push([("classes", l.as_str()), ("variant", "scratch")]);
        selectors.push([("classes", l.as_str()), ("variant", "transfer")]);
    }
    let refs: Vec<&[(&str, &str)]> = selectors.iter().map(|s| &s[..]).collect();
    let cells = t.cells(&refs)?;
    let mut out = Vec::new();
    let mut unpaired = Vec::new();
    for (i, pair) in TRANSFER_PAIRS.iter().enumerate() {
        let values = |runs: &[&RunRecord]| -> Vec<(u64, f64)> {
            runs.iter().map(|r| (r.seed, r.test_acc)).collect()
        };
        let (scratch, transfer) = (values(&cells[2 * i]), values(&cells[2 * i + 1]));
        let p = paired(&transfer, &scratch, true, STATS_SEED);
        if p.n == 0 {
            unpaired.push(format!("classes={}", labels[i]));
        }
        out.push((
            pair_name(*pair),
            p.seeds
                .iter()
                .zip(&p.diffs)
                .map(|(&s, &d)| (s, d * 100.0))
                .collect(),
        ));
    }
    if !unpaired.is_empty() {
        return Err(Problem::Missing(format!(
            "transfer: no seed recorded (and finite) in both scratch and transfer for {}",
            unpaired.join("; ")
        )));
    }
    Ok(out)
}

fn pts(v: f64) -> String {
    format!("{}{v:.2}", if v > 0.0 { "+" } else { "" })
}

/// The per-seed gains of transfer over scratch, per class pair (claim tl-1).
pub fn transfer_gains(ctx: &mut Context, name: &str) -> Drawn {
    let t = ctx.study("transfer")?;
    let gains = transfer_gains_by_pair(&t)?;
    let all: Vec<f64> = gains
        .iter()
        .flat_map(|(_, g)| g.iter().map(|p| p.1))
        .collect();
    let (lo, hi) = value_range(all.iter().chain([0.0].iter()), false).unwrap_or((-1.0, 1.0));
    let span = hi - lo;
    let (lo, hi) = (lo, hi + span * 0.16);
    let mut p = Panel::new(
        "dots: one seed (transfer − scratch, same seed)  ·  black bar: median  ·  dashed: no gain",
        Axis::categories(
            "class pair of task B (200 labelled images each)",
            gains.iter().map(|g| g.0.clone()).collect(),
        ),
        Axis::linear("gain in test accuracy (points)", lo, hi),
    );
    p.mark(Mark::HLine {
        y: 0.0,
        stroke: Stroke::dashed(RGBColor(90, 90, 90), 2),
    });
    let mut notes = Vec::new();
    for (i, (label, g)) in gains.iter().enumerate() {
        let x = i as f64;
        let values: Vec<f64> = g.iter().map(|p| p.1).collect();
        let m = median(&values);
        let better = values.iter().filter(|v| **v > 0.0).count();
        p.mark(Mark::Dots {
            points: g
                .iter()
                .map(|&(s, v)| (x + plot::jitter(s, 0.36), v))
                .collect(),
            colour: colour(i),
            radius: 5,
            alpha: 0.8,
        });
        p.line(
            vec![(x - 0.3, m), (x + 0.3, m)],
            Stroke::solid(RGBColor(0, 0, 0), 3),
        );
        p.text(
            format!("median {}", pts(m)),
            (x, hi - span * 0.035),
            15,
            RGBColor(30, 30, 30),
            Anchor::Centre,
        );
        p.text(
            format!("{better} of {} seeds gain", values.len()),
            (x, hi - span * 0.09),
            14,
            RGBColor(80, 80, 80),
            Anchor::Centre,
        );
        notes.push(format!("{label}: n={} median {}", values.len(), pts(m)));
    }
    let fig = Figure::single(
        "Reusing model A's layers for task B: the gain on every seed, per class pair",
        p,
        "transfer study: test accuracy of B trained from A's layers minus B trained from scratch, \
         paired by seed.",
    );
    fig.write(ctx.out(), name)?;
    Ok(format!("transfer; {}", notes.join(", ")))
}

/// E[best of k gains] for k = 1…n next to the median gain, per class pair (claim tl-1).
pub fn transfer_best_of_k(ctx: &mut Context, name: &str) -> Drawn {
    let t = ctx.study("transfer")?;
    let gains = transfer_gains_by_pair(&t)?;
    let max_k = gains.iter().map(|g| g.1.len()).max().unwrap_or(1);
    let mut curves = Vec::new();
    let mut everything = vec![TEXTBOOK_GAIN, 0.0];
    for (_, g) in &gains {
        let values: Vec<f64> = g.iter().map(|p| p.1).collect();
        let curve: Vec<(f64, f64)> = (1..=values.len())
            .map(|k| (k as f64, expected_best_of_k(&values, k)))
            .collect();
        let m = median(&values);
        everything.extend(curve.iter().map(|p| p.1));
        everything.push(m);
        curves.push((curve, m, values.len()));
    }
    let (lo, hi) = value_range(everything.iter(), false).unwrap_or((-1.0, 3.0));
    // Headroom for the legend above the curves.
    let hi = hi + (hi - lo) * 0.45;
    let mut p = Panel::new(
        "",
        Axis::integers(
            "k: tries (seeds) a cherry-picker runs, keeping the best",
            0.5,
            max_k as f64 + 0.5,
            max_k.min(20) + 1,
        ),
        Axis::linear("gain in test accuracy (points)", lo, hi),
    );
    p.mark(Mark::HLine {
        y: 0.0,
        stroke: Stroke::solid(RGBColor(170, 170, 170), 1),
    });
    p.mark(Mark::HLine {
        y: TEXTBOOK_GAIN,
        stroke: Stroke::dashed(RGBColor(0, 0, 0), 1),
    });
    p.text(
        format!("textbook, sandal vs shirt: {} points", pts(TEXTBOOK_GAIN)),
        (max_k as f64 + 0.4, TEXTBOOK_GAIN + (hi - lo) * 0.025),
        14,
        RGBColor(0, 0, 0),
        Anchor::Right,
    );
    let mut notes = Vec::new();
    for (i, ((label, _), (curve, m, n))) in gains.iter().zip(&curves).enumerate() {
        let c = colour(i);
        p.line(
            vec![(0.5, *m), (max_k as f64 + 0.5, *m)],
            Stroke::dashed(c, 2),
        );
        p.line(curve.clone(), Stroke::solid(c, 3));
        p.mark(Mark::Dots {
            points: curve.clone(),
            colour: c,
            radius: 4,
            alpha: 1.0,
        });
        let best = curve.last().map_or(f64::NAN, |p| p.1);
        p.entry(
            format!(
                "{label} (n = {n}): median {}, best of {n} {}",
                pts(*m),
                pts(best)
            ),
            Swatch::Line(Stroke::solid(c, 3)),
        );
        notes.push(format!(
            "{label}: median {}, E[best of {n}] {}",
            pts(*m),
            pts(best)
        ));
    }
    p.entry(
        "solid: expected best gain of k tries",
        Swatch::Line(Stroke::solid(RGBColor(90, 90, 90), 3)),
    );
    p.entry(
        "dashed: the median gain (what a typical try gives)",
        Swatch::Line(Stroke::dashed(RGBColor(90, 90, 90), 2)),
    );
    p.legend_at = LegendAt::UpperLeft;
    let fig = Figure::single(
        "Cherry-picking: the gain reported by keeping the best of k tries vs the median gain",
        p,
        "transfer study: E[max of k of the n per-seed gains] (exact, without replacement; k = 1 is \
         the mean), per class pair.",
    );
    fig.write(ctx.out(), name)?;
    Ok(format!("transfer; {}", notes.join(", ")))
}
