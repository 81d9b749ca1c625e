//! The registry: which technique names a study file may use, per family, and the factory that
//! makes each one's config. [`Registry::builtin`] holds every built-in (each family lists its own
//! in its `mod.rs`, its `register_builtins`); a user's crate adds its own techniques and runs
//! the same command line with them:
//!
//! ```no_run
//! # use trainbench::zoo::registry::Registry;
//! # #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
//! # struct Signum {}
//! # impl trainbench::zoo::technique::Technique for Signum { const NAME: &'static str = "signum"; }
//! # impl trainbench::zoo::optim::OptimizerRule for Signum {
//! #     fn learning_rate(&self) -> f64 { 0.01 }
//! #     fn set_learning_rate(&mut self, _: f64) {}
//! #     fn build(&self, _: &[usize]) -> Box<dyn trainbench::zoo::optim::OptimizerState> { todo!() }
//! # }
//! fn main() -> std::process::ExitCode {
//!     trainbench::cli::main_with(Registry::builtin().optimizer::<Signum>())
//! }
//! ```
//!
//! The registry in use is process-wide ([`installed`]; the built-ins until [`Registry::install`]
//! replaces it): configs are read by serde, whose `Deserialize` has no way to be handed a
//! registry, and threading one through every study-file type would put it in every signature.

use std::sync::{Arc, OnceLock, RwLock};

use super::activation::{ActivationFn, Activations};
use super::clip::{ClippingRule, Clippings};
use super::init::{InitializerRule, Initializers};
use super::optim::{OptimizerRule, Optimizers};
use super::regularize::{ConstraintRule, Constraints, RegularizerRule, Regularizers};
use super::schedule::{ScheduleRule, Schedules};
use super::technique::{Factory, Family, Typed};
use crate::error::{Error, Result};

/// The techniques a study file can name, per family, in registration order (the order the
/// valid names are listed in errors).
#[derive(Default, Clone)]
pub struct Registry {
    pub(crate) optimizers: Vec<Arc<dyn Factory<Optimizers>>>,
    pub(crate) activations: Vec<Arc<dyn Factory<Activations>>>,
    pub(crate) initializers: Vec<Arc<dyn Factory<Initializers>>>,
    pub(crate) schedules: Vec<Arc<dyn Factory<Schedules>>>,
    pub(crate) clippings: Vec<Arc<dyn Factory<Clippings>>>,
    pub(crate) regularizers: Vec<Arc<dyn Factory<Regularizers>>>,
    pub(crate) constraints: Vec<Arc<dyn Factory<Constraints>>>,
}

impl Registry {
    /// No techniques at all (a registry to fill by hand; studies need the built-ins).
    pub fn empty() -> Self {
        Registry::default()
    }

    /// Every built-in technique of every family.
    pub fn builtin() -> Self {
        let registry = Registry::empty();
        let registry = super::optim::register_builtins(registry);
        let registry = super::activation::register_builtins(registry);
        let registry = super::init::register_builtins(registry);
        let registry = super::schedule::register_builtins(registry);
        let registry = super::clip::register_builtins(registry);
        super::regularize::register_builtins(registry)
    }

    /// Adds a factory to family `F` (the general form of the methods below).
    pub fn with<F: Family>(mut self, factory: Arc<dyn Factory<F>>) -> Self {
        F::factories_mut(&mut self).push(factory);
        self
    }

    /// Adds the optimizer `T`.
    pub fn optimizer<T: OptimizerRule>(self) -> Self {
        self.with::<Optimizers>(Arc::new(Typed::<T>::new()))
    }

    /// Adds the activation `T`.
    pub fn activation<T: ActivationFn>(self) -> Self {
        self.with::<Activations>(Arc::new(Typed::<T>::new()))
    }

    /// Adds the initializer `T`.
    pub fn initializer<T: InitializerRule>(self) -> Self {
        self.with::<Initializers>(Arc::new(Typed::<T>::new()))
    }

    /// Adds the learning-rate schedule `T`.
    pub fn schedule<T: ScheduleRule>(self) -> Self {
        self.with::<Schedules>(Arc::new(Typed::<T>::new()))
    }

    /// Adds the gradient-clipping rule `T`.
    pub fn clipping<T: ClippingRule>(self) -> Self {
        self.with::<Clippings>(Arc::new(Typed::<T>::new()))
    }

    /// Adds the kernel regularizer `T`.
    pub fn regularizer<T: RegularizerRule>(self) -> Self {
        self.with::<Regularizers>(Arc::new(Typed::<T>::new()))
    }

    /// Adds the kernel constraint `T`.
    pub fn constraint<T: ConstraintRule>(self) -> Self {
        self.with::<Constraints>(Arc::new(Typed::<T>::new()))
    }

    /// The names family `F` accepts, in registration order.
    pub fn names<F: Family>(&self) -> Vec<&'static str> {
        F::factories(self).iter().map(|f| f.name()).collect()
    }

    /// Checks that no name is registered twice within a family.
    pub fn check(&self) -> Result<()> {
        fn unique<F: Family>(registry: &Registry) -> Result<()> {
            let names = registry.names::<F>();
            for (i, name) in names.iter().enumerate() {
                if names[..i].contains(name) {
                    return Err(Error::invalid(
                        "registry",
                        format!("two {}s are named `{name}`: rename one", F::KIND),
                    ));
                }
            }
            Ok(())
        }
        unique::<Optimizers>(self)?;
        unique::<Activations>(self)?;
        unique::<Initializers>(self)?;
        unique::<Schedules>(self)?;
        unique::<Clippings>(self)?;
        unique::<Regularizers>(self)?;
        unique::<Constraints>(self)
    }

    /// Makes this the registry every study file is read with from now on, after
    /// [`Registry::check`].
    pub fn install(self) -> Result<()> {
        self.check()?;
        *INSTALLED.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(self));
        Ok(())
    }
}

/// The registry [`Registry::install`] set, if any.
static INSTALLED: RwLock<Option<Arc<Registry>>> = RwLock::new(None);

/// The registry in use: the installed one, else the built-ins.
pub fn installed() -> Arc<Registry> {
    if let Some(registry) = INSTALLED.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return Arc::clone(registry);
    }
    static BUILTIN: OnceLock<Arc<Registry>> = OnceLock::new();
    Arc::clone(BUILTIN.get_or_init(|| Arc::new(Registry::builtin())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoo::activation::Activations;

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
        let twice = Registry::builtin().optimizer::<crate::zoo::optim::Sgd>();
        assert_eq!(
            twice.check().unwrap_err().to_string(),
            "invalid registry: two optimizers are named `sgd`: rename one"
        );
        assert!(twice.install().is_err());
    }
}
