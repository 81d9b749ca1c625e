//! The datasets one process trains on, each loaded once ([`Datasets`]): a study whose grid names
//! `dataset` (a workload axis) runs each cell on the dataset its config names. The default
//! dataset (Fashion-MNIST, or the synthetic data a test passes instead) is the primary one;
//! the others are looked up by their catalog name. Finding, checking and splitting one dataset is
//! `mod.rs`'s; the table of datasets is `catalog.rs`'s.

use super::{catalog, load_dataset, DataOptions, FashionMnist};
use crate::error::{Error, Result};

/// The loaded datasets a run may name.
#[derive(Debug, Clone, Copy)]
pub struct Datasets<'a> {
    /// The default dataset's data (what a config without `dataset` trains on).
    primary: &'a FashionMnist,
    /// Every other dataset loaded, by its catalog name.
    others: &'a [FashionMnist],
}

impl<'a> From<&'a FashionMnist> for Datasets<'a> {
    fn from(primary: &'a FashionMnist) -> Self {
        Datasets {
            primary,
            others: &[],
        }
    }
}

impl<'a> Datasets<'a> {
    /// `primary` for configs that name the default dataset, `others` for the rest.
    pub fn new(primary: &'a FashionMnist, others: &'a [FashionMnist]) -> Self {
        Datasets { primary, others }
    }

    /// The data a config naming `name` trains on: the primary data for the default dataset
    /// (or the primary's own name), else the loaded dataset of that name.
    pub fn get(&self, name: &str) -> Result<&'a FashionMnist> {
        if name == catalog::DEFAULT.name || name == self.primary.dataset {
            return Ok(self.primary);
        }
        self.others
            .iter()
            .find(|d| d.dataset == name)
            .ok_or_else(|| {
                Error::invalid(
                    "dataset",
                    format!(
                        "`{name}` was not loaded; loaded: {}",
                        self.all().map(|d| d.dataset).collect::<Vec<_>>().join(", ")
                    ),
                )
            })
    }

    /// The loaded data whose recorded name is `name` (a run record's `dataset`), if any.
    pub fn recorded(&self, name: &str) -> Option<&'a FashionMnist> {
        self.all().find(|d| d.dataset == name)
    }

    /// Every loaded dataset, the primary first.
    pub fn all(&self) -> impl Iterator<Item = &'a FashionMnist> + 'a {
        std::iter::once(self.primary).chain(self.others.iter())
    }
}

/// Loads, once each, the datasets among `names` other than the default one (whose data the
/// caller loads as the primary), in the order first named.
pub fn load_others(names: &[&str], opts: &DataOptions) -> Result<Vec<FashionMnist>> {
    let mut loaded: Vec<FashionMnist> = Vec::new();
    for &name in names {
        let dataset = catalog::by_name(name)?;
        if dataset.name == catalog::DEFAULT.name || loaded.iter().any(|d| d.dataset == name) {
            continue;
        }
        // --data-dir names the default dataset's directory; the others are found their own way.
        let opts = DataOptions {
            dir: None,
            ..opts.clone()
        };
        loaded.push(load_dataset(dataset, &opts)?);
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_gets_its_datasets_data_and_an_unloaded_one_is_an_error() {
        let primary = super::super::synthetic(20, 5, 5, 1);
        let mut other = super::super::synthetic(20, 5, 5, 2);
        other.dataset = "mnist";
        let others = [other];
        let sets = Datasets::new(&primary, &others);
        assert_eq!(
            sets.get("fashion-mnist").unwrap().fingerprint,
            primary.fingerprint
        );
        assert_eq!(
            sets.get("mnist").unwrap().fingerprint,
            others[0].fingerprint
        );
        assert!(sets
            .get("kmnist")
            .unwrap_err()
            .to_string()
            .contains("not loaded"));
        assert_eq!(
            sets.recorded("synthetic").unwrap().fingerprint,
            primary.fingerprint
        );
        let alone = Datasets::from(&primary);
        assert!(alone.get("mnist").is_err());
    }
}
