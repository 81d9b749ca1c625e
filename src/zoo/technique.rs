//! What every technique family (optimizers, activations, initializers, schedules, clipping,
//! regularizers and constraints) shares, so that a built-in and a user's own technique are one
//! kind of thing:
//!
//! - [`Technique`]: a technique's config as a Rust type: its study-file name and its parameters
//!   (serde, Keras's defaults filled in by `#[serde(default)]`, unknown keys refused);
//! - [`DynTechnique`]: the same behind a trait object (name, canonical parameters, downcasting);
//! - [`Family`]: what a family's configs are (its trait object) and where its factories are;
//! - [`Factory`]: turns a study file's table into a config, looked up by name in the
//!   registry (`registry.rs`); [`Typed`] is the factory of any [`Technique`] type;
//! - `Config` (in `registry.rs`, as it reads names through the registry): the value a run config holds: cloneable, comparable, and written canonically as
//!   `{"name": …, <every parameter in field order>}`, so a recorded cell id (a hash of that text)
//!   stays what it was whatever the technique's code looks like.
//!
//! What each family's techniques *do* (update parameters, transform tensors, draw kernels) lives
//! with the family (`optim`, `activation`, …), not here.

use std::any::Any;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A technique's config as a Rust type: a struct of its parameters, deserialized from the study
/// file's table (its `name` removed) with every default filled in. Derive serde on it with
/// `#[serde(deny_unknown_fields)]` (a misspelt key is then an error naming the valid ones) and
/// give absent parameters their defaults with `#[serde(default = ...)]`. A technique without
/// parameters is an empty braced struct (`struct Relu {}`). The fields' order is the order the
/// canonical config records them in: never reorder the fields of a technique with recorded runs.
pub trait Technique:
    Serialize + DeserializeOwned + Clone + Debug + PartialEq + Send + Sync + 'static
{
    /// The name a study file uses (`"adam"`), unique within its family.
    const NAME: &'static str;
}

/// A technique's config behind a trait object: what every family's configs have in common.
/// Implemented for every [`Technique`].
pub trait DynTechnique: Debug + Send + Sync + 'static {
    /// The study-file name.
    fn name(&self) -> &'static str;
    /// The parameters, every default filled in, in the config's field order.
    fn params(&self) -> toml::Table;
    /// The config as [`Any`], to downcast to its concrete type.
    fn as_any(&self) -> &dyn Any;
}

impl<T: Technique> DynTechnique for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn params(&self) -> toml::Table {
        // Typed::parse refuses configs that do not serialize to a table; a config made in code
        // (Config::new) is checked by the tests of its family.
        params_of(self).unwrap_or_default()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `config`'s parameters as an ordered table (toml keeps insertion order here), or why not.
fn params_of<T: Serialize>(config: &T) -> Result<toml::Table, String> {
    match toml::Value::try_from(config) {
        Ok(toml::Value::Table(table)) => Ok(table),
        Ok(other) => Err(format!(
            "its config serializes as a {}, not a table of parameters (use a struct; `struct X {{}}` for none)",
            other.type_str()
        )),
        Err(e) => Err(format!("its config does not serialize: {e}")),
    }
}

/// A family of techniques: the trait object its configs are, what a study file calls one, and
/// its built-ins.
pub trait Family: Sized + 'static {
    /// The trait object of this family's configs (e.g. `dyn DynOptimizerRule`).
    type Dyn: ?Sized + DynTechnique;
    /// What a study file calls one (`optimizer`), for messages.
    const KIND: &'static str;
    /// Write a config without parameters as its bare name (`"relu"`), not `{"name": "relu"}`:
    /// activations have always been written so, and their recorded cell ids depend on it.
    const BARE_NAME: bool = false;
    /// The built-in techniques' factories, in the order errors list them (a built-in is its
    /// own file and one line here, in the family's `mod.rs`).
    fn builtins() -> Vec<Arc<dyn Factory<Self>>>;
}

/// Makes a study file's table into a config of family `F`. Registered by name; [`Typed`] is the
/// factory of a [`Technique`] type, and a factory written by hand can serve techniques whose
/// parameters are only known at run time.
pub trait Factory<F: Family>: Send + Sync {
    /// The study-file name it answers to.
    fn name(&self) -> &'static str;
    /// The config from the table's parameters (its `name` already removed); the error is a
    /// message such as serde's ("unknown field `x`, expected one of `a`, `b`").
    fn parse(&self, params: toml::Table) -> Result<Arc<F::Dyn>, String>;
}

/// How a config type becomes its family's trait object: implemented by each family for every
/// type implementing the family's trait (e.g. every `OptimizerRule`).
pub trait Erase<F: Family> {
    /// The config as `F`'s trait object.
    fn erase(self) -> Arc<F::Dyn>;
}

/// The factory of the [`Technique`] type `T`: deserializes `T` from the table.
pub struct Typed<T>(PhantomData<fn() -> T>);

impl<T> Typed<T> {
    /// The factory.
    pub fn new() -> Self {
        Typed(PhantomData)
    }
}

impl<T> Default for Typed<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Family, T: Technique + Erase<F>> Factory<F> for Typed<T> {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn parse(&self, params: toml::Table) -> Result<Arc<F::Dyn>, String> {
        let config =
            T::deserialize(toml::Value::Table(params)).map_err(|e| e.message().to_string())?;
        params_of(&config).map_err(|why| format!("{} `{}`: {why}", F::KIND, T::NAME))?;
        Ok(config.erase())
    }
}

/// The factory of the [`Technique`] type `T` in family `F`, as a family's `builtins()` lists it.
pub fn typed<F: Family, T: Technique + Erase<F>>() -> Arc<dyn Factory<F>> {
    Arc::new(Typed::<T>::new())
}
