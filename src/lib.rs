//! trainbench: a benchmark and reproducibility harness for the techniques that make deep networks
//! trainable. Data flows one way: study file → grid of cells × seeds → training runs → Parquet
//! results → reports (see the module map in the README).
#![warn(missing_docs)]

pub mod claims;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod error;
pub mod figures;
pub mod model;
pub mod provenance;
pub mod report;
pub mod results;
pub mod seed;
pub mod study;
pub mod train;
pub mod zoo;

pub use error::{Error, Result};
