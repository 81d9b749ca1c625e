//! Studies: parsing and checking study files, expanding their grid, tuning its arms
//! (`tune`), scheduling the runs (on one machine or as shards), merging shards and verifying
//! recorded runs. `study/` only parses and schedules; it never does math itself: it calls
//! `train`, and builds the run configs (`crate::config`) that `train` reads.

pub mod emit;
pub mod grid;
pub mod memory;
pub mod merge;
pub mod pool;
pub mod repair;
pub mod reuse;
pub mod rules;
pub mod runner;
pub mod shard;
pub mod spec;
pub mod tune;
pub mod verify;

/// The run config lives in `crate::config`; re-exported here, where studies produce it.
pub use crate::config::RunConfig;
pub use spec::{Overrides, Study};
