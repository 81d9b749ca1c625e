//! Seed streams: a run's seed derives one independent ChaCha stream per purpose, so that adding
//! dropout to a cell cannot shift its data order, and every cell sees the same data order and
//! initial draws for the same seed (paired comparisons). Nothing here reads the clock or the OS.
//!
//! A run usually seeds every stream with its one seed ([`Seeds::all`]). A study that varies the
//! sources of randomness independently (`seed_axes`) gives each [`Source`] its own seed instead
//! ([`Seeds`]); a stream is always `stream(seed of its source, purpose)`, so a run whose sources
//! all have seed s draws exactly what the plain run with seed s draws.
//!
//! The bottom layer (with `error`): the model, the techniques, the training loop and the studies
//! all draw from here, and it imports nothing of the crate.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What a stream is used for; the discriminant is the ChaCha stream number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Initial weights.
    Init = 1,
    /// Minibatch order, reshuffled every epoch.
    DataOrder = 2,
    /// Dropout and other training-time noise masks.
    Noise = 3,
    /// Any seeded choice of data subsets.
    Split = 4,
    /// A pretraining stage's initial weights (model A of layer reuse).
    PretrainInit = 5,
    /// A pretraining stage's minibatch order.
    PretrainOrder = 6,
    /// A pretraining stage's noise masks.
    PretrainNoise = 7,
    /// The dropout masks of a measurement made with dropout active (diagnostics in training
    /// mode): its own stream, so measuring never moves the run's noise stream.
    ProbeNoise = 8,
}

impl Purpose {
    /// The source of randomness this stream belongs to.
    pub fn source(self) -> Source {
        match self {
            Purpose::Init | Purpose::PretrainInit => Source::Init,
            Purpose::DataOrder | Purpose::PretrainOrder => Source::Order,
            Purpose::Noise | Purpose::PretrainNoise | Purpose::ProbeNoise => Source::Noise,
            Purpose::Split => Source::Subset,
        }
    }
}

/// A source of a run's randomness that a study can vary on its own (`seed_axes` in a study
/// file): the streams of each are seeded together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The initial weights (the run's and its pretraining stage's).
    Init,
    /// The minibatch order (the run's and its pretraining stage's).
    Order,
    /// Dropout and other training-time noise (the run's and its pretraining stage's).
    Noise,
    /// The draw of the training subset (`train_subset_draw`).
    Subset,
}

impl Source {
    /// Every source, in the order of their columns.
    pub const ALL: [Source; 4] = [Source::Init, Source::Order, Source::Noise, Source::Subset];

    /// Its name in study files and result columns (`seed.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Source::Init => "init",
            Source::Order => "order",
            Source::Noise => "noise",
            Source::Subset => "subset",
        }
    }
}

/// The seed of each source of a run's randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seeds {
    /// Seeds the initial-weight streams.
    pub init: u64,
    /// Seeds the minibatch-order streams.
    pub order: u64,
    /// Seeds the noise streams.
    pub noise: u64,
    /// Seeds the training-subset draw.
    pub subset: u64,
}

impl Seeds {
    /// Every source seeded with `seed`: a plain run's seeds.
    pub fn all(seed: u64) -> Seeds {
        Seeds {
            init: seed,
            order: seed,
            noise: seed,
            subset: seed,
        }
    }

    /// The seed of `source`.
    pub fn of(&self, source: Source) -> u64 {
        match source {
            Source::Init => self.init,
            Source::Order => self.order,
            Source::Noise => self.noise,
            Source::Subset => self.subset,
        }
    }

    /// Sets the seed of `source`.
    pub fn set(&mut self, source: Source, seed: u64) {
        match source {
            Source::Init => self.init = seed,
            Source::Order => self.order = seed,
            Source::Noise => self.noise = seed,
            Source::Subset => self.subset = seed,
        }
    }

    /// The stream for `purpose`, seeded by its source's seed.
    pub fn stream(&self, purpose: Purpose) -> ChaCha8Rng {
        stream(self.of(purpose.source()), purpose)
    }
}

impl From<u64> for Seeds {
    fn from(seed: u64) -> Seeds {
        Seeds::all(seed)
    }
}

/// The stream for `purpose` of the run with `seed`.
pub fn stream(seed: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose as u64);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a = stream(5, Purpose::Init).next_u64();
        let b = stream(5, Purpose::DataOrder).next_u64();
        let c = stream(6, Purpose::Init).next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, stream(5, Purpose::Init).next_u64());
    }

    #[test]
    fn one_seed_for_all_sources_draws_the_plain_streams() {
        let purposes = [
            Purpose::Init,
            Purpose::DataOrder,
            Purpose::Noise,
            Purpose::Split,
            Purpose::PretrainInit,
            Purpose::PretrainOrder,
            Purpose::PretrainNoise,
        ];
        for p in purposes {
            assert_eq!(
                Seeds::all(7).stream(p).next_u64(),
                stream(7, p).next_u64(),
                "{p:?}"
            );
        }
        // Another source's seed leaves a stream alone; its own source's seed moves it.
        let mut seeds = Seeds::all(7);
        seeds.set(Source::Order, 3);
        assert_eq!(seeds.of(Source::Order), 3);
        assert_eq!(
            seeds.stream(Purpose::Init).next_u64(),
            stream(7, Purpose::Init).next_u64()
        );
        assert_eq!(
            seeds.stream(Purpose::PretrainOrder).next_u64(),
            stream(3, Purpose::PretrainOrder).next_u64()
        );
    }
}
