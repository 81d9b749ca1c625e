//! The techniques themselves: pure math, no IO. Each family (optimizers, activations,
//! initializers, schedules, clipping, regularizers and constraints) is a trait a technique's
//! config implements, with its Keras-named built-ins one file each; the [`registry`] says which
//! names a study file may use, and a user's crate adds its own there. What the families share
//! (names, canonical configs, factories) is in [`technique`]. Dropout, MC-dropout calibration,
//! diagnostics, layer reuse and the seeded samplers are plain settings and helpers.

pub mod activation;
pub mod calibration;
pub mod clip;
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

#[cfg(test)]
mod tests {
    use super::activation::Activations;
    use super::optim::{Optimizers, Sgd};
    use super::registry::Registry;

    #[test]
    fn the_builtins_are_registered_once_each_in_the_documented_order() {
        let registry = Registry::builtin();
        registry.check().unwrap();
        // Keras's nine first, in the order of its documentation; later additions after them.
        assert!(registry.names::<Optimizers>().starts_with(&[
            "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam", "adamw"
        ]));
        assert!(registry
            .names::<Activations>()
            .starts_with(&["linear", "relu", "sigmoid"]));
    }

    #[test]
    fn a_name_registered_twice_is_refused() {
        let twice = Registry::builtin().optimizer::<Sgd>();
        assert_eq!(
            twice.check().unwrap_err().to_string(),
            "invalid registry: two optimizers are named `sgd`: rename one"
        );
        assert!(twice.install().is_err());
    }
}
