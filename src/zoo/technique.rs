//! What every technique family (optimizers, activations, initializers, schedules, clipping,
//! regularizers and constraints) shares, so that a built-in and a user's own technique are one
//! kind of thing:
//!
//! - [`Technique`]: a technique's config as a Rust type: its study-file name and its parameters
//!   (serde, Keras's defaults filled in by `#[serde(default)]`, unknown keys refused);
//! - [`DynTechnique`]: the same behind a trait object (name, canonical parameters, downcasting);
//! - [`Family`]: what a family's configs are (its trait object) and where its factories are;
//! - [`Factory`]: turns a study file's table into a config, looked up by name in the
//!   [registry](super::registry); [`Typed`] is the factory of any [`Technique`] type;
//! - [`Config`]: the value a run config holds: cloneable, comparable, and written canonically as
//!   `{"name": …, <every parameter in field order>}`, so a recorded cell id (a hash of that text)
//!   stays what it was whatever the technique's code looks like.
//!
//! What each family's techniques *do* (update parameters, transform tensors, draw kernels) lives
//! with the family (`optim`, `activation`, …), not here.

use std::any::Any;
use std::fmt::{self, Debug};
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::registry::{self, Registry};

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
/// where the registry keeps its factories.
pub trait Family: Sized + 'static {
    /// The trait object of this family's configs (e.g. `dyn DynOptimizerRule`).
    type Dyn: ?Sized + DynTechnique;
    /// What a study file calls one (`optimizer`), for messages.
    const KIND: &'static str;
    /// Write a config without parameters as its bare name (`"relu"`), not `{"name": "relu"}`:
    /// activations have always been written so, and their recorded cell ids depend on it.
    const BARE_NAME: bool = false;
    /// This family's factories in `registry`, in registration order.
    fn factories(registry: &Registry) -> &[Arc<dyn Factory<Self>>];
    /// The same, to add to.
    fn factories_mut(registry: &mut Registry) -> &mut Vec<Arc<dyn Factory<Self>>>;
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

/// A configured technique of family `F`, as a run config holds it: cloneable (shared),
/// comparable and written canonically (see the module header). Read from a study file as a
/// bare name (every default) or a table with a `name`, through the installed registry.
pub struct Config<F: Family> {
    inner: Arc<F::Dyn>,
}

impl<F: Family> Config<F> {
    /// A config made in code, registered or not (`OptimizerConfig::new(Adam { .. })`).
    pub fn new<T: Technique + Erase<F>>(config: T) -> Self {
        Config {
            inner: config.erase(),
        }
    }

    /// A config from its trait object.
    pub fn from_arc(inner: Arc<F::Dyn>) -> Self {
        Config { inner }
    }

    /// The config named `name` with `params` (its other keys), through the installed registry;
    /// an unknown name is an error listing the registered ones.
    pub fn parse(name: &str, params: toml::Table) -> Result<Self, String> {
        let registry = registry::installed();
        let factories = F::factories(&registry);
        match factories.iter().find(|f| f.name() == name) {
            Some(factory) => factory.parse(params).map(Self::from_arc),
            None => Err(unknown_name(
                name,
                &factories.iter().map(|f| f.name()).collect::<Vec<_>>(),
            )),
        }
    }

    /// The config named `name` with every default, if the installed registry has it and it
    /// needs no parameter without a default.
    pub fn default_for(name: &str) -> Option<Self> {
        Self::parse(name, toml::Table::new()).ok()
    }

    /// The config from a study file's value: a name, or a table with a `name`.
    pub fn from_value(value: toml::Value) -> Result<Self, String> {
        match value {
            toml::Value::String(name) => Self::parse(&name, toml::Table::new()),
            toml::Value::Table(mut table) => match table.remove("name") {
                Some(toml::Value::String(name)) => Self::parse(&name, table),
                Some(other) => Err(format!(
                    "invalid type: {} for `name`, expected a string",
                    other.type_str()
                )),
                None => Err("missing field `name`".into()),
            },
            other => Err(format!(
                "invalid type: {}, expected a name or a table with a `name`",
                other.type_str()
            )),
        }
    }

    /// The study-file name.
    pub fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// The parameters, every default filled in, in the canonical order.
    pub fn params(&self) -> toml::Table {
        self.inner.params()
    }

    /// The config's trait object.
    pub fn get(&self) -> &F::Dyn {
        &self.inner
    }

    /// The config as its concrete type, if it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.inner.as_any().downcast_ref()
    }
}

/// serde's wording for an unknown name ("unknown variant `x`, expected one of `a`, `b`"), which
/// the study-file errors extend with the nearest name.
pub fn unknown_name(name: &str, valid: &[&str]) -> String {
    let quoted: Vec<String> = valid.iter().map(|v| format!("`{v}`")).collect();
    let expected = match quoted.as_slice() {
        [] => return format!("unknown variant `{name}`, there are no variants"),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        many => format!("one of {}", many.join(", ")),
    };
    format!("unknown variant `{name}`, expected {expected}")
}

impl<F: Family> Clone for Config<F> {
    fn clone(&self) -> Self {
        Config {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<F: Family> Debug for Config<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Debug::fmt(&*self.inner, f)
    }
}

/// Two configs are equal when their canonical forms are: the same name and parameters.
impl<F: Family> PartialEq for Config<F> {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name() && self.params() == other.params()
    }
}

impl<F: Family> Serialize for Config<F> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let params = self.params();
        if F::BARE_NAME && params.is_empty() {
            return serializer.serialize_str(self.name());
        }
        let mut map = serializer.serialize_map(Some(params.len() + 1))?;
        map.serialize_entry("name", self.name())?;
        for (key, value) in &params {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, F: Family> Deserialize<'de> for Config<F> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        Self::from_value(value).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_worded_as_serde_words_them() {
        assert_eq!(
            unknown_name("x", &["a", "b", "c"]),
            "unknown variant `x`, expected one of `a`, `b`, `c`"
        );
        assert_eq!(
            unknown_name("x", &["a", "b"]),
            "unknown variant `x`, expected `a` or `b`"
        );
        assert_eq!(
            unknown_name("x", &["a"]),
            "unknown variant `x`, expected `a`"
        );
    }
}
