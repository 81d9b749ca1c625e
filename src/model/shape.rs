//! The sizes an image meets on its way through a network, worked out from a [`ModelSpec`]
//! without building it: per layer with weights, its parameters, its multiply-adds and the
//! values it puts out. The study's cost estimate (`study::tune::budget`) and memory estimate
//! (`study::memory`) read them, so that a convolution, which reuses its few weights at every
//! position of the image, is costed by the work it does rather than by its parameter count.
//! The network itself is built in `network.rs` and `cnn.rs`; a test below checks these sizes
//! against a built network's.

use super::conv::Window;
use super::spec::IMAGE_28X28;
use super::{ModelKind, ModelSpec};

/// One layer with weights (a convolution or a dense layer), as one image passes through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerShape {
    /// How a message names it: "conv layer 1 (filters = 6, kernel = 5)", "layer 2 (hidden =
    /// 120)", "the output layer (84 → 10)".
    pub name: String,
    /// Whether it is the output layer (no activation, batch norm or dropout after it).
    pub is_output: bool,
    /// Values per image it takes in (a dense layer's fan-in; a convolution's input map).
    pub inputs: usize,
    /// Kernel and bias values (batch norm's apart).
    pub parameters: usize,
    /// Channels (a convolution's filters, a dense layer's units): batch norm keeps 4 values
    /// per channel.
    pub channels: usize,
    /// Multiply-adds per image, a bias add counted as one: `(fan_in + 1) × units` for a dense
    /// layer (its parameters), `(patch + 1) × filters × positions` for a convolution.
    pub multiply_adds: usize,
    /// Values per image the product puts out (before pooling).
    pub outputs: usize,
    /// Values per image of a convolution's im2col patch matrix (0 for a dense layer).
    pub patches: usize,
    /// Values per image after the layer's max pooling (= `outputs` without pooling).
    pub pooled: usize,
}

/// One convolutional layer's geometry: its convolution's window over the map it gets and,
/// when it pools, its pooling window over the convolution's output. The one walk through a
/// CNN's layers that both the network (`cnn.rs`) and the sizes above follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConvGeometry {
    /// The convolution: input map, kernel size, stride, padding.
    pub conv: Window,
    /// Its filters (output channels).
    pub filters: usize,
    /// Max pooling after the activation (window and stride `pool`, valid), if `pool` > 1.
    pub pool: Option<Window>,
}

impl ConvGeometry {
    /// Values per image the layer passes on (after pooling).
    pub fn features_out(&self) -> usize {
        let (rows, cols) = match self.pool {
            Some(pool) => pool.out(),
            None => self.conv.out(),
        };
        rows * cols * self.filters
    }
}

impl ModelSpec {
    /// The geometry of each conv layer, bottom to top, from the input shape (28×28×1 unless
    /// told); empty for an MLP.
    pub(super) fn conv_geometry(&self) -> Vec<ConvGeometry> {
        let [mut height, mut width, mut channels] = self.input_shape.unwrap_or(IMAGE_28X28);
        let mut layers = Vec::with_capacity(self.conv.len());
        for c in &self.conv {
            let conv = Window {
                height,
                width,
                channels,
                size: (c.kernel, c.kernel),
                stride: c.stride,
                padding: c.padding,
            };
            (height, width) = conv.out();
            channels = c.filters;
            let pool = (c.pool > 1).then_some(Window {
                height,
                width,
                channels,
                size: (c.pool, c.pool),
                stride: c.pool,
                padding: super::conv::Padding::Valid,
            });
            if let Some(p) = pool {
                (height, width) = p.out();
            }
            layers.push(ConvGeometry {
                conv,
                filters: c.filters,
                pool,
            });
        }
        layers
    }

    /// Every layer with weights, bottom to top, for images of `inputs` values and `classes`
    /// outputs. A CNN whose input shape does not hold `inputs` values is sized by its input
    /// shape (building it is what reports that error).
    pub fn layer_shapes(&self, inputs: usize, classes: usize) -> Vec<LayerShape> {
        let mut layers = Vec::new();
        let mut features = inputs;
        if self.kind == ModelKind::Cnn {
            for (k, g) in self.conv_geometry().iter().enumerate() {
                let (rows, cols) = g.conv.out();
                let positions = rows * cols;
                let patch = g.conv.patch_len();
                layers.push(LayerShape {
                    name: format!(
                        "conv layer {} (filters = {}, kernel = {})",
                        k + 1,
                        g.filters,
                        g.conv.size.0
                    ),
                    is_output: false,
                    inputs: g.conv.in_len(),
                    parameters: (patch + 1) * g.filters,
                    channels: g.filters,
                    multiply_adds: (patch + 1) * g.filters * positions,
                    outputs: positions * g.filters,
                    patches: patch * positions,
                    pooled: g.features_out(),
                });
                features = g.features_out();
            }
        }
        let first_dense = layers.len();
        for (k, &units) in self
            .hidden
            .iter()
            .chain(std::iter::once(&classes))
            .enumerate()
        {
            let is_output = k == self.hidden.len();
            let dense = (features + 1) * units;
            layers.push(LayerShape {
                name: if is_output {
                    format!("the output layer ({features} → {units})")
                } else {
                    format!("layer {} (hidden = {units})", first_dense + k + 1)
                },
                is_output,
                inputs: features,
                parameters: dense,
                channels: units,
                multiply_adds: dense,
                outputs: units,
                patches: 0,
                pooled: units,
            });
            features = units;
        }
        layers
    }
}

#[cfg(test)]
mod tests {
    use dfdx::prelude::*;

    use crate::model::{Mlp, ModelSpec, Op, Trainable};
    use crate::seed::{stream, Purpose};

    fn spec(text: &str) -> ModelSpec {
        toml::from_str(text).unwrap()
    }

    /// An MLP's layers are its dense layers: parameters and multiply-adds `(fan_in + 1) × units`.
    #[test]
    fn an_mlp_is_its_dense_layers() {
        let shapes = spec("hidden = [300, 100]").layer_shapes(784, 10);
        let work: Vec<usize> = shapes.iter().map(|l| l.multiply_adds).collect();
        assert_eq!(work, [785 * 300, 301 * 100, 101 * 10]);
        assert_eq!(shapes[0].name, "layer 1 (hidden = 300)");
        assert_eq!(shapes[2].name, "the output layer (100 → 10)");
        assert!(shapes[2].is_output && !shapes[1].is_output);
    }

    /// LeNet-5 by hand: conv 1 ("same", 6 filters 5×5 on 28×28×1) has 28·28 positions of a
    /// 25-value patch, (25 + 1)·6·784 = 122,304 multiply-adds, pooled to 14×14×6; conv 2
    /// ("valid", 16 filters on 14×14×6) has 10·10 positions of 150 values, (150 + 1)·16·100 =
    /// 241,600, pooled to 5×5×16 = 400 features for the 120-unit layer.
    #[test]
    fn lenet_by_hand() {
        let shapes = spec(r#"kind = "cnn""#).layer_shapes(784, 10);
        let work: Vec<usize> = shapes.iter().map(|l| l.multiply_adds).collect();
        assert_eq!(work, [122_304, 241_600, 401 * 120, 121 * 84, 85 * 10]);
        assert_eq!(
            (shapes[0].outputs, shapes[0].pooled),
            (28 * 28 * 6, 14 * 14 * 6)
        );
        assert_eq!(shapes[0].patches, 784 * 25);
        assert_eq!((shapes[1].outputs, shapes[1].pooled), (10 * 10 * 16, 400));
        assert_eq!(shapes[1].parameters, 151 * 16);
        assert_eq!(shapes[2].name, "layer 3 (hidden = 120)");
        assert_eq!(shapes[2].inputs, 400);
    }

    /// The sizes agree with a built network's parameters, for both kinds.
    #[test]
    fn parameters_agree_with_a_built_network() {
        let dev = Cpu::default();
        for text in [
            "hidden = [64, 32]",
            r#"kind = "cnn""#,
            r#"kind = "cnn"
               hidden = [50]
               conv = [{ filters = 4, kernel = 3, pool = 1 }, { filters = 8, kernel = 3, stride = 2, padding = "same" }]"#,
        ] {
            let spec = spec(text);
            let model = Mlp::new(&spec, 784, 10, &dev, &mut stream(0, Purpose::Init)).unwrap();
            let built: Vec<usize> = model
                .ops()
                .iter()
                .filter_map(|op| match op {
                    Op::Dense(d) => Some(
                        d.kernel.values().len() + d.bias.as_ref().map_or(0, |b| b.values().len()),
                    ),
                    _ => None,
                })
                .collect();
            let shapes: Vec<usize> = spec
                .layer_shapes(784, 10)
                .iter()
                .map(|l| l.parameters)
                .collect();
            assert_eq!(shapes, built, "{text}");
        }
    }
}
