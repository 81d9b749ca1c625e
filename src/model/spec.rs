//! The network's architecture as a study file writes it ([`ModelSpec`]): its kind (a dense
//! [`ModelKind::Mlp`], the default, or a convolutional [`ModelKind::Cnn`]), the convolutional
//! layers ([`ConvLayer`]), the hidden dense layer sizes, the activation, the initializer, dropout
//! and batch norm. What the network built from it does lives in `network.rs`, `cnn.rs` and
//! `forward.rs`.
//!
//! A spec is read through [`ModelSpecFile`], which fills in a CNN's defaults (LeNet-5's layers)
//! and refuses settings of the other kind, so the resolved spec (hashed into cell ids, saved with
//! a model) always names every layer. An MLP's spec serializes exactly as before kinds existed
//! (`kind`, `conv` and `input_shape` are left out), so existing cell ids stay.

use serde::{Deserialize, Serialize};

use super::conv::Padding;
use super::BatchNormSpec;
use crate::error::{Error, Result};
use crate::zoo::activation::Activation;
use crate::zoo::dropout::Dropout;
use crate::zoo::init::Initializer;

/// Which network a spec builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Flatten → dense layers (the default; never written in a canonical config).
    #[default]
    Mlp,
    /// Convolutional layers (conv → [BN] → activation → [BN] → max pool) → flatten → dense
    /// layers.
    Cnn,
}

impl ModelKind {
    /// Whether this is the default kind (left out of the canonical config).
    pub fn is_mlp(&self) -> bool {
        *self == ModelKind::Mlp
    }

    /// The name a study file uses.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
        }
    }
}

/// One convolutional layer of a CNN: Keras's `Conv2D(filters, kernel, strides, padding)`, then
/// the activation and, when `pool` > 1, `MaxPooling2D(pool)` (window and stride `pool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvLayer {
    /// Output channels (filters).
    pub filters: usize,
    /// Kernel rows and columns (square; 5 as in LeNet-5).
    #[serde(default = "five")]
    pub kernel: usize,
    /// Step between windows (1).
    #[serde(default = "one")]
    pub stride: usize,
    /// Border handling ("valid", Keras's default, or "same").
    #[serde(default)]
    pub padding: Padding,
    /// Max-pooling window and stride after the activation (2; 1 means no pooling).
    #[serde(default = "two")]
    pub pool: usize,
}

fn five() -> usize {
    5
}
fn one() -> usize {
    1
}
fn two() -> usize {
    2
}

/// LeNet-5's convolutional part for 28×28 images (as Keras tutorials write it): 6 filters 5×5
/// with "same" padding, pool 2 (14×14×6), 16 filters 5×5, pool 2 (5×5×16).
pub fn lenet5_conv() -> Vec<ConvLayer> {
    vec![
        ConvLayer {
            filters: 6,
            kernel: 5,
            stride: 1,
            padding: Padding::Same,
            pool: 2,
        },
        ConvLayer {
            filters: 16,
            kernel: 5,
            stride: 1,
            padding: Padding::Valid,
            pool: 2,
        },
    ]
}

/// LeNet-5's dense layers: 120 and 84 units.
pub const LENET5_HIDDEN: [usize; 2] = [120, 84];

/// The input image shape a CNN assumes unless told: 28×28 pixels, one channel (Fashion-MNIST and
/// MNIST).
pub const IMAGE_28X28: [usize; 3] = [28, 28, 1];

/// The network's architecture, resolved: Flatten → Dense(hidden…) → Dense(outputs) for an MLP;
/// conv layers → Flatten → Dense(hidden…) → Dense(outputs) for a CNN. Read from a study file
/// through [`ModelSpecFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ModelSpecFile")]
pub struct ModelSpec {
    /// The network's kind (MLP unless told).
    #[serde(skip_serializing_if = "ModelKind::is_mlp")]
    pub kind: ModelKind,
    /// A CNN's input images: rows, columns, channels (channels last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_shape: Option<[usize; 3]>,
    /// A CNN's convolutional layers, bottom to top (empty for an MLP).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conv: Vec<ConvLayer>,
    /// Units of each hidden dense layer, bottom to top.
    pub hidden: Vec<usize>,
    /// Activation of every hidden layer, convolutional or dense (the output layer has none: the
    /// loss takes logits).
    pub activation: Activation,
    /// Initializer of every kernel (Keras's default is glorot_uniform); a convolution's fans are
    /// its receptive field × its input or output channels, as Keras's.
    pub initializer: Initializer,
    /// Dropout before every dense layer (an MLP's inputs and hidden activations; a CNN's
    /// flattened features and hidden dense activations) while training.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropout: Option<Dropout>,
    /// Batch normalization (none by default); in a CNN's convolutional layers it normalizes each
    /// channel over the batch and every position, as Keras's `BatchNormalization(axis=-1)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_norm: Option<BatchNormSpec>,
}

/// A model spec as a study file writes it, before the kind's defaults are filled in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpecFile {
    /// "mlp" (the default) or "cnn".
    #[serde(default)]
    kind: ModelKind,
    /// CNN only: [rows, columns, channels] (default [28, 28, 1]).
    #[serde(default)]
    input_shape: Option<[usize; 3]>,
    /// CNN only: the conv layers (default: LeNet-5's, [`lenet5_conv`]).
    #[serde(default)]
    conv: Option<Vec<ConvLayer>>,
    /// Hidden dense widths (required for an MLP; a CNN's default is LeNet-5's [120, 84]).
    #[serde(default)]
    hidden: Option<Vec<usize>>,
    #[serde(
        default = "relu",
        deserialize_with = "crate::zoo::named::string_or_table"
    )]
    activation: Activation,
    #[serde(
        default = "glorot_uniform",
        deserialize_with = "crate::zoo::named::string_or_table"
    )]
    initializer: Initializer,
    #[serde(default)]
    dropout: Option<Dropout>,
    #[serde(default)]
    batch_norm: Option<BatchNormSpec>,
}

impl TryFrom<ModelSpecFile> for ModelSpec {
    type Error = String;

    fn try_from(file: ModelSpecFile) -> std::result::Result<Self, String> {
        let cnn = file.kind == ModelKind::Cnn;
        if !cnn && (file.conv.is_some() || file.input_shape.is_some()) {
            return Err(
                "model.conv and model.input_shape belong to a convolutional network: add \
                 kind = \"cnn\" (valid kinds: mlp, cnn)"
                    .into(),
            );
        }
        let hidden = match (file.hidden, cnn) {
            (Some(h), _) => h,
            (None, true) => LENET5_HIDDEN.to_vec(),
            (None, false) => {
                return Err(
                    "missing field `hidden` (the hidden dense layers' widths, e.g. \
                            hidden = [300, 100])"
                        .into(),
                )
            }
        };
        Ok(ModelSpec {
            kind: file.kind,
            input_shape: cnn.then(|| file.input_shape.unwrap_or(IMAGE_28X28)),
            conv: if cnn {
                file.conv.unwrap_or_else(lenet5_conv)
            } else {
                Vec::new()
            },
            hidden,
            activation: file.activation,
            initializer: file.initializer,
            dropout: file.dropout,
            batch_norm: file.batch_norm,
        })
    }
}

fn relu() -> Activation {
    Activation::new(crate::zoo::activation::Relu {})
}
fn glorot_uniform() -> Initializer {
    Initializer::new(crate::zoo::init::GlorotUniform {})
}

impl ModelSpec {
    /// Checks the sizes and the initializer's parameters.
    pub fn check(&self) -> Result<()> {
        if self.hidden.contains(&0) {
            return Err(Error::invalid(
                "model.hidden",
                "every hidden layer needs at least 1 unit",
            ));
        }
        if self.kind == ModelKind::Cnn {
            self.check_conv()?;
        }
        self.activation.check()?;
        if let Some(d) = &self.dropout {
            d.check()?;
        }
        if let Some(bn) = &self.batch_norm {
            bn.check()?;
        }
        self.initializer.check()
    }

    /// Layers below the output layer: conv layers, then hidden dense layers (what layer reuse
    /// and freezing count).
    pub fn hidden_layers(&self) -> usize {
        self.conv.len() + self.hidden.len()
    }

    /// Checks that every conv layer has a size and fits the image that reaches it.
    fn check_conv(&self) -> Result<()> {
        let [mut height, mut width, channels] = self.input_shape.unwrap_or(IMAGE_28X28);
        if height == 0 || width == 0 || channels == 0 {
            return Err(Error::invalid(
                "model.input_shape",
                "rows, columns and channels must each be at least 1",
            ));
        }
        for (i, layer) in self.conv.iter().enumerate() {
            let what = format!("model.conv[{i}]");
            if layer.filters == 0 || layer.kernel == 0 || layer.stride == 0 || layer.pool == 0 {
                return Err(Error::invalid(
                    what,
                    "filters, kernel, stride and pool must each be at least 1 (pool = 1: no \
                     pooling)",
                ));
            }
            if layer.padding == Padding::Valid && (layer.kernel > height || layer.kernel > width) {
                return Err(Error::invalid(
                    what,
                    format!(
                        "a {k}×{k} kernel does not fit the {height}×{width} image that reaches \
                         this layer; use a smaller kernel, padding = \"same\" or fewer layers",
                        k = layer.kernel
                    ),
                ));
            }
            let out = |n: usize| match layer.padding {
                Padding::Valid => (n - layer.kernel) / layer.stride + 1,
                Padding::Same => n.div_ceil(layer.stride),
            };
            (height, width) = (out(height), out(width));
            if layer.pool > height || layer.pool > width {
                return Err(Error::invalid(
                    what,
                    format!(
                        "a pool of {} does not fit the {height}×{width} feature map it gets",
                        layer.pool
                    ),
                ));
            }
            (height, width) = (height / layer.pool, width / layer.pool);
        }
        Ok(())
    }
}
