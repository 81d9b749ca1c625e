//! The registry: which technique names a study file may use, per family, and the factory that
//! makes each one's config; and [`Config`], a configured technique as a run config holds it,
//! read by name through the registry in use.
//!
//! Every registry holds every family's built-ins (each family lists its own, its `builtins()` in
//! its `mod.rs`); a user's crate adds its own techniques with the builder methods each family
//! defines (`.optimizer::<T>()`, `.activation::<T>()`, …) and runs trainbench's command line with
//! them (`main_with`, in the `cli` module), e.g. `Registry::builtin().optimizer::<Signum>()`;
//! examples/custom_optimizer.rs is a whole one.
//!
//! The registry in use is process-wide ([`installed`]; the built-ins until [`Registry::install`]
//! replaces it): configs are read by serde, whose `Deserialize` has no way to be handed a
//! registry, and threading one through every study-file type would put it in every signature.
//! The registry knows no family by name (the families know it), so a family, a built-in or a
//! user's technique is added without touching this file.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::fmt::{self, Debug};
use std::sync::{Arc, OnceLock, RwLock};

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::technique::{DynTechnique, Erase, Factory, Family, Technique};
use crate::error::{Error, Result};

/// The techniques a study file can name, per family, in registration order (the order the
/// valid names are listed in errors): every family's built-ins, and what was added to them.
#[derive(Default, Clone)]
pub struct Registry {
    /// Per family (by the family's type), its factories as a `Vec<Arc<dyn Factory<F>>>`, once
    /// something was added to it; a family not here has its built-ins only.
    families: BTreeMap<TypeId, Arc<dyn Any + Send + Sync>>,
    /// Names added to a family that already had them: (family kind, name).
    twice: Vec<(&'static str, &'static str)>,
}

impl Registry {
    /// Every built-in technique of every family.
    pub fn builtin() -> Self {
        Registry::default()
    }

    /// Adds a factory to family `F` (each family's builder method, e.g. `.optimizer::<T>()`,
    /// calls this).
    pub fn with<F: Family>(mut self, factory: Arc<dyn Factory<F>>) -> Self {
        let mut factories = self.factories::<F>();
        if factories.iter().any(|f| f.name() == factory.name()) {
            self.twice.push((F::KIND, factory.name()));
        }
        factories.push(factory);
        self.families.insert(TypeId::of::<F>(), Arc::new(factories));
        self
    }

    /// Family `F`'s factories, in registration order.
    pub fn factories<F: Family>(&self) -> Vec<Arc<dyn Factory<F>>> {
        self.families
            .get(&TypeId::of::<F>())
            .and_then(|any| any.downcast_ref::<Vec<Arc<dyn Factory<F>>>>())
            .cloned()
            .unwrap_or_else(F::builtins)
    }

    /// The names family `F` accepts, in registration order.
    pub fn names<F: Family>(&self) -> Vec<&'static str> {
        self.factories::<F>().iter().map(|f| f.name()).collect()
    }

    /// Checks that no name is registered twice within a family.
    pub fn check(&self) -> Result<()> {
        match self.twice.first() {
            Some((kind, name)) => Err(Error::invalid(
                "registry",
                format!("two {kind}s are named `{name}`: rename one"),
            )),
            None => Ok(()),
        }
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
        let factories = installed().factories::<F>();
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
