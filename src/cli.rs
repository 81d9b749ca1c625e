//! The command line, as clap derive types. What each command does lives in `commands.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// trainbench: does a training technique really help? Every seed, on real data.
#[derive(Debug, Parser)]
#[command(name = "trainbench", version, about, long_about = None)]
pub struct Cli {
    /// Where study files are.
    #[arg(long, global = true, default_value = "studies")]
    pub studies: PathBuf,
    /// A directory holding the Fashion-MNIST IDX files (also TRAINBENCH_DATA_DIR).
    #[arg(long, global = true, env = "TRAINBENCH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train every cell × seed of a study not yet recorded, then write its report.
    Study(StudyArgs),
    /// Write (or rewrite) a study's report from its recorded results.
    Report(ReportArgs),
    /// List the studies with their descriptions.
    List,
    /// Find, fetch and check the Fashion-MNIST files.
    Data {
        /// What to do.
        #[command(subcommand)]
        action: DataAction,
    },
}

/// Options every study command takes.
#[derive(Debug, Args)]
pub struct StudyArgs {
    /// Study name (a file studies/<name>.toml) or a path to a study file.
    pub name: String,
    /// Seeds per cell (default: the study's).
    #[arg(long)]
    pub seeds: Option<u64>,
    /// Epochs per run (default: the study's).
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Parallel runs, each single-threaded (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Results root; the study writes to <DIR>/<study>/.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Smoke-run setting: the study's [quick] table, by default the first 5,000 training images,
    /// 3 epochs and 3 seeds (a few minutes on two cores).
    #[arg(long)]
    pub quick: bool,
    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Study name or path.
    pub name: String,
    /// Results root.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
}

/// `data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataAction {
    /// Get the data into the cache if it is found nowhere (HTTPS, else Debian's archive).
    Fetch,
    /// Say where the data is, with checksums and counts.
    Info,
}
