//! Studies: parsing and checking study files, expanding their grid, seed streams, and running the
//! runs. `study/` never does math itself: it calls `train`.

pub mod grid;
pub mod runner;
pub mod seed;
pub mod spec;

pub use spec::{Overrides, RunConfig, Study};
