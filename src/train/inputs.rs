//! What a run trains and is evaluated on: the study's splits, standardized when the run asks
//! (statistics from the training split) and restricted to the run's classes when it names them,
//! relabelled 0, 1, … in the order given.

use super::{DataView, INPUTS};
use crate::config::RunConfig;
use crate::data::{Split, Standardizer};

/// A run's inputs: the study's data, standardized when the run asks, and restricted to the run's
/// classes (relabelled 0, 1, …) when it names them. Owns the copies it had to make.
pub(super) struct Inputs<'a> {
    given: DataView<'a>,
    standardized: Option<[Split; 3]>,
    task: Option<[Split; 3]>,
}

impl<'a> Inputs<'a> {
    pub(super) fn new(given: DataView<'a>, config: &RunConfig) -> Self {
        let standardized = config.standardize.then(|| {
            let s = Standardizer::fit(given.train);
            [given.train, given.val, given.test].map(|split| {
                let mut copy = split.clone();
                s.apply(&mut copy);
                copy
            })
        });
        let mut inputs = Inputs {
            given,
            standardized,
            task: None,
        };
        if let Some(classes) = &config.classes {
            let base = inputs.original();
            inputs.task =
                Some([base.train, base.val, base.test].map(|s| select_classes(s, classes)));
        }
        inputs
    }

    /// All classes (standardized if asked): what a pretraining stage starts from.
    pub(super) fn original(&self) -> DataView<'_> {
        match &self.standardized {
            Some([train, val, test]) => DataView { train, val, test },
            None => self.given,
        }
    }

    /// The run's own task.
    pub(super) fn task(&self) -> DataView<'_> {
        match &self.task {
            Some([train, val, test]) => DataView { train, val, test },
            None => self.original(),
        }
    }
}

/// The images of `classes` in `split`, in their order, labelled by their position in `classes`.
pub fn select_classes(split: &Split, classes: &[u8]) -> Split {
    let mut out = Split {
        images: Vec::new(),
        labels: Vec::new(),
    };
    for (i, &label) in split.labels.iter().enumerate() {
        if let Some(new) = classes.iter().position(|&c| c == label) {
            out.images
                .extend_from_slice(&split.images[i * INPUTS..(i + 1) * INPUTS]);
            out.labels.push(new as u8);
        }
    }
    out
}
