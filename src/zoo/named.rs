//! Lets a study file name a technique either by a bare string (`optimizer = "adam"`, Keras's
//! defaults) or by a table with its parameters (`optimizer = { name = "adam", learning_rate = 0.01 }`).
//!
//! A technique's [`Config`](super::technique::Config) now reads both forms by itself, so the
//! `deserialize_with` attributes that still name these functions (RunConfig, ModelSpec,
//! Pretrain) are redundant: when they go, this module goes.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// Deserializes a type read from a `{ name = .. }` table from a string or a table.
pub fn string_or_table<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<T, D::Error> {
    let value = toml::Value::deserialize(deserializer)?;
    let table = match value {
        toml::Value::String(name) => {
            toml::Value::Table(toml::Table::from_iter([("name".into(), name.into())]))
        }
        other => other,
    };
    T::deserialize(table).map_err(|e| D::Error::custom(e.message()))
}

/// [`string_or_table`] for an optional field (`#[serde(default, deserialize_with = ...)]`).
pub fn opt_string_or_table<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    string_or_table(deserializer).map(Some)
}
