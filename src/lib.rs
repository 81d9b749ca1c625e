//! trainbench: a benchmark and reproducibility harness for the techniques that make deep networks
//! trainable. Data flows one way: study file → grid of cells × seeds → training runs → Parquet
//! results → reports (see the module map in the README).
//!
//! # Layers
//!
//! Imports only point down (tests/it/layers.rs checks every file):
//!
//! ```text
//! cli                               the command line: its arguments, what each command does
//!   → claims, figures               the chapter's claims and figures, from studies and results
//!   → study                         study files: parse, expand the grid, schedule runs, merge, verify
//!   → train                         the one training loop: runs, pretraining, lr range test
//!   → config, model                 a run's configuration; the network and its forward passes
//!   → data, zoo                     Fashion-MNIST; the techniques (pure math, no IO)
//!   → seed, error (, provenance)    seed streams, the error type
//!   (atomic)                        the one atomic file writer, which every layer may use
//!   (device)                        `--device`: which dfdx device runs train on (study, cli)
//!
//! results, report, plot             beside them, the output side: records and their tables,
//!                                   statistics and reports, charts; they import none of
//!                                   model, config, train, study, claims or figures
//! export                            a study's records sent to MLflow (beside them, like report)
//! ```
//!
//! Nothing below `study` imports `study`, `report` or `figures`; `model` and `zoo` import
//! neither `study` nor `train`. Within `zoo`, each technique family knows the registry and the
//! registry knows no family (its built-ins come from the family's own list).
#![warn(missing_docs)]

pub mod atomic;
pub mod claims;
pub mod cli;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod export;
pub mod figures;
pub mod model;
pub mod plot;
pub mod provenance;
pub mod report;
pub mod results;
pub mod seed;
pub mod study;
pub mod train;
pub mod zoo;

pub use error::{Error, Result};
pub use zoo::registry::Registry;
