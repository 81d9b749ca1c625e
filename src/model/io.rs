//! Saving and loading a network's weights as safetensors: every op's tensors under
//! `op<index>.<name>` (`op001.kernel`, `op000.moving_mean`, `op002.param`), float32, with the
//! model spec, input and output widths in the file's metadata so that loading rebuilds the same
//! network. A loaded network is bit-for-bit the saved one.

use std::collections::HashMap;
use std::path::Path;

use dfdx::prelude::*;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::{Mlp, ModelSpec, Op, Trainable};
use crate::error::{Error, Result};

const FORMAT: &str = "trainbench-mlp-1";

/// One named tensor: name, shape, values.
type Named = (String, Vec<usize>, Vec<f32>);

impl<D: Device<f32>> Mlp<D> {
    /// Every tensor of the network (trainable and moving statistics) with its name and shape.
    fn named(&self) -> Vec<Named> {
        let mut out = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            let mut add = |name: &str, shape: Vec<usize>, values: &[f32]| {
                out.push((format!("op{i:03}.{name}"), shape, values.to_vec()));
            };
            match op {
                Op::Dense(d) => {
                    add("kernel", vec![d.fan_in(), d.fan_out()], d.kernel.values());
                    if let Some(b) = &d.bias {
                        add("bias", vec![b.values().len()], b.values());
                    }
                }
                Op::Norm(n) => {
                    let units = n.moving_mean.len();
                    add("gamma", vec![units], n.gamma.values());
                    add("beta", vec![units], n.beta.values());
                    add("moving_mean", vec![units], &n.moving_mean);
                    add("moving_variance", vec![units], &n.moving_variance);
                }
                Op::Activation { param: Some(p), .. } => {
                    add("param", vec![p.values().len()], p.values())
                }
                _ => {}
            }
        }
        out
    }

    /// Writes the network of `spec` (built for `inputs` features) to `path` (atomically).
    pub fn save(&self, spec: &ModelSpec, inputs: usize, path: &Path) -> Result<()> {
        let named = self.named();
        let bytes: Vec<Vec<u8>> = named
            .iter()
            .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
            .collect();
        let views = named
            .iter()
            .zip(&bytes)
            .map(|((name, shape, _), b)| {
                TensorView::new(Dtype::F32, shape.clone(), b).map(|v| (name.clone(), v))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid("model file", e.to_string()))?;
        let spec_json = serde_json::to_string(spec).expect("a model spec serializes");
        let metadata = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("model".to_string(), spec_json),
            ("inputs".to_string(), inputs.to_string()),
            ("outputs".to_string(), self.outputs().to_string()),
        ]);
        let file = safetensors::serialize(views, Some(metadata))
            .map_err(|e| Error::invalid("model file", e.to_string()))?;
        crate::atomic::write(path, &file)
    }

    /// Reads a network written by [`Mlp::save`]; returns it with its spec.
    pub fn load(dev: &D, path: &Path) -> Result<(Mlp<D>, ModelSpec)> {
        let bad = |why: String| Error::invalid(format!("model file {}", path.display()), why);
        let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
        let file = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |key: &str| {
            meta.get(key).cloned().ok_or_else(|| {
                bad(format!(
                    "no `{key}` in its metadata: not a trainbench model"
                ))
            })
        };
        if get("format")? != FORMAT {
            return Err(bad(format!("format {} is not {FORMAT}", get("format")?)));
        }
        let spec: ModelSpec =
            serde_json::from_str(&get("model")?).map_err(|e| bad(e.to_string()))?;
        let number = |key: &str| -> Result<usize> {
            get(key)?
                .parse()
                .map_err(|_| bad(format!("`{key}` is not a number")))
        };
        let (inputs, outputs) = (number("inputs")?, number("outputs")?);
        // Any initial draw: every tensor is overwritten below.
        let mut rng = crate::seed::stream(0, crate::seed::Purpose::Init);
        let mut model = Mlp::new(&spec, inputs, outputs, dev, &mut rng)?;
        let mut loaded = Vec::new();
        for (name, shape, _) in model.named() {
            let view = file
                .tensor(&name)
                .map_err(|_| bad(format!("tensor {name} is missing")))?;
            if view.dtype() != Dtype::F32 || view.shape() != shape.as_slice() {
                return Err(bad(format!(
                    "tensor {name} is {:?} {:?}, expected F32 {shape:?}",
                    view.dtype(),
                    view.shape()
                )));
            }
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            loaded.push(values);
        }
        model.set_named(&loaded);
        Ok((model, spec))
    }

    /// Puts back values in [`Mlp::named`] order.
    fn set_named(&mut self, values: &[Vec<f32>]) {
        let mut next = values.iter();
        let mut take = |dst: &mut Vec<f32>| {
            if let Some(v) = next.next() {
                dst.clone_from(v);
            }
        };
        for op in &mut self.ops {
            match op {
                Op::Dense(d) => {
                    take(d.kernel.values_mut());
                    d.kernel.sync();
                    if let Some(b) = &mut d.bias {
                        take(b.values_mut());
                        b.sync();
                    }
                }
                Op::Norm(n) => {
                    take(n.gamma.values_mut());
                    n.gamma.sync();
                    take(n.beta.values_mut());
                    n.beta.sync();
                    take(&mut n.moving_mean);
                    take(&mut n.moving_variance);
                }
                Op::Activation { param: Some(p), .. } => {
                    take(p.values_mut());
                    p.sync();
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_network_loads_bit_for_bit() {
        let dev = Cpu::default();
        let spec: ModelSpec = toml::from_str(
            "hidden = [7, 5]\nactivation = { name = \"prelu\", alpha = 0.1 }\n\
             batch_norm = { placement = \"before_activation\" }",
        )
        .unwrap();
        let mut rng = crate::seed::stream(9, crate::seed::Purpose::Init);
        let mut model = Mlp::new(&spec, 12, 3, &dev, &mut rng).unwrap();
        // Make every tensor distinct from its initial value, moving statistics included.
        let state: Vec<Vec<f32>> = model
            .state()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.iter()
                    .enumerate()
                    .map(|(j, x)| x + 0.01 * (i * 31 + j) as f32)
                    .collect()
            })
            .collect();
        model.restore(&state);
        assert_eq!(model.state(), state, "restore puts back every tensor");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        model.save(&spec, 12, &path).unwrap();
        let (loaded, loaded_spec) = Mlp::<Cpu>::load(&dev, &path).unwrap();
        assert_eq!(loaded_spec, spec);
        let bits = |m: &Mlp<Cpu>| -> Vec<Vec<u32>> {
            m.state()
                .iter()
                .map(|v| v.iter().map(|x| x.to_bits()).collect())
                .collect()
        };
        assert_eq!(bits(&loaded), bits(&model));
        let x = dev.tensor_from_vec((0..24).map(|i| i as f32 / 24.0).collect(), (2, 12));
        assert_eq!(
            loaded.forward(x.clone()).as_vec(),
            model.forward(x).as_vec()
        );
    }

    #[test]
    fn a_file_that_is_not_a_model_gives_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.safetensors");
        std::fs::write(&path, b"not a safetensors file").unwrap();
        let err = Mlp::<Cpu>::load(&Cpu::default(), &path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("junk.safetensors"), "{err}");
    }
}
