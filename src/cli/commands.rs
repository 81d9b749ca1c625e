//! What each command does: load the study and the data, run, report, print. Returns an exit code;
//! errors travel up as `anyhow` with context naming what was being done.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;

use super::args::{
    ClaimsArgs, Cli, Command, DataAction, EmitArgs, FiguresArgs, LrFindArgs, MergeArgs, Scheduler,
    Selection, StudyArgs, VerifyArgs,
};
use crate::data::{self, DataOptions};
use crate::report::{self, ReportInput};
use crate::results::{compare, store};
use crate::study::emit::{self, EmitSpec};
use crate::study::runner::{self, RunnerOptions};
use crate::study::shard::Shard;
use crate::study::{merge, spec, verify, Overrides, Study};

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
        Command::Claims(args) => claims_command(&cli, args),
        Command::Figures(args) => figures_command(&cli, args),
        Command::Verify(args) => verify_command(&cli, args),
        Command::Merge(args) => merge_command(&cli, args),
        Command::Emit(args) => emit_command(&cli, args),
        Command::LrFind(args) => lr_find_command(&cli, args),
        Command::Compare { first, second } => {
            let a = store::load(first)?;
            let b = store::load(second)?;
            anyhow::ensure!(!a.0.is_empty(), "no recorded runs in {}", first.display());
            anyhow::ensure!(!b.0.is_empty(), "no recorded runs in {}", second.display());
            let differences = compare::table_differences((&a.0, &a.1), (&b.0, &b.1));
            for d in &differences {
                println!("{d}");
            }
            println!(
                "{} and {}: {} runs vs {}, {} differences",
                first.display(),
                second.display(),
                a.0.len(),
                b.0.len(),
                differences.len()
            );
            Ok(if differences.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// The study a command names, with the command line's changes to its settings.
fn load_study(cli: &Cli, selection: &Selection) -> anyhow::Result<Study> {
    let path = spec::find(&cli.studies, &selection.name)?;
    let overrides = Overrides {
        seeds: selection.seeds,
        epochs: selection.epochs,
        quick: selection.quick,
        numerics: selection.numerics,
    };
    Ok(spec::load(&path, overrides)?)
}

/// `trainbench claims`: evaluates, prints and writes the claims table.
fn claims_command(cli: &Cli, args: &ClaimsArgs) -> anyhow::Result<ExitCode> {
    let file = crate::claims::load(&args.claims)?;
    let results = crate::claims::evaluate(&file, &cli.studies, &args.results);
    let text = crate::claims::render::markdown(&results);
    print!("{text}");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.results.join("claims.md"));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    data::source::write_atomic(&out, text.as_bytes())?;
    let missing: Vec<&str> = results
        .iter()
        .filter(|r| r.outcome.is_err())
        .map(|r| r.id.as_str())
        .collect();
    eprintln!(
        "{} claims, {} with a verdict; written to {}",
        results.len(),
        results.len() - missing.len(),
        out.display()
    );
    if missing.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("no verdict (missing results) for: {}", missing.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

/// `trainbench figures`: draws every figure it can, one line per figure; exits non-zero when a
/// figure failed, or (with --strict) was skipped for missing results.
fn figures_command(cli: &Cli, args: &FiguresArgs) -> anyhow::Result<ExitCode> {
    use crate::figures::{self, Outcome};
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.results.join("figures"));
    let options = figures::Options {
        results: args.results.clone(),
        out: out.clone(),
        studies: cli.studies.clone(),
        data: figures::DataSource::Load(data_options(cli, true, false)),
        only: args.only.clone(),
    };
    let outcomes = figures::run(options, |name, outcome| match outcome {
        Outcome::Written { note, .. } => println!("  {name:<26} written ({note})"),
        Outcome::Skipped(why) => println!("  {name:<26} SKIPPED: {why}"),
        Outcome::Failed(why) => println!("  {name:<26} FAILED: {why}"),
    })
    .with_context(|| format!("drawing the figures into {}", out.display()))?;
    let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| f(o)).count();
    let written = count(|o| matches!(o, Outcome::Written { .. }));
    let skipped = count(|o| matches!(o, Outcome::Skipped(_)));
    let failed = count(|o| matches!(o, Outcome::Failed(_)));
    println!(
        "figures: {written} written to {} (PNG and SVG), {skipped} skipped for missing results, \
         {failed} failed",
        out.display()
    );
    Ok(if failed > 0 || (args.strict && skipped > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `--jobs`, or every core.
fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A stop flag set by Ctrl-C; a second Ctrl-C leaves at once (finished runs are on disk).
fn ctrl_c_flag(what: &'static str) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nCtrl-C: stopping; {what}");
    });
    stop
}

fn verify_command(cli: &Cli, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let study = load_study(cli, &args.selection)?;
    let dir = runner::study_dir(&args.selection.results, &study);
    let (runs, epochs) = store::load(&dir)?;
    anyhow::ensure!(
        !runs.is_empty(),
        "no recorded runs in {} to verify; run `trainbench study {}` first",
        dir.display(),
        study.name
    );
    runner::check_configs(&study, &runs, &dir)?;
    let chosen = verify::choose(&runs, args.sample, args.draw_seed);
    let data = data::load(&data_options(cli, true, false))?;
    let jobs = jobs_or_cores(args.jobs);
    eprintln!(
        "verify {}: re-training {} of {} recorded runs ({jobs} at a time), numerics version {} \
         as recorded, kernel path {} here",
        study.name,
        chosen.len(),
        runs.len(),
        study.numerics(),
        kernels::path::detected().name()
    );
    let stop = ctrl_c_flag("nothing is written by verify");
    let checked = verify::verify(&runs, &epochs, &chosen, &data, jobs, &stop, |c| {
        if c.differences.is_empty() {
            eprintln!("  {} seed {}: identical", c.cell_label, c.seed);
        } else {
            eprintln!(
                "  {} seed {}: {} DIFFERENCES",
                c.cell_label,
                c.seed,
                c.differences.len()
            );
            for d in &c.differences {
                eprintln!("    {d}");
            }
        }
    })?;
    anyhow::ensure!(
        !stop.load(Ordering::SeqCst) && checked.len() == chosen.len(),
        "interrupted after {} of {} runs",
        checked.len(),
        chosen.len()
    );
    let bad = checked.iter().filter(|c| !c.differences.is_empty()).count();
    println!(
        "verify {}: {} runs re-trained, {} bit-identical, {bad} differ",
        study.name,
        checked.len(),
        checked.len() - bad
    );
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn lr_find_command(cli: &Cli, args: &LrFindArgs) -> anyhow::Result<ExitCode> {
    use crate::train::lr_find::{lr_find, LrFindOptions};
    let study = load_study(cli, &args.selection)?;
    let data = data::load(&data_options(cli, true, true))?;
    let cell = study.baseline_cell();
    let options = LrFindOptions {
        start: args.start,
        end: args.end,
        steps: args.steps,
        ..LrFindOptions::default()
    };
    let view = crate::train::DataView {
        train: &data.train,
        val: &data.val,
        test: &data.test,
    };
    let dev = dfdx::prelude::Cpu::default();
    let result = lr_find(&dev, &cell.config, view, args.seed, &options)?;
    let dir = runner::study_dir(&args.selection.results, &study);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = dir.join("lr_find");
    crate::plot::lr_range(
        &stem,
        &format!("{}: learning-rate range test ({})", study.name, cell.label),
        &result.learning_rates,
        &result.losses,
        &result.smoothed,
        result.suggestion,
    )?;
    println!(
        "lr-find {} ({}): {} steps from η = {:.0e} to {:.2e}; chart {}",
        study.name,
        cell.label,
        result.learning_rates.len(),
        args.start,
        result.learning_rates.last().copied().unwrap_or(args.start),
        stem.with_extension("png").display()
    );
    match result.suggestion {
        Some(eta) => println!("suggested learning rate: {eta:.3e} (lowest smoothed loss / 10)"),
        None => println!("no suggestion: the loss never fell"),
    }
    Ok(ExitCode::SUCCESS)
}

fn merge_command(cli: &Cli, args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let study = load_study(cli, &args.selection)?;
    let summary = merge::merge(&study, &args.selection.results)?;
    let dir = runner::study_dir(&args.selection.results, &study);
    println!(
        "merge {}: {} runs added from shards, {} duplicates dropped; {} of {} runs recorded in {}",
        study.name,
        summary.added,
        summary.duplicates,
        summary.recorded,
        study.cells.len() * study.seeds.len(),
        dir.display()
    );
    if summary.missing.is_empty() {
        print!("{}", report(&study, &args.selection.results)?);
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("{} runs missing:", summary.missing.len());
    for (label, seed) in &summary.missing {
        eprintln!("  {label} seed {seed}");
    }
    if args.allow_missing {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("re-run the failed shards (or `trainbench study` here), then merge again");
        Ok(ExitCode::FAILURE)
    }
}

fn emit_command(cli: &Cli, args: &EmitArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.shards >= 1, "--shards must be at least 1");
    anyhow::ensure!(args.jobs >= 1, "--jobs must be at least 1");
    // Checked now, so a typo fails here and not on the cluster.
    let study = load_study(cli, &args.selection)?;
    let absolute =
        |p: &Path| -> anyhow::Result<String> { Ok(std::path::absolute(p)?.display().to_string()) };
    let mut global_flags = vec!["--studies".to_string(), absolute(&cli.studies)?];
    if let Some(dir) = &cli.data_dir {
        global_flags.extend(["--data-dir".to_string(), absolute(dir)?]);
    }
    let sel = &args.selection;
    let mut study_flags = Vec::new();
    if sel.quick {
        study_flags.push("--quick".to_string());
    }
    if let Some(seeds) = sel.seeds {
        study_flags.extend(["--seeds".to_string(), seeds.to_string()]);
    }
    if let Some(epochs) = sel.epochs {
        study_flags.extend(["--epochs".to_string(), epochs.to_string()]);
    }
    if let Some(numerics) = sel.numerics {
        study_flags.extend(["--numerics".to_string(), numerics.to_string()]);
    }
    let spec = EmitSpec {
        study: study.name.clone(),
        study_flags,
        shards: args.shards,
        jobs: args.jobs,
        exe: std::env::current_exe()?.display().to_string(),
        workdir: absolute(Path::new("."))?,
        global_flags,
        results: absolute(&sel.results)?,
        partition: args.partition.clone(),
        time: args.time.clone(),
        image: args.image.clone(),
        pvc: args.pvc.clone(),
    };
    print!(
        "{}",
        match args.scheduler {
            Scheduler::Slurm => emit::slurm(&spec),
            Scheduler::K8s => emit::k8s(&spec),
        }
    );
    Ok(ExitCode::SUCCESS)
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
    let study = load_study(cli, &args.selection)?;
    if args.dry_run {
        println!(
            "study {}: {} cells × {} seeds = {} runs (baseline: {})",
            study.name,
            study.cells.len(),
            study.seeds.len(),
            study.cells.len() * study.seeds.len(),
            study.baseline_cell().label
        );
        for cell in &study.cells {
            println!("  {}  {}", cell.id, cell.label);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let results = &args.selection.results;
    let shard = Shard::resolve(args.shard, args.shards, |name| std::env::var(name).ok())?;
    let progress = !args.no_progress;
    let data = data::load(&data_options(cli, true, progress))?;
    let jobs = jobs_or_cores(args.jobs);
    let runs = study.cells.len() * study.seeds.len();
    eprintln!(
        "study {}: {} cells × {} seeds = {runs} runs{}, {jobs} at a time; results in {}",
        study.name,
        study.cells.len(),
        study.seeds.len(),
        shard.map_or(String::new(), |s| format!(
            "; shard {s} trains runs k with k mod {} = {}",
            s.count, s.index
        )),
        runner::study_dir(results, &study).display()
    );

    if args.new_results {
        anyhow::ensure!(
            shard.is_none(),
            "--new-results with a shard would set aside the other shards' runs; move the \
             results aside once, before the shards start"
        );
        if let Some(old) = runner::set_aside(&runner::study_dir(results, &study))? {
            eprintln!("earlier results moved to {}", old.display());
        }
    }
    let stop = ctrl_c_flag("finished runs are kept, runs in flight are dropped");
    let options = RunnerOptions {
        jobs,
        results: results.clone(),
        progress,
        shard,
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
            runner::study_dir(results, &study).display()
        );
        return Ok(ExitCode::from(130));
    }
    if let Some(s) = shard {
        eprintln!(
            "shard {s} done; when every shard is, join them with `trainbench merge {}`",
            study.name
        );
    } else {
        print!("{}", report(&study, results)?);
    }
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
