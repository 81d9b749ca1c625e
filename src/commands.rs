//! What each command does: load the study and the data, run, report, print. Returns an exit code;
//! errors travel up as `anyhow` with context naming what was being done.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;

use crate::cli::{Cli, Command, DataAction, StudyArgs};
use crate::data::{self, DataOptions};
use crate::report::{self, ReportInput};
use crate::results::store;
use crate::study::runner::{self, RunnerOptions};
use crate::study::{spec, Overrides, Study};

/// The bootstrap seed of every report, fixed so a report is a pure function of its results.
pub const REPORT_SEED: u64 = 20_170_825;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Study(args) => study(&cli, args),
        Command::Report(args) => {
            let study = spec::load(&spec::find(&cli.studies, &args.name)?, Overrides::default())?;
            print!("{}", report(&study, &args.results)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::List => {
            let studies = spec::list(&cli.studies)
                .with_context(|| format!("listing studies in {}", cli.studies.display()))?;
            let width = studies.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, description) in studies {
                println!("{name:width$}  {description}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Data { action } => data_command(&cli, action),
    }
}

fn data_options(cli: &Cli, fetch: bool, progress: bool) -> DataOptions {
    DataOptions {
        dir: cli.data_dir.clone(),
        cache_dir: None,
        fetch,
        progress,
    }
}

fn data_command(cli: &Cli, action: &DataAction) -> anyhow::Result<ExitCode> {
    let located = match action {
        DataAction::Fetch => data::fetch(&data_options(cli, true, true))?,
        DataAction::Info => data::locate(&data_options(cli, false, false))?,
    };
    println!(
        "Fashion-MNIST in {} ({:?})",
        located.dir.display(),
        located.kind
    );
    for file in &located.files {
        println!(
            "  {:<26} {:>10} bytes  sha256 {}  ok",
            file.name, file.bytes, file.sha256
        );
    }
    if matches!(action, DataAction::Info) {
        let loaded = data::load(&data_options(cli, false, false))?;
        println!(
            "  train {} / validation {} / test {} images; mean pixel train {:.3}, test {:.3}",
            loaded.train.len(),
            loaded.val.len(),
            loaded.test.len(),
            (data::mean_pixel(&loaded.train) * loaded.train.len() as f64
                + data::mean_pixel(&loaded.val) * loaded.val.len() as f64)
                / (loaded.train.len() + loaded.val.len()) as f64,
            data::mean_pixel(&loaded.test)
        );
        println!("  fingerprint {}", loaded.fingerprint);
    }
    Ok(ExitCode::SUCCESS)
}

fn study(cli: &Cli, args: &StudyArgs) -> anyhow::Result<ExitCode> {
    let path = spec::find(&cli.studies, &args.name)?;
    let overrides = Overrides {
        seeds: args.seeds,
        epochs: args.epochs,
        quick: args.quick,
    };
    let study = spec::load(&path, overrides)?;
    let progress = !args.no_progress;
    let data = data::load(&data_options(cli, true, progress))?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runs = study.cells.len() * study.seeds.len();
    eprintln!(
        "study {}: {} cells × {} seeds = {runs} runs, {jobs} at a time; results in {}",
        study.name,
        study.cells.len(),
        study.seeds.len(),
        runner::study_dir(&args.results, &study).display()
    );

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second Ctrl-C while stopping leaves at once; finished runs are already on disk.
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nCtrl-C: stopping; finished runs are kept, runs in flight are dropped");
        });
    }
    let options = RunnerOptions {
        jobs,
        results: args.results.clone(),
        progress,
    };
    let summary = runner::run_study(&study, &data, &options, &stop)?;
    eprintln!(
        "{} runs trained, {} already recorded{}",
        summary.ran,
        summary.skipped,
        if summary.failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", summary.failed.len())
        }
    );
    if summary.interrupted {
        eprintln!(
            "interrupted: {} runs are recorded in {}; run the same command again to finish",
            summary.ran + summary.skipped,
            runner::study_dir(&args.results, &study).display()
        );
        return Ok(ExitCode::from(130));
    }
    print!("{}", report(&study, &args.results)?);
    for (label, seed, message) in &summary.failed {
        eprintln!("failed: {label} seed {seed}: {message}");
    }
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Writes the report of `study` from the results under `results` and returns the console table.
/// Cells are those recorded (so a `--quick` or `--epochs` result set reports too), in the study's
/// grid order; the baseline is the cell with the study's baseline label.
fn report(study: &Study, results: &Path) -> anyhow::Result<String> {
    let dir = runner::study_dir(results, study);
    let (runs, epochs) = store::load(&dir)?;
    anyhow::ensure!(
        !runs.is_empty(),
        "no recorded runs in {}; run `trainbench study {}` first",
        dir.display(),
        study.name
    );
    let mut cells: Vec<(String, String)> = Vec::new();
    for cell in &study.cells {
        if let Some(run) = runs.iter().find(|r| r.cell_label == cell.label) {
            if !cells.iter().any(|(id, _)| *id == run.cell_id) {
                cells.push((run.cell_id.clone(), run.cell_label.clone()));
            }
        }
    }
    for run in &runs {
        if !cells.iter().any(|(id, _)| *id == run.cell_id) {
            cells.push((run.cell_id.clone(), run.cell_label.clone()));
        }
    }
    let baseline_label = &study.baseline_cell().label;
    let baseline = cells
        .iter()
        .find(|(_, label)| label == baseline_label)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| cells[0].0.clone());
    let input = ReportInput {
        study: &study.name,
        description: &study.description,
        cells: &cells,
        baseline_cell_id: &baseline,
        runs: &runs,
        epochs: &epochs,
        seed: REPORT_SEED,
    };
    let table = report::write_report(&dir, &input)
        .with_context(|| format!("writing the report in {}", dir.display()))?;
    Ok(format!(
        "{table}\nreport: {}\n",
        dir.join("report.md").display()
    ))
}
