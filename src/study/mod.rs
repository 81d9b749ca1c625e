//! Studies: parsing and checking study files, expanding their grid, seed streams, running the
//! runs (on one machine or as shards), merging shards and verifying recorded runs. `study/` never
//! does math itself: it calls `train`.

pub mod emit;
pub mod grid;
pub mod lr_find;
pub mod merge;
pub mod pool;
pub mod runner;
pub mod seed;
pub mod shard;
pub mod spec;
pub mod verify;

pub use spec::{Overrides, RunConfig, Study};
