//! Results: the flat record types of the two tables, their Parquet store, the write-once parts
//! of sharded runs, comparisons of recorded numbers, and the recovery of damaged tables.

pub mod compare;
pub mod parts;
pub mod record;
pub mod repair;
pub mod store;

pub use record::{epochs_of, EpochRecord, RunRecord, SCHEMA_VERSION};
