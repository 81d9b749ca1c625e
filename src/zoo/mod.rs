//! The techniques themselves: pure math, no IO. Each technique is a serde enum variant carrying its
//! parameters (the study-file name is the Keras name) with a `build()`/`check()` that validates
//! ranges and returns a `Result`.

pub mod activation;
pub mod calibration;
pub mod clip;
pub mod dropout;
pub mod init;
pub mod named;
pub mod optim;
pub mod regularize;
pub mod reuse;
pub mod rng;
pub mod schedule;
