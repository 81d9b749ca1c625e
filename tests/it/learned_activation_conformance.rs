//! Learned activations against Keras 3 (tests/reference/keras_learned_activations.py, output
//! keras_learned_activations.json): PReLU's and a learned swish's forward values and gradients
//! with respect to the input and to the per-unit parameter, and small networks with them trained
//! three `train_on_batch` steps by every optimizer, the learned α/β included in the comparison.

use crate::common;

use common::keras_net::{keras_model, replay};
use common::{floats32, reference};
use dfdx::prelude::*;
use trainbench::zoo::activation::{Activation, Prelu, Swish};

#[test]
fn prelu_and_learned_swish_values_and_gradients_match() {
    let doc = reference("keras_learned_activations.json");
    let dev = Cpu::default();
    for case in doc["layer_cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let activation = match name {
            "prelu" => Activation::new(Prelu { alpha: 0.0 }),
            "swish_learned" => Activation::new(Swish {
                beta: 1.0,
                learned: true,
            }),
            other => panic!("unknown case {other}"),
        };
        let x = dev.tensor_from_vec(floats32(&case["x"]), (4, 3));
        let param = dev.tensor_from_vec(floats32(&case["param"]), (3,));
        let upstream = dev.tensor_from_vec(floats32(&case["upstream"]), (4, 3));
        let y = activation.apply_learned(x.clone().traced(Gradients::leaky()), &param);
        let values = y.retaped::<NoneTape>().as_vec();
        let grads = (y * upstream).sum().backward();
        for (what, ours, key) in [
            ("y", values, "y"),
            ("dx", grads.get(&x).as_vec(), "dx"),
            ("dparam", grads.get(&param).as_vec(), "dparam"),
        ] {
            for (o, k) in ours.iter().zip(floats32(&case[key])) {
                // Same float32 formulas as Keras; sums over 4 rows (dparam) may round apart.
                assert!(
                    (o - k).abs() <= 2e-6 * k.abs().max(1.0),
                    "{name} {what}: ours {o}, keras {k}"
                );
            }
        }
    }
}

#[test]
fn every_optimizer_trains_learned_activation_parameters_as_keras_does() {
    let doc = reference("keras_learned_activations.json");
    let cases = doc["training_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 27);
    for case in cases {
        let activation = match case["model"].as_str().unwrap() {
            "prelu" => r#"{ name = "prelu" }"#,
            "prelu_alpha0.1" => r#"{ name = "prelu", alpha = 0.1 }"#,
            "swish_learned" => r#"{ name = "swish", learned = true }"#,
            other => panic!("unknown model {other}"),
        };
        let spec = format!("hidden = [3]\nactivation = {activation}");
        let mut model = keras_model(&spec, 4, 2, case);
        let (w, at) = replay(&mut model, case, 4, 2, &[]);
        // Bit-level agreement is not expected (XLA fuses the step), but three steps on six
        // samples stay within a few float32 ulps; a missed update of α/β is off by > 1e-3.
        assert!(
            w <= 1e-5,
            "{}: {at} (scaled difference {w:e})",
            case["case"]
        );
    }
}
