//! Exporting recorded studies to the tools people already use: MLflow's tracking server
//! ([`mlflow`]). An export reads a study's records and sends them; it trains nothing and writes
//! no local file. Reading the tables from disk and the command line are `cli`'s.

pub mod mlflow;
