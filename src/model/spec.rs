//! The network's architecture as a study file writes it ([`ModelSpec`]): hidden layer sizes, the
//! activation, the initializer, dropout and batch norm. What the network built from it does lives
//! in `network.rs` and `forward.rs`.

use serde::{Deserialize, Serialize};

use super::BatchNormSpec;
use crate::error::{Error, Result};
use crate::zoo::activation::Activation;
use crate::zoo::dropout::Dropout;
use crate::zoo::init::Initializer;

/// The network's architecture as written in a study file: Flatten → Dense(hidden…) → Dense(outputs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Units of each hidden dense layer, bottom to top.
    pub hidden: Vec<usize>,
    /// Activation of every hidden layer (the output layer has none: the loss takes logits).
    #[serde(
        default = "relu",
        deserialize_with = "crate::zoo::named::string_or_table"
    )]
    pub activation: Activation,
    /// Initializer of every kernel (Keras's default is glorot_uniform).
    #[serde(
        default = "glorot_uniform",
        deserialize_with = "crate::zoo::named::string_or_table"
    )]
    pub initializer: Initializer,
    /// Dropout before every dense layer (inputs and hidden activations) while training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<Dropout>,
    /// Batch normalization (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_norm: Option<BatchNormSpec>,
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
        self.activation.check()?;
        if let Some(d) = &self.dropout {
            d.check()?;
        }
        if let Some(bn) = &self.batch_norm {
            bn.check()?;
        }
        self.initializer.check()
    }
}
