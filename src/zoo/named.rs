//! Lets a study file name a technique either by a bare string (`optimizer = "adam"`, Keras's
//! defaults) or by a table with its parameters (`optimizer = { name = "adam", learning_rate = 0.01 }`).

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

/// Deserializes a `#[serde(tag = "name")]` enum from a string or a table.
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
