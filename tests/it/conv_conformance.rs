//! The convolutional network's ops against Keras 3 (tests/reference/keras_conv.py and its output
//! keras_conv.json): Conv2D (valid and same padding, strides 1 and 2, odd sizes) as
//! `patches(x) · kernel + bias`, and MaxPooling2D, each forward and backward (the gradients of
//! sum(y · u) with respect to the input, the kernel and the bias).

use crate::common;

use common::{floats32, reference};
use dfdx::prelude::*;
use trainbench::model::conv::{max_pool, patches, Padding, Window};

/// Largest |ours − reference| / max(1, |reference|).
fn worst(ours: &[f32], reference: &[f32]) -> f64 {
    assert_eq!(ours.len(), reference.len());
    ours.iter()
        .zip(reference)
        .map(|(&o, &r)| (o as f64 - r as f64).abs() / (r as f64).abs().max(1.0))
        .fold(0.0, f64::max)
}

fn window(case: &serde_json::Value, size_key: &str) -> Window {
    let k = case[size_key].as_u64().unwrap() as usize;
    Window {
        height: case["height"].as_u64().unwrap() as usize,
        width: case["width"].as_u64().unwrap() as usize,
        channels: case["channels"].as_u64().unwrap() as usize,
        size: (k, k),
        stride: case["stride"].as_u64().unwrap() as usize,
        padding: match case["padding"].as_str().unwrap() {
            "valid" => Padding::Valid,
            "same" => Padding::Same,
            other => panic!("padding {other}"),
        },
    }
}

#[test]
fn conv2d_forward_and_backward_match_keras() {
    let doc = reference("keras_conv.json");
    let dev = Cpu::default();
    let cases = doc["conv_cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let w = window(case, "kernel_size");
        let batch = case["batch"].as_u64().unwrap() as usize;
        let filters = case["filters"].as_u64().unwrap() as usize;
        let x = dev.tensor_from_vec(floats32(&case["x"]), (batch, w.in_len()));
        let kernel = dev.tensor_from_vec(floats32(&case["kernel"]), (w.patch_len(), filters));
        let bias = dev.tensor_from_vec(floats32(&case["bias"]), (filters,));
        let shape: Vec<usize> = case["y_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!((shape[1], shape[2]), w.out(), "{name}: output size");
        let cols = patches(x.clone().leaky_traced(), &w);
        let rows = cols.shape().0;
        let z = cols.matmul(kernel.clone().leaky_traced());
        let y = z + bias
            .clone()
            .leaky_traced()
            .broadcast_like::<_, Axis<0>>(&(rows, filters));
        let values = y.retaped::<NoneTape>().as_vec();
        let e = worst(&values, &floats32(&case["y"]));
        assert!(e < 1e-5, "{name}: forward off by {e}");
        let upstream = dev.tensor_from_vec(floats32(&case["upstream"]), (rows, filters));
        let grads = (y * upstream).sum().backward();
        for (what, ours, theirs) in [
            ("x", grads.get(&x).as_vec(), &case["grad_x"]),
            ("kernel", grads.get(&kernel).as_vec(), &case["grad_kernel"]),
            ("bias", grads.get(&bias).as_vec(), &case["grad_bias"]),
        ] {
            let e = worst(&ours, &floats32(theirs));
            assert!(e < 1e-5, "{name}: gradient of {what} off by {e}");
        }
    }
}

#[test]
fn max_pool_forward_and_backward_match_keras() {
    let doc = reference("keras_conv.json");
    let dev = Cpu::default();
    let cases = doc["pool_cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let w = window(case, "pool_size");
        let batch = case["batch"].as_u64().unwrap() as usize;
        let x = dev.tensor_from_vec(floats32(&case["x"]), (batch, w.in_len()));
        let y = max_pool(x.clone().leaky_traced(), &w);
        let shape = *y.shape();
        let values = y.retaped::<NoneTape>().as_vec();
        // Exact: a maximum is one of the inputs.
        assert_eq!(values, floats32(&case["y"]), "{name}: forward");
        let upstream = dev.tensor_from_vec(floats32(&case["upstream"]), shape);
        let grads = (y * upstream).sum().backward();
        assert_eq!(
            grads.get(&x).as_vec(),
            floats32(&case["grad_x"]),
            "{name}: gradient"
        );
    }
}
