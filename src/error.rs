//! The library's error type: every failure a user can cause or meet, each carrying the file, study
//! or run it concerns so the message can say what to fix. The binary wraps these in `anyhow`.

use std::path::PathBuf;

/// Result with trainbench's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A study file could not be parsed or holds an invalid value.
    #[error("{}:{line}:{column}: {message}", path.display())]
    StudyFile {
        /// The study file.
        path: PathBuf,
        /// 1-based line of the offending value (0 when unknown).
        line: usize,
        /// 1-based column of the offending value (0 when unknown).
        column: usize,
        /// What is wrong and, where there are any, the valid choices.
        message: String,
    },

    /// No study of this name exists.
    #[error("no study named '{name}' in {}; available: {}", dir.display(), available.join(", "))]
    UnknownStudy {
        /// The name asked for.
        name: String,
        /// Where studies were looked for.
        dir: PathBuf,
        /// The studies that do exist.
        available: Vec<String>,
    },

    /// A technique's parameters are out of range.
    #[error("invalid {what}: {message}")]
    InvalidConfig {
        /// Which setting ("learning_rate", "optimizer.adam.beta_1", ...).
        what: String,
        /// Why it is invalid and what range is valid.
        message: String,
    },

    /// A dataset could not be found or fetched anywhere.
    #[error("{title} not found. Tried:\n{tried}\nTo get it without root:\n  {hint}")]
    DataMissing {
        /// The dataset's title ("Fashion-MNIST", "MNIST").
        title: String,
        /// One line per place tried, with why it failed.
        tried: String,
        /// The exact command that gets the data.
        hint: String,
    },

    /// A data file exists but is not what it should be.
    #[error("corrupt data file {}: {message}", path.display())]
    DataCorrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong (checksum, size, magic number).
        message: String,
    },

    /// A results table could not be read or written.
    #[error("results {}: {message}", path.display())]
    Results {
        /// The Parquet file or results directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// A study's recorded results do not match its current definition.
    #[error("{message}")]
    ResultsMismatch {
        /// What differs and how to proceed.
        message: String,
    },

    /// A tensor backend (dfdx device) error.
    #[error("device error: {0}")]
    Device(String),

    /// A chart could not be drawn.
    #[error("chart {}: {message}", path.display())]
    Chart {
        /// The chart file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// A study would need more memory than it may use (refused before anything trains).
    #[error("not enough memory: {0}")]
    Memory(String),

    /// The user interrupted the study (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// Builds an [`Error::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::InvalidConfig`].
    pub fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidConfig {
            what: what.into(),
            message: message.into(),
        }
    }
}
