//! The techniques themselves: pure math, no IO. Each family (optimizers, activations,
//! initializers, schedules, clipping, regularizers and constraints) is a trait a technique's
//! config implements, with its Keras-named built-ins one file each; the [`registry`] says which
//! names a study file may use, and a user's crate adds its own there. What the families share
//! (names, canonical configs, factories) is in [`technique`]. Dropout, MC-dropout calibration,
//! diagnostics, layer reuse and the seeded samplers are plain settings and helpers.

pub mod activation;
pub mod calibration;
pub mod clip;
pub mod diagnostics;
pub mod dropout;
pub mod init;
pub mod named;
pub mod optim;
pub mod registry;
pub mod regularize;
pub mod reuse;
pub mod rng;
pub mod schedule;
pub mod technique;
