//! Results: the flat record types of the two tables and their Parquet store.

pub mod record;
pub mod store;

pub use record::{EpochRecord, RunRecord, SCHEMA_VERSION};
