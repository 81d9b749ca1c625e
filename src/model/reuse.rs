//! Freezing layers and reusing them: every op belongs to a layer (hidden layer i owns its dense
//! layer, batch norms and activation; the input BN belongs to layer 0; the output dense layer is
//! the last). A frozen layer gets no updates and its BN runs in inference mode, as in Keras; a
//! network's lower layers can be copied into another network built with the same ones (layer
//! reuse, TECHNIQUES.md "Reusing layers").

use dfdx::prelude::*;

use super::{Mlp, Op, Trainable};
use crate::error::{Error, Result};

impl<D: Device<f32>> Mlp<D> {
    /// Freezes (no updates, BN in inference mode) or unfreezes `layer`.
    pub fn set_frozen(&mut self, layer: usize, frozen: bool) -> Result<()> {
        let n = self.frozen.len();
        match self.frozen.get_mut(layer) {
            Some(f) => {
                *f = frozen;
                Ok(())
            }
            None => Err(Error::invalid(
                "freeze",
                format!("layer {layer} does not exist; the network has layers 0..{n}"),
            )),
        }
    }

    /// Whether `layer` is frozen.
    pub fn is_frozen(&self, layer: usize) -> bool {
        self.frozen.get(layer).copied().unwrap_or(false)
    }

    /// Copies layers `0..layers` (parameters and moving statistics) from `source`, whose lower
    /// layers must have the same ops and shapes (layer reuse: model B built from model A's lower
    /// layers keeps its own upper layers).
    pub fn copy_lower_layers(&mut self, source: &Mlp<D>, layers: usize) -> Result<()> {
        let mismatch = |why: String| Err(Error::invalid("reuse", why));
        if layers >= self.num_layers() || layers >= source.num_layers() {
            return mismatch(format!(
                "cannot copy {layers} layers: the networks have {} and {} layers, and the top one \
                 is never copied",
                source.num_layers(),
                self.num_layers()
            ));
        }
        let count = |m: &Mlp<D>| m.layer_of.iter().take_while(|&&l| l < layers).count();
        let n = count(self);
        if n != count(source) {
            return mismatch("the lower layers are built differently".into());
        }
        for (mine, theirs) in self.ops[..n].iter_mut().zip(&source.ops[..n]) {
            let same = match (&*mine, theirs) {
                (Op::Dense(a), Op::Dense(b)) => {
                    a.kernel.tensor.shape() == b.kernel.tensor.shape()
                        && a.bias.is_some() == b.bias.is_some()
                        && a.window == b.window
                }
                (Op::Pool(a), Op::Pool(b)) => a == b,
                (Op::Norm(a), Op::Norm(b)) => a.moving_mean.len() == b.moving_mean.len(),
                (Op::Activation { param: a, .. }, Op::Activation { param: b, .. }) => {
                    a.as_ref().map(|p| p.num_values()) == b.as_ref().map(|p| p.num_values())
                }
                (Op::Dropout(_), Op::Dropout(_)) => true,
                _ => false,
            };
            if !same {
                return mismatch("the lower layers have different shapes or kinds".into());
            }
            *mine = theirs.clone();
        }
        Ok(())
    }
}
