//! Gradient clipping and learning-rate schedules against Keras 3: the values that
//! tests/reference/keras_clip_schedules.py recorded (its output, with the package versions, is
//! tests/reference/keras_clip_schedules.json).

use crate::common;

use common::{floats, reference};
use trainbench::zoo::clip::{ClipNorm, ClipValue, Clipping, GlobalClipNorm};
use trainbench::zoo::schedule::{
    Exponential, OneCycle, Performance, PiecewiseConstant, Power, Schedule, ScheduleState,
};

fn close(ours: f64, keras: f64, what: &str) {
    let tolerance = 1e-6 * keras.abs().max(1e-6);
    assert!(
        (ours - keras).abs() <= tolerance,
        "{what}: ours {ours}, Keras {keras}"
    );
}

#[test]
fn clipping_matches_keras() {
    let doc = reference("keras_clip_schedules.json");
    let cases = doc["clipping"].as_array().unwrap();
    assert_eq!(cases.len(), 18);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let threshold = case["threshold"].as_f64().unwrap();
        let rule = match case["rule"].as_str().unwrap() {
            "clip_value" => Clipping::new(ClipValue { value: threshold }),
            "clip_norm" => Clipping::new(ClipNorm { norm: threshold }),
            "global_clip_norm" => Clipping::new(GlobalClipNorm { norm: threshold }),
            other => panic!("unknown rule {other}"),
        };
        let mut grads: Vec<Vec<f32>> = case["grads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| floats(g).into_iter().map(|x| x as f32).collect())
            .collect();
        rule.apply(&mut grads);
        let expected: Vec<Vec<f64>> = case["clipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect();
        for (ours, keras) in grads.iter().zip(&expected) {
            for (&o, &k) in ours.iter().zip(keras) {
                close(f64::from(o), k, name);
            }
        }
    }
}

fn sequence(schedule: &Schedule, base: f64, steps: &[f64]) -> Vec<f64> {
    let state = ScheduleState::new(schedule, base, 1000);
    steps
        .iter()
        .map(|&t| state.learning_rate(t as u64, 1))
        .collect()
}

#[test]
fn per_step_schedules_match_keras() {
    let doc = reference("keras_clip_schedules.json");
    let s = &doc["schedules"];
    let steps = floats(&s["steps"]);
    let exponential = Schedule::new(Exponential {
        decay_steps: 10.0,
        decay_rate: 0.1,
    });
    for ((o, k), t) in sequence(&exponential, 0.01, &steps)
        .into_iter()
        .zip(floats(&s["exponential"]["values"]))
        .zip(&steps)
    {
        close(o, k, &format!("exponential t={t}"));
    }
    let power = Schedule::new(Power {
        decay_steps: 5.0,
        power: 1.0,
    });
    for ((o, k), t) in sequence(&power, 0.01, &steps)
        .into_iter()
        .zip(floats(&s["power"]["values"]))
        .zip(&steps)
    {
        close(o, k, &format!("power t={t}"));
    }
}

#[test]
fn piecewise_constant_matches_keras_by_epoch() {
    let doc = reference("keras_clip_schedules.json");
    let p = &doc["schedules"]["piecewise_constant"];
    let schedule = Schedule::new(PiecewiseConstant {
        boundaries: vec![5, 15],
        values: vec![0.01, 0.005, 0.001],
        factors: None,
    });
    let state = ScheduleState::new(&schedule, 0.01, 1000);
    for (epoch, k) in floats(&p["epochs"]).into_iter().zip(floats(&p["by_epoch"])) {
        close(
            state.learning_rate(0, epoch as u32),
            k,
            &format!("epoch {epoch}"),
        );
    }
}

#[test]
fn performance_scheduling_matches_reduce_lr_on_plateau() {
    let doc = reference("keras_clip_schedules.json");
    let p = &doc["schedules"]["performance"];
    let losses = floats(&p["losses"]);
    for variant in ["default", "chapter"] {
        let v = &p[variant];
        let schedule = Schedule::new(Performance {
            factor: v["factor"].as_f64().unwrap(),
            patience: v["patience"].as_u64().unwrap() as u32,
            min_delta: v["min_delta"].as_f64().unwrap(),
            cooldown: v["cooldown"].as_u64().unwrap() as u32,
            min_lr: v["min_lr"].as_f64().unwrap(),
        });
        let mut state = ScheduleState::new(
            &schedule,
            p["initial_learning_rate"].as_f64().unwrap(),
            1000,
        );
        for (epoch, (&loss, k)) in losses.iter().zip(floats(&v["values"])).enumerate() {
            state.end_epoch(loss);
            close(
                state.learning_rate(0, 1),
                k,
                &format!("{variant} after epoch {}", epoch + 1),
            );
        }
    }
}

#[test]
fn one_cycle_matches_the_textbooks_callback() {
    let doc = reference("keras_clip_schedules.json");
    let c = &doc["schedules"]["one_cycle"];
    let iterations = c["iterations"].as_u64().unwrap();
    let schedule = Schedule::new(OneCycle {
        max_learning_rate: c["max_learning_rate"].as_f64().unwrap(),
        start_learning_rate: None,
        final_learning_rate: None,
        max_momentum: 0.95,
        min_momentum: 0.85,
    });
    let state = ScheduleState::new(&schedule, 0.01, iterations);
    let keras = floats(&c["values"]);
    assert_eq!(keras.len() as u64, iterations);
    for (t, k) in keras.into_iter().enumerate() {
        close(
            state.learning_rate(t as u64, 1),
            k,
            &format!("one_cycle t={t}"),
        );
    }
}
