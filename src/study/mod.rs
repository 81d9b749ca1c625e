//! Studies: parsing and checking study files, expanding their grid, seed streams, running the
//! runs (on one machine or as shards), merging shards and verifying recorded runs. `study/` never
//! does math itself: it calls `train`.

pub mod emit;
pub mod grid;
pub mod lr_find;
pub mod merge;
pub mod pool;
pub mod runner;
pub mod shard;
pub mod spec;
pub mod verify;

/// The run config lives in `crate::config`; re-exported here, where studies produce it.
pub use crate::config::RunConfig;
pub use spec::{Overrides, Study};
