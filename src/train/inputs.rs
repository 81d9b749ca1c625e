//! What a run trains and is evaluated on: the study's splits, standardized when the run asks
//! (statistics from the training split) and restricted to the run's classes when it names them,
//! relabelled 0, 1, … in the order given; and the training subset a run draws
//! ([`select_subset`]: the first N images, or a seeded random or stratified draw).

use rand::Rng;

use super::minibatch::shuffle;
use super::{DataView, INPUTS};
use crate::config::{RunConfig, SubsetDraw};
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

/// The `n` training images a run with `draw` trains on, chosen from `split` with `rng` (the
/// run's subset stream), in their order in `split`; all of them when there are no more than
/// `n`. [`SubsetDraw::First`] takes the first `n` and draws nothing.
pub fn select_subset(split: &Split, n: usize, draw: SubsetDraw, rng: &mut impl Rng) -> Split {
    let indices = subset_indices(&split.labels, n, draw, rng);
    let mut out = Split {
        images: Vec::with_capacity(indices.len() * INPUTS),
        labels: Vec::with_capacity(indices.len()),
    };
    for i in indices {
        out.images
            .extend_from_slice(&split.images[i * INPUTS..(i + 1) * INPUTS]);
        out.labels.push(split.labels[i]);
    }
    out
}

/// The positions (ascending) of the `n` images of [`select_subset`], from their `labels`.
fn subset_indices(labels: &[u8], n: usize, draw: SubsetDraw, rng: &mut impl Rng) -> Vec<usize> {
    let len = labels.len();
    if n >= len {
        return (0..len).collect();
    }
    let mut picked = match draw {
        SubsetDraw::First => (0..n).collect(),
        SubsetDraw::Random => {
            let mut all: Vec<usize> = (0..len).collect();
            shuffle(&mut all, rng);
            all.truncate(n);
            all
        }
        SubsetDraw::Stratified => {
            // Each class's images in a seeded order, then shares dealt out class by class.
            let mut by_class: Vec<Vec<usize>> = Vec::new();
            for (i, &label) in labels.iter().enumerate() {
                let label = usize::from(label);
                if by_class.len() <= label {
                    by_class.resize(label + 1, Vec::new());
                }
                by_class[label].push(i);
            }
            by_class.retain(|c| !c.is_empty());
            for class in &mut by_class {
                shuffle(class, rng);
            }
            let shares = stratified_shares(&by_class.iter().map(Vec::len).collect::<Vec<_>>(), n);
            by_class
                .iter()
                .zip(shares)
                .flat_map(|(class, share)| class[..share].iter().copied())
                .collect()
        }
    };
    picked.sort_unstable();
    picked
}

/// How many of `n` images each class gives, given how many it `has`: equal shares, the
/// remainder one each to the first classes, and what a short class cannot give dealt to the
/// others in the same way, until `n` are dealt (or every class is used up).
fn stratified_shares(has: &[usize], n: usize) -> Vec<usize> {
    let mut shares = vec![0; has.len()];
    let mut left = n.min(has.iter().sum());
    while left > 0 {
        let open: Vec<usize> = (0..has.len()).filter(|&c| shares[c] < has[c]).collect();
        let (each, extra) = (left / open.len(), left % open.len());
        for (k, &c) in open.iter().enumerate() {
            let want = each + usize::from(k < extra);
            let give = want.min(has[c] - shares[c]);
            shares[c] += give;
            left -= give;
        }
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{stream, Purpose};

    #[test]
    fn shares_are_equal_with_the_remainder_first_and_shortfalls_moved() {
        assert_eq!(stratified_shares(&[10, 10, 10], 7), [3, 2, 2]);
        assert_eq!(stratified_shares(&[1, 10, 10], 9), [1, 4, 4]);
        assert_eq!(stratified_shares(&[2, 3], 99), [2, 3]);
    }

    #[test]
    fn draws_are_seeded_sorted_and_stratified() {
        let labels: Vec<u8> = (0..100).map(|i| (i % 4) as u8).collect();
        let draw = |d, seed| subset_indices(&labels, 10, d, &mut stream(seed, Purpose::Split));
        assert_eq!(draw(SubsetDraw::First, 0), (0..10).collect::<Vec<_>>());
        let random = draw(SubsetDraw::Random, 0);
        assert_eq!(random.len(), 10);
        assert!(random.windows(2).all(|w| w[0] < w[1]), "{random:?}");
        assert_eq!(random, draw(SubsetDraw::Random, 0), "same seed, same draw");
        assert_ne!(
            random,
            draw(SubsetDraw::Random, 1),
            "another seed, another draw"
        );
        assert_ne!(random, (0..10).collect::<Vec<_>>());
        let stratified = draw(SubsetDraw::Stratified, 3);
        let mut per_class = [0; 4];
        for &i in &stratified {
            per_class[usize::from(labels[i])] += 1;
        }
        assert_eq!(per_class, [3, 3, 2, 2]);
        assert_eq!(draw(SubsetDraw::Random, 0).len(), 10);
        assert_eq!(
            subset_indices(
                &labels,
                500,
                SubsetDraw::Random,
                &mut stream(0, Purpose::Split)
            ),
            (0..100).collect::<Vec<_>>(),
            "more than there are: all of them"
        );
    }

    #[test]
    fn a_subset_keeps_its_images_with_their_labels() {
        let split = Split {
            images: (0..5 * INPUTS).map(|i| (i / INPUTS) as f32).collect(),
            labels: vec![0, 1, 0, 1, 0],
        };
        let subset = select_subset(
            &split,
            2,
            SubsetDraw::Stratified,
            &mut stream(2, Purpose::Split),
        );
        assert_eq!(subset.labels.len(), 2);
        let mut labels = subset.labels.clone();
        labels.sort_unstable();
        assert_eq!(labels, [0, 1]);
        for (k, &label) in subset.labels.iter().enumerate() {
            let image = subset.images[k * INPUTS] as usize;
            assert_eq!(split.labels[image], label);
            assert!(subset.images[k * INPUTS..(k + 1) * INPUTS]
                .iter()
                .all(|&p| p as usize == image));
        }
    }
}
