//! Kernel regularizers, the max-norm constraint and early stopping against Keras 3: the values
//! tests/reference/keras_regularization.py recorded (its output is
//! tests/reference/keras_regularization.json).

use crate::common;

use common::{floats, reference};
use serde_json::Value;
use trainbench::zoo::regularize::{
    Constraint, EarlyStopping, EarlyStoppingState, MaxNorm, Regularizer, Verdict, L1, L1L2, L2,
};

fn close(ours: f64, keras: f64, what: &str) {
    assert!(
        (ours - keras).abs() <= 1e-6 * keras.abs().max(1e-3),
        "{what}: ours {ours}, Keras {keras}"
    );
}

fn kernel(doc: &Value) -> Vec<f32> {
    floats(&doc["kernel"]["values"])
        .into_iter()
        .map(|x| x as f32)
        .collect()
}

#[test]
fn regularizers_match_keras_penalty_and_gradient() {
    let doc = reference("keras_regularization.json");
    let w = kernel(&doc);
    for case in doc["regularizers"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let c = &case["config"];
        let get = |k: &str| c[k].as_f64().unwrap();
        let reg = match name {
            "l1" => Regularizer::new(L1 { l1: get("l1") }),
            "l2" | "l2_big" => Regularizer::new(L2 { l2: get("l2") }),
            "l1_l2" => Regularizer::new(L1L2 {
                l1: get("l1"),
                l2: get("l2"),
            }),
            other => panic!("{other}"),
        };
        close(
            f64::from(reg.penalty(&w)),
            case["penalty"].as_f64().unwrap(),
            name,
        );
        let mut grad = vec![0.0f32; w.len()];
        reg.add_gradient(&w, &mut grad);
        for (i, (g, k)) in grad.iter().zip(floats(&case["gradient"])).enumerate() {
            close(f64::from(*g), k, &format!("{name} gradient {i}"));
        }
    }
}

#[test]
fn max_norm_matches_keras() {
    let doc = reference("keras_regularization.json");
    let fan_out = doc["kernel"]["shape"][1].as_u64().unwrap() as usize;
    for case in doc["max_norm"].as_array().unwrap() {
        let r = case["max_value"].as_f64().unwrap();
        let mut w = kernel(&doc);
        Constraint::new(MaxNorm { max_value: r }).apply(&mut w, fan_out);
        for (i, (o, k)) in w.iter().zip(floats(&case["constrained"])).enumerate() {
            close(f64::from(*o), k, &format!("max_norm {r} value {i}"));
        }
    }
}

#[test]
fn early_stopping_stops_and_restores_where_keras_does() {
    let doc = reference("keras_regularization.json");
    for case in doc["early_stopping"].as_array().unwrap() {
        let losses = floats(&case["losses"]);
        let mut state = EarlyStoppingState::new(EarlyStopping {
            patience: case["patience"].as_u64().unwrap() as u32,
            min_delta: case["min_delta"].as_f64().unwrap(),
            restore_best_weights: true,
        });
        let mut epochs_run = 0;
        for (i, &loss) in losses.iter().enumerate() {
            epochs_run += 1;
            if state.end_epoch(i as u32 + 1, loss) == Verdict::Stop {
                break;
            }
        }
        assert_eq!(epochs_run, case["epochs_run"].as_u64().unwrap(), "{case}");
        assert_eq!(
            u64::from(state.best_epoch),
            case["best_epoch"].as_u64().unwrap(),
            "{case}"
        );
    }
}
