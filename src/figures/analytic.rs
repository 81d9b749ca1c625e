//! Figures that need no results: activation functions (values and derivatives from the library's
//! own [`Activation`] through dfdx's forward and backward passes), optimizer paths on an elongated
//! quadratic bowl (the library's own optimizers, in float32, on the exact gradient) and the 1cycle
//! schedule (the library's [`ScheduleState`]).

use std::path::Path;

use dfdx::prelude::*;
use plotters::style::RGBColor;

use super::{Drawn, Problem};
use crate::plot::{
    colour, Anchor, Axis, Figure, LegendAt, Mark, Panel, Stroke, Swatch, Ticks, GREY,
};
use crate::zoo::activation::{
    Activation, Elu, Gelu, LeakyRelu, Mish, Relu, Selu, Sigmoid, Swish, SELU_ALPHA, SELU_LAMBDA,
};
use crate::zoo::optim::{Adagrad, Adam, Momentum, Nesterov, OptimizerConfig, Rmsprop, Sgd};
use crate::zoo::schedule::{OneCycle, Schedule, ScheduleState};

/// `n` evenly spaced values from `lo` to `hi` (both included).
pub fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1).max(1) as f64)
        .collect()
}

/// The activation's values and derivatives at `zs`, from the library's activation (float32) and
/// dfdx's backward pass.
pub fn activation_curve(activation: Activation, zs: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let dev = Cpu::default();
    let input = dev.tensor_from_vec(zs.iter().map(|&z| z as f32).collect(), (zs.len(),));
    let y = activation.apply(input.clone().traced(Gradients::leaky()));
    let values = y.retaped::<NoneTape>().as_vec();
    let grads = y.sum().backward();
    let dy = grads.get(&input).as_vec();
    let widen = |v: Vec<f32>| v.into_iter().map(f64::from).collect();
    (widen(values), widen(dy))
}

fn points(zs: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
    zs.iter().copied().zip(values.iter().copied()).collect()
}

/// Thin grey axes through the origin.
fn origin_axes(panel: &mut Panel) {
    let stroke = Stroke::solid(RGBColor(170, 170, 170), 1);
    panel.mark(Mark::HLine { y: 0.0, stroke });
    panel.mark(Mark::VLine { x: 0.0, stroke });
}

const NOTE_ACTIVATIONS: &str =
    "Values from trainbench's zoo::activation (float32, dfdx); derivatives from dfdx's backward pass.";

/// The sigmoid, its derivative and its tangent at 0; the saturating tails shaded.
pub fn sigmoid_saturation(out: &Path, name: &str) -> Drawn {
    let zs = grid(-6.0, 6.0, 145);
    let (s, ds) = activation_curve(Activation::new(Sigmoid {}), &zs);
    // Where the derivative falls below 2% (8% of its peak of 0.25).
    let threshold = 0.02;
    let edge = zs
        .iter()
        .zip(&ds)
        .find(|(_, d)| **d >= threshold)
        .map_or(4.0, |(z, _)| -z);
    let mut p = Panel::new(
        "",
        Axis::linear("z", -6.0, 6.0),
        Axis::linear("", -0.2, 1.2),
    );
    for (x0, x1) in [(-6.0, -edge), (edge, 6.0)] {
        p.mark(Mark::Band {
            x0,
            x1,
            colour: RGBColor(214, 39, 40),
        });
    }
    origin_axes(&mut p);
    p.mark(Mark::HLine {
        y: 1.0,
        stroke: Stroke::dashed(GREY, 1),
    });
    let tangent: Vec<(f64, f64)> = grid(-2.8, 2.8, 2)
        .into_iter()
        .map(|z| (z, 0.5 + z / 4.0))
        .collect();
    p.line(tangent, Stroke::dashed(GREY, 2));
    p.line(points(&zs, &s), Stroke::solid(colour(0), 3));
    p.line(points(&zs, &ds), Stroke::solid(colour(1), 3));
    let red = RGBColor(180, 30, 30);
    for (x, anchor) in [
        (-(6.0 + edge) / 2.0, Anchor::Centre),
        ((6.0 + edge) / 2.0, Anchor::Centre),
    ] {
        p.text("saturating", (x, 0.72), 17, red, anchor);
        p.text(format!("σ′(z) < {threshold}"), (x, 0.64), 15, red, anchor);
    }
    p.text("linear near 0", (2.55, 1.1), 15, GREY, Anchor::Left);
    p.entry(
        "σ(z) = 1 / (1 + e^−z)",
        Swatch::Line(Stroke::solid(colour(0), 3)),
    );
    p.entry(
        "σ′(z) (peak 0.25 at z = 0)",
        Swatch::Line(Stroke::solid(colour(1), 3)),
    );
    p.entry(
        "tangent at 0: 0.5 + z/4",
        Swatch::Line(Stroke::dashed(GREY, 2)),
    );
    p.legend_at = LegendAt::UpperLeft;
    let fig = Figure::single(
        "Sigmoid saturation: for large |z| the output is flat and the gradient vanishes",
        p,
        NOTE_ACTIVATIONS,
    );
    fig.write(out, name)?;
    Ok(format!("analytic; σ′ < {threshold} for |z| > {edge:.2}"))
}

/// Leaky ReLU with α = 0.2 and 0.01 against ReLU.
pub fn leaky_relu(out: &Path, name: &str) -> Drawn {
    let zs = grid(-5.0, 5.0, 121);
    let mut p = Panel::new(
        "",
        Axis::linear("z", -5.0, 5.0),
        Axis::linear("", -1.4, 5.2),
    );
    origin_axes(&mut p);
    let (relu, _) = activation_curve(Activation::new(Relu {}), &zs);
    p.line(points(&zs, &relu), Stroke::dashed(GREY, 2));
    let mut entries = Vec::new();
    for (i, alpha) in [0.2, 0.01].into_iter().enumerate() {
        let (v, _) = activation_curve(Activation::new(LeakyRelu { alpha }), &zs);
        let stroke = Stroke::solid(colour(i), if i == 0 { 3 } else { 2 });
        p.line(points(&zs, &v), stroke);
        entries.push((format!("leaky ReLU, α = {alpha}"), Swatch::Line(stroke)));
    }
    for (label, swatch) in entries {
        p.entry(label, swatch);
    }
    p.entry("ReLU", Swatch::Line(Stroke::dashed(GREY, 2)));
    p.text(
        "leak: slope α for z < 0,",
        (-2.5, 1.3),
        16,
        colour(0),
        Anchor::Centre,
    );
    p.text(
        "so units never die",
        (-2.5, 0.95),
        16,
        colour(0),
        Anchor::Centre,
    );
    p.legend_at = LegendAt::UpperLeft;
    let fig = Figure::single(
        "Leaky ReLU: max(αz, z) keeps a small gradient for negative inputs",
        p,
        NOTE_ACTIVATIONS,
    );
    fig.write(out, name)?;
    Ok("analytic".into())
}

/// ELU (α = 1) and SELU against ReLU, with their negative limits.
pub fn elu_selu(out: &Path, name: &str) -> Drawn {
    let zs = grid(-4.0, 4.0, 121);
    let mut p = Panel::new(
        "",
        Axis::linear("z", -4.0, 4.0),
        Axis::linear("", -2.1, 4.4),
    );
    origin_axes(&mut p);
    let (relu, _) = activation_curve(Activation::new(Relu {}), &zs);
    p.line(points(&zs, &relu), Stroke::dashed(GREY, 2));
    let (elu, _) = activation_curve(Activation::new(Elu { alpha: 1.0 }), &zs);
    let (selu, _) = activation_curve(Activation::new(Selu {}), &zs);
    let selu_floor = -SELU_LAMBDA * SELU_ALPHA;
    p.mark(Mark::HLine {
        y: -1.0,
        stroke: Stroke::dashed(colour(0), 1),
    });
    p.mark(Mark::HLine {
        y: selu_floor,
        stroke: Stroke::dashed(colour(1), 1),
    });
    p.line(points(&zs, &elu), Stroke::solid(colour(0), 3));
    p.line(points(&zs, &selu), Stroke::solid(colour(1), 3));
    p.text("ELU → −α = −1", (3.9, -0.86), 15, colour(0), Anchor::Right);
    p.text(
        format!("SELU → −λα ≈ {selu_floor:.3}"),
        (3.9, selu_floor + 0.14),
        15,
        colour(1),
        Anchor::Right,
    );
    p.entry("ELU (α = 1)", Swatch::Line(Stroke::solid(colour(0), 3)));
    p.entry(
        format!("SELU (λ = {SELU_LAMBDA:.4}, α = {SELU_ALPHA:.4})"),
        Swatch::Line(Stroke::solid(colour(1), 3)),
    );
    p.entry("ReLU", Swatch::Line(Stroke::dashed(GREY, 2)));
    p.legend_at = LegendAt::UpperLeft;
    let fig = Figure::single(
        "ELU and SELU: smooth, negative outputs for z < 0 (SELU scaled to self-normalize)",
        p,
        NOTE_ACTIVATIONS,
    );
    fig.write(out, name)?;
    Ok("analytic".into())
}

/// GELU, Swish (β = 1), Swish (β = 0.6) and Mish against ReLU, with a zoom on their dips.
pub fn gelu_swish_mish(out: &Path, name: &str) -> Drawn {
    let curves = [
        ("GELU", Activation::new(Gelu {})),
        (
            "Swish (β = 1)",
            Activation::new(Swish {
                beta: 1.0,
                learned: false,
            }),
        ),
        (
            "Swish (β = 0.6)",
            Activation::new(Swish {
                beta: 0.6,
                learned: false,
            }),
        ),
        ("Mish", Activation::new(Mish {})),
    ];
    let zs = grid(-4.0, 3.0, 141);
    let mut full = Panel::new(
        "z from −4 to 3",
        Axis::linear("z", -4.0, 3.0),
        Axis::linear("", -0.6, 3.1),
    );
    let mut zoom = Panel::new(
        "zoom on z < 0.5: each minimum marked",
        Axis::linear("z", -4.0, 0.5),
        Axis::linear("", -0.52, 0.3),
    );
    for p in [&mut full, &mut zoom] {
        origin_axes(p);
    }
    let (relu, _) = activation_curve(Activation::new(Relu {}), &zs);
    full.line(points(&zs, &relu), Stroke::dashed(GREY, 2));
    zoom.line(points(&zs, &relu), Stroke::dashed(GREY, 2));
    let mut minima = Vec::new();
    for (i, (label, a)) in curves.iter().enumerate() {
        let (v, _) = activation_curve(a.clone(), &zs);
        let stroke = Stroke::solid(colour(i), 3);
        full.line(points(&zs, &v), stroke);
        zoom.line(points(&zs, &v), stroke);
        let (zmin, vmin) = zs
            .iter()
            .zip(&v)
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(z, v)| (*z, *v))
            .unwrap_or((0.0, 0.0));
        zoom.mark(Mark::Dots {
            points: vec![(zmin, vmin)],
            colour: colour(i),
            radius: 5,
            alpha: 1.0,
        });
        minima.push((i, zmin, vmin));
        full.entry(*label, Swatch::Line(stroke));
        zoom.entry(
            format!("{label}: min {vmin:.3} at z = {zmin:.2}"),
            Swatch::Line(stroke),
        );
    }
    full.entry("ReLU", Swatch::Line(Stroke::dashed(GREY, 2)));
    full.legend_at = LegendAt::UpperLeft;
    zoom.legend_at = LegendAt::UpperLeft;
    let fig = Figure {
        title: "GELU, Swish and Mish: smooth, non-monotonic near 0, ReLU-like far from it".into(),
        size: (1200, 560),
        grid: (1, 2),
        panels: vec![full, zoom],
        note: NOTE_ACTIVATIONS.into(),
    };
    fig.write(out, name)?;
    Ok(format!(
        "analytic; minima {}",
        minima
            .iter()
            .map(|(i, z, v)| format!("{} {v:.3} at {z:.2}", curves[*i].0))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The bowl of the optimizer-path figure: f(θ₁, θ₂) = θ₁²/2 + κ·θ₂²/2.
pub const BOWL_KAPPA: f32 = 10.0;

/// Where every optimizer path starts.
pub const PATH_START: (f32, f32) = (-4.0, 1.5);

/// Steps of every optimizer path.
pub const PATH_STEPS: usize = 50;

/// f of the bowl.
pub fn bowl(x: f64, y: f64) -> f64 {
    0.5 * x * x + 0.5 * f64::from(BOWL_KAPPA) * y * y
}

/// The iterates (start included) of `steps` steps of the library's optimizer `config` at its
/// learning rate on the bowl, from `start`, with the exact gradient (θ₁, κθ₂) in float32.
pub fn optimizer_path(
    config: &OptimizerConfig,
    start: (f32, f32),
    steps: usize,
) -> crate::Result<Vec<(f64, f64)>> {
    let mut optimizer = config.build(&[2])?;
    let lr = config.learning_rate();
    let mut theta = [start.0, start.1];
    let mut path = vec![(f64::from(theta[0]), f64::from(theta[1]))];
    for _ in 0..steps {
        let grad = [theta[0], BOWL_KAPPA * theta[1]];
        optimizer.begin_step();
        optimizer.update(0, lr, &mut theta, &grad);
        path.push((f64::from(theta[0]), f64::from(theta[1])));
    }
    Ok(path)
}

/// The optimizers of the path figure with their settings, and a title each.
pub fn path_optimizers() -> Vec<(String, OptimizerConfig)> {
    vec![
        (
            "gradient descent".into(),
            OptimizerConfig::new(Sgd {
                learning_rate: 0.03,
            }),
        ),
        (
            "momentum".into(),
            OptimizerConfig::new(Momentum {
                learning_rate: 0.03,
                momentum: 0.9,
            }),
        ),
        (
            "Nesterov".into(),
            OptimizerConfig::new(Nesterov {
                learning_rate: 0.03,
                momentum: 0.9,
            }),
        ),
        (
            "AdaGrad".into(),
            OptimizerConfig::new(Adagrad {
                learning_rate: 0.5,
                initial_accumulator_value: 0.1,
                epsilon: 1e-7,
            }),
        ),
        (
            "RMSProp".into(),
            OptimizerConfig::new(Rmsprop {
                learning_rate: 0.1,
                rho: 0.9,
                epsilon: 1e-7,
            }),
        ),
        (
            "Adam".into(),
            OptimizerConfig::new(Adam {
                learning_rate: 0.2,
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-7,
            }),
        ),
    ]
}

/// The settings of an optimizer, short: `η = 0.03, β = 0.9`.
fn settings(c: &OptimizerConfig) -> String {
    if let Some(Momentum {
        learning_rate,
        momentum,
    }) = c.downcast_ref()
    {
        return format!("η = {learning_rate}, β = {momentum}");
    }
    if let Some(Nesterov {
        learning_rate,
        momentum,
    }) = c.downcast_ref()
    {
        return format!("η = {learning_rate}, β = {momentum}");
    }
    if let Some(Rmsprop {
        learning_rate, rho, ..
    }) = c.downcast_ref()
    {
        return format!("η = {learning_rate}, ρ = {rho}");
    }
    if let Some(Adam {
        learning_rate,
        beta_1,
        beta_2,
        ..
    }) = c.downcast_ref()
    {
        return format!("η = {learning_rate}, β₁ = {beta_1}, β₂ = {beta_2}");
    }
    format!("η = {}", c.learning_rate())
}

/// Six optimizers' paths on the bowl, one panel each, over its contour lines.
pub fn optimizer_paths(out: &Path, name: &str) -> Drawn {
    let (x_lo, x_hi, y_lo, y_hi) = (-4.6, 1.6, -2.0, 2.0);
    let f0 = bowl(f64::from(PATH_START.0), f64::from(PATH_START.1));
    let contour_levels: Vec<f64> = (0..9).map(|k| f0 * 0.45f64.powi(k)).collect();
    let contours: Vec<Vec<(f64, f64)>> = contour_levels
        .iter()
        .map(|&c| {
            grid(0.0, std::f64::consts::TAU, 181)
                .into_iter()
                .map(|t| {
                    let (a, b) = ((2.0 * c).sqrt(), (2.0 * c / f64::from(BOWL_KAPPA)).sqrt());
                    (a * t.cos(), b * t.sin())
                })
                // Drop the parts outside the panel (they would spill over the frame).
                .map(|(x, y)| {
                    if (x_lo..=x_hi).contains(&x) && (y_lo..=y_hi).contains(&y) {
                        (x, y)
                    } else {
                        (f64::NAN, f64::NAN)
                    }
                })
                .collect()
        })
        .collect();
    let mut panels = Vec::new();
    let mut notes = Vec::new();
    for (i, (label, config)) in path_optimizers().iter().enumerate() {
        let path = optimizer_path(config, PATH_START, PATH_STEPS)?;
        let &(xe, ye) = path.last().unwrap_or(&(0.0, 0.0));
        let f_end = bowl(xe, ye);
        let mut p = Panel::new(
            &format!("{label} ({})", settings(config)),
            Axis::linear("θ₁", x_lo, x_hi),
            Axis::linear("θ₂", y_lo, y_hi),
        );
        p.x.ticks = Ticks::Auto(8);
        p.y.ticks = Ticks::Auto(5);
        for c in &contours {
            p.line(c.clone(), Stroke::solid(RGBColor(200, 200, 200), 1));
        }
        // Iterates outside the panel (a diverging setting) are left out rather than drawn over
        // the frame.
        let shown: Vec<(f64, f64)> = path
            .iter()
            .map(|&(x, y)| {
                if (x_lo..=x_hi).contains(&x) && (y_lo..=y_hi).contains(&y) {
                    (x, y)
                } else {
                    (f64::NAN, f64::NAN)
                }
            })
            .collect();
        p.line(shown.clone(), Stroke::solid(colour(i), 2));
        p.mark(Mark::Dots {
            points: shown,
            colour: colour(i),
            radius: 3,
            alpha: 0.9,
        });
        p.mark(Mark::Dots {
            points: vec![path[0]],
            colour: RGBColor(0, 0, 0),
            radius: 5,
            alpha: 1.0,
        });
        p.mark(Mark::Cross {
            at: (0.0, 0.0),
            colour: RGBColor(0, 0, 0),
            size: 7,
        });
        p.text(
            format!("f after {PATH_STEPS} steps: {}", scientific(f_end)),
            (x_hi - 0.1, y_lo + 0.25),
            14,
            RGBColor(40, 40, 40),
            Anchor::Right,
        );
        notes.push(format!("{label} {}", scientific(f_end)));
        panels.push(p);
    }
    let fig = Figure {
        title: format!(
            "Optimizer paths on f(θ) = θ₁²/2 + {}·θ₂²/2: {PATH_STEPS} steps from ({}, {})",
            BOWL_KAPPA, PATH_START.0, PATH_START.1
        ),
        size: (1260, 800),
        grid: (2, 3),
        panels,
        note: "trainbench's zoo::optim optimizers (float32) on the exact gradient (θ₁, 10·θ₂). \
               Black dot: start; ×: the minimum; grey: contour lines of f."
            .into(),
    };
    fig.write(out, name)?;
    Ok(format!(
        "analytic; f after {PATH_STEPS} steps: {}",
        notes.join(", ")
    ))
}

/// `v` as 1.2e-3 (or plainly when ≥ 0.01).
fn scientific(v: f64) -> String {
    if v.abs() >= 0.01 || v == 0.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.1e}")
    }
}

/// The 1cycle schedule's learning rate and momentum over 1000 steps.
pub fn one_cycle_schedule(out: &Path, name: &str) -> Drawn {
    let steps = 1000u64;
    let max_lr = 0.1;
    let schedule = Schedule::new(OneCycle {
        max_learning_rate: max_lr,
        start_learning_rate: None,
        final_learning_rate: None,
        max_momentum: 0.95,
        min_momentum: 0.85,
    });
    schedule
        .check()
        .map_err(|e| Problem::Failed(e.to_string()))?;
    let state = ScheduleState::new(&schedule, max_lr / 10.0, steps);
    let lr: Vec<(f64, f64)> = (0..steps)
        .map(|t| (t as f64, state.learning_rate(t, 1)))
        .collect();
    let momentum: Vec<(f64, f64)> = (0..steps)
        .map(|t| (t as f64, state.momentum(t).unwrap_or(f64::NAN)))
        .collect();
    // The phases, read off the schedule itself: the peak, then the return to η0.
    let start = lr[0].1;
    let peak = lr
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0.0, |p| p.0);
    let back = lr
        .iter()
        .find(|p| p.0 > peak && p.1 <= start * (1.0 + 1e-9))
        .map_or(steps as f64, |p| p.0);
    let last = lr.last().map_or(0.0, |p| p.1);
    let x_axis = || Axis::integers("training step (iteration)", 0.0, steps as f64, 11);
    let mut top = Panel::new(
        "learning rate",
        x_axis(),
        Axis::linear("learning rate η", 0.0, max_lr * 1.12),
    );
    let mut bottom = Panel::new(
        "momentum (β₁ for Adam-like optimizers)",
        x_axis(),
        Axis::linear("momentum", 0.83, 0.965),
    );
    for p in [&mut top, &mut bottom] {
        for x in [peak, back] {
            p.mark(Mark::VLine {
                x,
                stroke: Stroke::dashed(GREY, 1),
            });
        }
    }
    top.line(lr.clone(), Stroke::solid(colour(0), 3));
    bottom.line(momentum, Stroke::solid(colour(1), 3));
    let label_y = max_lr * 1.05;
    top.text(
        format!("η rises {start} → {max_lr}"),
        (peak / 2.0, label_y),
        15,
        RGBColor(40, 40, 40),
        Anchor::Centre,
    );
    top.text(
        format!("η falls back to {start}"),
        ((peak + back) / 2.0, label_y),
        15,
        RGBColor(40, 40, 40),
        Anchor::Centre,
    );
    top.text(
        "last ~10%:",
        ((back + steps as f64) / 2.0, label_y),
        15,
        RGBColor(40, 40, 40),
        Anchor::Centre,
    );
    top.text(
        "η → η0/1000",
        ((back + steps as f64) / 2.0, label_y - max_lr * 0.08),
        15,
        RGBColor(40, 40, 40),
        Anchor::Centre,
    );
    bottom.text(
        "momentum falls 0.95 → 0.85 as η rises",
        (peak / 2.0, 0.955),
        15,
        RGBColor(40, 40, 40),
        Anchor::Centre,
    );
    bottom.text(
        "and rises back",
        ((peak + back) / 2.0, 0.955),
        15,
        RGBColor(40, 40, 40),
        Anchor::Centre,
    );
    let fig = Figure {
        title: format!("The 1cycle schedule over {steps} steps (max η = {max_lr})"),
        size: (1000, 720),
        grid: (2, 1),
        panels: vec![top, bottom],
        note: "From trainbench's zoo::schedule::ScheduleState (the textbook's OneCycleScheduler)."
            .into(),
    };
    fig.write(out, name)?;
    Ok(format!(
        "analytic; peak at step {peak}, back to η0 at step {back}, last η {}",
        scientific(last)
    ))
}
