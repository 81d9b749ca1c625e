//! A CNN's convolutional layers, built from a [`ModelSpec`] of kind "cnn": per layer a
//! convolution (a [`Dense`] with a [`Window`], its kernel drawn with Keras's conv fans), then
//! [BN before] → activation → [BN after] as a dense hidden layer has, then max pooling. Batch norm
//! here normalizes each channel over the batch and every position (Keras's
//! `BatchNormalization(axis=-1)` on channels-last maps); its input variant normalizes the input
//! image's channels. The dense layers on top and the rest of the network are `network.rs`'s; the
//! im2col and pooling ops are `conv.rs`'s.

use dfdx::prelude::*;
use rand::RngCore;

use super::spec::IMAGE_28X28;
use super::{BatchNorm, Dense, Kind, Mlp, ModelSpec, Op, Param, Placement};
use crate::error::{Error, Result};

impl<D: Device<f32>> Mlp<D> {
    /// Pushes the conv layers of `spec` (layers 0, 1, …) for images of `inputs` values; returns
    /// the number of features the last one puts out (what the first dense layer gets, flattened
    /// channels last as Keras's `Flatten`).
    pub(super) fn push_conv_layers(
        &mut self,
        spec: &ModelSpec,
        inputs: usize,
        dev: &D,
        rng: &mut impl RngCore,
    ) -> Result<usize> {
        let [height, width, channels] = spec.input_shape.unwrap_or(IMAGE_28X28);
        if height * width * channels != inputs {
            return Err(Error::invalid(
                "model.input_shape",
                format!(
                    "{height}×{width}×{channels} = {} values per image, but the data has {inputs}",
                    height * width * channels
                ),
            ));
        }
        if let Some(b) = spec.batch_norm.filter(|b| b.input) {
            self.push(0, Op::Norm(BatchNorm::new(dev, channels, &b)));
        }
        let before = spec.batch_norm.map(|b| b.placement) == Some(Placement::BeforeActivation);
        let mut features = inputs;
        for (layer, g) in spec.conv_geometry().into_iter().enumerate() {
            let window = g.conv;
            let (rows, cols) = (window.patch_len(), g.filters);
            let receptive = window.size.0 * window.size.1;
            // Keras's fans for a conv kernel: receptive field × input or output channels.
            let kernel = spec.initializer.conv_kernel(
                receptive * window.channels,
                receptive * g.filters,
                rows * cols,
                rng,
            );
            self.push(
                layer,
                Op::Dense(Dense {
                    kernel: Param::new(dev, kernel, (rows, cols), Kind::Kernel),
                    bias: (!before).then(|| Param::new(dev, vec![0.0; cols], (cols,), Kind::Bias)),
                    window: Some(window),
                }),
            );
            let (out_rows, out_cols) = window.out();
            self.push_activation(spec, layer, out_rows * out_cols * g.filters, g.filters, dev);
            if let Some(pool) = g.pool {
                self.push(layer, Op::Pool(pool));
            }
            features = g.features_out();
        }
        Ok(features)
    }
}

#[cfg(test)]
mod tests {
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng};

    use crate::model::{Mlp, ModelSpec};
    use crate::seed::{stream, Purpose};

    fn spec(text: &str) -> ModelSpec {
        toml::from_str(text).unwrap()
    }

    /// glorot_uniform draws a conv kernel in ±√(6 / (fan_in + fan_out)) with Keras's conv fans
    /// (receptive field × channels): LeNet's first kernel 5×5×1×6 has fans 25 and 150, its
    /// second 5×5×6×16 has 150 and 400. A dense layer's fans (rows, columns) would give wider
    /// limits (√(6/31), √(6/166)) that the draws would fill.
    #[test]
    fn conv_kernels_use_keras_conv_fans() {
        let dev = Cpu::default();
        let model = Mlp::new(
            &spec(r#"kind = "cnn""#),
            784,
            10,
            &dev,
            &mut stream(0, Purpose::Init),
        )
        .unwrap();
        let kernels = model.kernels();
        for (kernel, (fan_in, fan_out)) in kernels.iter().zip([(25.0, 150.0), (150.0, 400.0)]) {
            let limit = (6.0f64 / (fan_in + fan_out)).sqrt() as f32;
            let largest = kernel.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            assert!(largest <= limit, "{largest} > {limit}");
            assert!(largest > 0.95 * limit, "{largest} far below {limit}");
        }
        assert_eq!(kernels[0].len(), 5 * 5 * 6);
        assert_eq!(kernels[1].len(), 5 * 5 * 6 * 16);
    }

    /// A CNN's training step through the `Cpu` fast paths (im2col, pooling, BN per channel)
    /// gives dfdx's own ops' logits and gradients.
    #[test]
    fn cpu_paths_match_dfdx_for_a_whole_cnn() {
        let dev = Cpu::default();
        let spec = spec(
            r#"kind = "cnn"
conv = [{ filters = 3, kernel = 3, padding = "same" }, { filters = 4, kernel = 3, stride = 2, pool = 1 }]
hidden = [8]
activation = "elu"
batch_norm = { placement = "before_activation" }"#,
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let n = 4;
        let xs: Vec<f32> = (0..n * 784).map(|_| rng.gen_range(0.0..1.0)).collect();
        let run = |generic: bool| {
            crate::model::with_dfdx_only(generic, || {
                let mut model =
                    Mlp::new(&spec, 784, 10, &dev, &mut stream(1, Purpose::Init)).unwrap();
                let x = dev.tensor_from_vec(xs.clone(), (n, 784));
                let logits = model.forward_train_params(x, &mut stream(1, Purpose::Noise));
                let values = logits.retaped::<NoneTape>().as_vec();
                let weights =
                    dev.tensor_from_vec((0..n * 10).map(|i| i as f32 * 0.1).collect(), (n, 10));
                let grads = (logits * weights).sum().backward();
                let grads: Vec<Vec<f32>> =
                    model.params().iter().map(|(_, p)| p.grad(&grads)).collect();
                (values, grads)
            })
        };
        let (fast, reference) = (run(false), run(true));
        let close = |a: &[f32], b: &[f32]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() <= 1e-5 * (1.0 + y.abs()))
        };
        assert!(close(&fast.0, &reference.0), "logits");
        for (i, (a, b)) in fast.1.iter().zip(&reference.1).enumerate() {
            assert!(close(a, b), "parameter {i}: {a:?} vs {b:?}");
        }
    }
}
