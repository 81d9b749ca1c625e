//! What each command does: load the study and the data, run, report, print. Returns an exit code;
//! errors travel up as `anyhow` with context naming what was being done.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;

use super::args::{
    claims_file, ClaimsArgs, Cli, Command, DataAction, DeviceArg, EmitArgs, FiguresArgs,
    LrFindArgs, MergeArgs, RepairArgs, Scheduler, Selection, StudyArgs, VerifyArgs,
};
use crate::claims::sequential::{self, Design};
use crate::data::{self, DataOptions};
use crate::device::{self, Compute};
use crate::report::across::CellWorkload;
use crate::report::tuning::{ArmTuning, KeyTuning, TuningSection};
use crate::report::{self, ReportInput};
use crate::results::{compare, store, RunRecord};
use crate::study::emit::{self, EmitSpec};
use crate::study::pool::Workers;
use crate::study::runner::{self, RunnerOptions};
use crate::study::shard::Shard;
use crate::study::tune::{budget, choice, Arm, Tuning};
use crate::study::{grid, memory, merge, repair, spec, verify, Overrides, Study};

/// The bootstrap seed of every report, fixed so a report is a pure function of its results.
pub const REPORT_SEED: u64 = 20_170_825;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Study(args) => study(&cli, args),
        Command::Report(args) => match &args.name {
            Some(name) if !args.all => {
                let study = spec::load(&spec::find(&cli.studies, name)?, Overrides::default())?;
                print!("{}", report(&study, &args.results)?);
                Ok(ExitCode::SUCCESS)
            }
            _ => super::pages::report_all(cli.studies.as_path(), &args.results, report),
        },
        Command::List => {
            let studies = spec::list(&cli.studies)
                .with_context(|| format!("listing studies in {}", cli.studies.display()))?;
            let width = studies.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, description) in studies {
                println!("{name:width$}  {description}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Data { dataset, action } => data_command(&cli, dataset, action),
        Command::Claims(args) => claims_command(&cli, args),
        Command::Figures(args) => figures_command(&cli, args),
        Command::DeviceCheck(args) => super::device_check::device_check_command(&cli, args),
        Command::Verify(args) => verify_command(&cli, args),
        Command::Merge(args) => merge_command(&cli, args),
        Command::Repair(args) => repair_command(&cli, args),
        Command::Emit(args) => emit_command(&cli, args),
        Command::LrFind(args) => lr_find_command(&cli, args),
        Command::Export { target } => match target {
            super::args::ExportTarget::Mlflow(args) => super::export::mlflow_command(&cli, args),
        },
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
    let file = crate::claims::load(&claims_file(&args.claims, &cli.studies))?;
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
    crate::atomic::write(&out, text.as_bytes())?;
    let html = super::pages::write_claims_html(&out, &text)?;
    eprintln!("claims page: {}", html.display());
    use crate::claims::Verdict;
    // A study without results (or with missing runs) is a failure; a check whose cell or
    // metric only the redesigned study will have is listed, not a failure.
    let unjudged: Vec<&str> = results
        .iter()
        .filter(|r| r.verdict == Verdict::NoVerdict && r.checks.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    let pending: Vec<&str> = results
        .iter()
        .filter(|r| r.verdict == Verdict::NoVerdict && !r.checks.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    eprintln!(
        "{} claims, {} with a verdict; written to {}",
        results.len(),
        results.len() - unjudged.len() - pending.len(),
        out.display()
    );
    if !pending.is_empty() {
        eprintln!(
            "no verdict yet (a cell or metric the redesigned studies will have): {}",
            pending.join(", ")
        );
    }
    if unjudged.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("no verdict (missing results) for: {}", unjudged.join(", "));
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
        device: compute(&args.device)?,
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

/// The device of `--device`, resolved; says what `auto` chose.
fn compute(arg: &DeviceArg) -> anyhow::Result<Compute> {
    let (compute, line) = device::resolve(arg.device)?;
    if let Some(line) = line {
        eprintln!("{line}");
    }
    Ok(compute)
}

fn verify_command(cli: &Cli, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let study = load_study(cli, &args.selection)?;
    let dir = runner::study_dir(&args.selection.results, &study);
    let (what, (all_runs, epochs)) = if args.tuning {
        anyhow::ensure!(
            study.tuning.is_some(),
            "study {} has no [tune] table, so no tuning runs to verify",
            study.name
        );
        ("tuning runs", store::load_tables(&dir, store::TUNING)?)
    } else {
        ("runs", store::load(&dir)?)
    };
    anyhow::ensure!(
        !all_runs.is_empty(),
        "no recorded {what} in {} to verify; run `trainbench study {}` first",
        dir.display(),
        study.name
    );
    if args.tuning {
        runner::check_tuning_configs(&study, &all_runs, &dir)?;
    } else {
        runner::check_configs(&runner::evaluated_study(&study, &dir)?, &all_runs, &dir)?;
    }
    let compute = compute(&args.device)?;
    let kind = device::kind_of(&compute.label()).to_string();
    // Like with like: a run is re-trained on the kind of device it was made on.
    let (runs, elsewhere): (Vec<_>, Vec<_>) = all_runs
        .into_iter()
        .partition(|r| device::kind_of(&r.device) == kind);
    if !elsewhere.is_empty() {
        eprintln!(
            "verify {}: {} {what} made on another device ({}) are left out; verify them with \
             --device {}",
            study.name,
            elsewhere.len(),
            elsewhere[0].device,
            device::kind_of(&elsewhere[0].device)
        );
    }
    anyhow::ensure!(
        !runs.is_empty(),
        "no {what} of {} were made on a {kind} device; nothing to verify with --device {}",
        dir.display(),
        args.device.device
    );
    let chosen = match args.cheapest {
        Some(k) => verify::cheapest(&runs, k),
        None => verify::choose(&runs, args.sample, args.draw_seed),
    };
    let data = data::load(&data_options(cli, true, false))?;
    let named: Vec<&str> = chosen.iter().map(|&i| runs[i].dataset.as_str()).collect();
    let others = data::load_others(&named, &data_options(cli, true, false))?;
    let jobs = jobs_or_cores(args.jobs);
    eprintln!(
        "verify {}: re-training {} of {} recorded {what} ({jobs} at a time), numerics version {} \
         as recorded, kernel path {} here",
        study.name,
        chosen.len(),
        runs.len(),
        study.numerics(),
        kernels::path::detected().name()
    );
    let stop = ctrl_c_flag("nothing is written by verify");
    let workers = Workers {
        jobs,
        device: compute,
    };
    let checked = verify::verify(
        &runs,
        &epochs,
        &chosen,
        data::Datasets::new(&data, &others),
        &workers,
        &stop,
        |c| {
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
        },
    )?;
    anyhow::ensure!(
        !stop.load(Ordering::SeqCst) && checked.len() == chosen.len(),
        "interrupted after {} of {} runs",
        checked.len(),
        chosen.len()
    );
    let bad = checked.iter().filter(|c| !c.differences.is_empty()).count();
    println!(
        "verify {}: {} {what} re-trained, {} bit-identical, {bad} differ",
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
    let result = match compute(&args.device)? {
        Compute::Cpu => lr_find(
            &dfdx::prelude::Cpu::default(),
            &cell.config,
            view,
            args.seed,
            &options,
        )?,
        #[cfg(feature = "cuda")]
        Compute::Cuda { ordinal, .. } => {
            let dev = device::open_cuda(ordinal, args.seed)?;
            lr_find(&dev, &cell.config, view, args.seed, &options)?
        }
    };
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

/// `trainbench repair`: what was damaged, where it went, what came back and what is lost.
fn repair_command(cli: &Cli, args: &RepairArgs) -> anyhow::Result<ExitCode> {
    let study = load_study(cli, &args.selection)?;
    let results = &args.selection.results;
    let stamp = crate::provenance::now_rfc3339().replace(':', "");
    let done = repair::repair(&study, results, &stamp)?;
    let dir = runner::study_dir(results, &study);
    let evaluated = runner::evaluated_study(&study, &dir).unwrap_or_else(|_| study.clone());
    // The study command that trains what is missing, with the options that name this result set.
    let selection = &args.selection;
    let mut again = String::from("trainbench");
    if cli.studies != Path::new("studies") {
        again.push_str(&format!(" --studies {}", cli.studies.display()));
    }
    again.push_str(&format!(" study {}", selection.name));
    if let Some(seeds) = selection.seeds {
        again.push_str(&format!(" --seeds {seeds}"));
    }
    if let Some(epochs) = selection.epochs {
        again.push_str(&format!(" --epochs {epochs}"));
    }
    if selection.quick {
        again.push_str(" --quick");
    }
    if let Some(numerics) = selection.numerics {
        again.push_str(&format!(" --numerics {numerics}"));
    }
    if results != Path::new("results") {
        again.push_str(&format!(" --results {}", results.display()));
    }
    for path in &done.swept {
        println!(
            "removed {}, left by a writer that was killed",
            path.display()
        );
    }
    let mut damaged = false;
    for (what, repaired) in [("tuning", &done.tuning), ("evaluation", &done.evaluation)] {
        if !repaired.was_damaged() {
            continue;
        }
        damaged = true;
        for (path, to, cause) in &repaired.damaged {
            println!(
                "{} is damaged ({cause}); moved to {}",
                path.display(),
                to.display()
            );
        }
        for (path, copy) in &repaired.kept {
            println!(
                "{} loses the rows of lost runs; as it was, it is kept in {}",
                path.display(),
                copy.display()
            );
        }
        println!(
            "{what} runs recovered: {} from the intact tables, {} from run files; {} lost{}",
            repaired.from_tables,
            repaired.from_parts,
            repaired.lost.len(),
            if repaired.lost.is_empty() { "" } else { ":" }
        );
        for (cell, seed, why) in &repaired.lost {
            println!(
                "  {} seed {seed}: {why}",
                repair::cell_label(&evaluated, cell)
            );
        }
        if repaired.lost_unknown {
            println!(
                "  (both tables were damaged: which runs they held is unknown; the runs missing \
                 below include them)"
            );
        }
    }
    if !damaged {
        println!(
            "nothing to repair in {}: every table and run file is readable",
            dir.display()
        );
    }
    match &done.missing {
        Some(missing) if missing.is_empty() => {
            println!("all {} runs recorded: the study is complete", done.recorded)
        }
        Some(missing) => println!(
            "{} runs recorded, {} missing; `{again}` trains the missing ones (bit for bit as \
             the lost ones were)",
            done.recorded,
            missing.len(),
        ),
        None => println!(
            "the tuning is not complete; `{again}` trains what it lacks, then the evaluation \
             runs"
        ),
    }
    Ok(ExitCode::SUCCESS)
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
        tuned: study.tuning.is_some(),
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
    let script = match args.scheduler {
        Scheduler::Slurm => emit::slurm(&spec),
        Scheduler::K8s => emit::k8s(&spec),
    };
    match &args.out {
        None => print!("{script}"),
        Some(out) => {
            crate::atomic::write(out, script.as_bytes())?;
            eprintln!("written to {}", out.display());
        }
    }
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

fn data_command(cli: &Cli, dataset: &str, action: &DataAction) -> anyhow::Result<ExitCode> {
    let dataset = data::catalog::by_name(dataset)?;
    let located = match action {
        DataAction::Fetch => data::fetch_dataset(dataset, &data_options(cli, true, true))?,
        DataAction::Info => data::locate_dataset(dataset, &data_options(cli, false, false))?,
    };
    println!(
        "{} in {} ({:?}; licence {})",
        dataset.title,
        located.dir.display(),
        located.kind,
        dataset.licence
    );
    for file in &located.files {
        println!(
            "  {:<26} {:>10} bytes  sha256 {}  ok",
            file.name, file.bytes, file.sha256
        );
    }
    if matches!(action, DataAction::Info) {
        let loaded = data::load_dataset(dataset, &data_options(cli, false, false))?;
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
    // Memory first: a run that cannot fit would abort the process mid-study.
    let memory = memory::estimate_study(&study, jobs_or_cores(args.jobs));
    let limit = memory::Limit::resolve(args.max_memory);
    if args.dry_run {
        print!("{}", dry_run(&study, &args.selection.results));
        print!("{}", memory::describe(&memory, limit));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(limit) = limit {
        memory::check(&study.name, &memory, limit)?;
    }
    let results = &args.selection.results;
    let shard = Shard::resolve(args.shard, args.shards, |name| std::env::var(name).ok())?;
    // --until-decided: its options and its claims checked before the data is loaded.
    let sequential_claims = if args.until_decided {
        anyhow::ensure!(
            args.selection.seeds.is_none() && shard.is_none() && !args.selection.quick,
            "--until-decided chooses the seeds itself (looks of {} up to --max-seeds) and judges \
             the full study: drop --seeds, --shard and --quick",
            sequential::LOOK_EVERY
        );
        anyhow::ensure!(
            args.max_seeds >= crate::claims::MIN_SEEDS,
            "--max-seeds {} is below the {} seeds a verdict needs",
            args.max_seeds,
            crate::claims::MIN_SEEDS
        );
        let claims = claims_file(&args.claims, &cli.studies);
        let file = crate::claims::load(&claims)?;
        anyhow::ensure!(
            file.claim.iter().any(|c| c.study == study.name),
            "no claim in {} is about study {}: --until-decided has nothing to decide",
            claims.display(),
            study.name
        );
        Some(file)
    } else {
        None
    };
    let progress = !args.no_progress;
    let device = compute(&args.device)?;
    let data = data::load(&data_options(cli, true, progress))?;
    // Every other dataset the cells name (a workload axis), each loaded once.
    let others = data::load_others(&study.datasets(), &data_options(cli, true, progress))?;
    let data = data::Datasets::new(&data, &others);
    let jobs = jobs_or_cores(args.jobs);
    let runs = study.cells.len() * study.seeds.len();
    eprintln!(
        "study {}: {} {} × {} seeds = {runs} runs{}{}, {jobs} at a time on {}; results in {}",
        study.name,
        study.cells.len(),
        if study.tuning.is_some() {
            "arms"
        } else {
            "cells"
        },
        study.seeds.len(),
        if study.tuning.is_some() {
            " after each arm's tuning"
        } else {
            ""
        },
        shard.map_or(String::new(), |s| format!(
            "; shard {s} trains runs k with k mod {} = {}",
            s.count, s.index
        )),
        device.label(),
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
        device,
    };
    if let Some(file) = &sequential_claims {
        return until_decided(args, file, &study, data, &options, &stop);
    }
    if args.tune_only {
        return tune_only(&study, data, &options, &stop);
    }
    let summary = runner::run_study(&study, data, &options, &stop)?;
    if let (Some(source), true) = (&study.reuse, summary.taken_over > 0) {
        eprintln!(
            "{} runs taken over from study {source} (the same cells and seeds, recorded there)",
            summary.taken_over
        );
    }
    if study.tuning.is_some() {
        eprintln!(
            "{} tuning runs trained, {} already recorded",
            summary.tuning_ran, summary.tuning_reused
        );
        let dir = runner::study_dir(results, &study);
        if let Ok(runs) = runner::tuning_runs(&study, &dir) {
            eprint!("{}", choices(&study, &runs));
        }
    }
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

/// `study NAME --tune-only`: the tuning of a tuned study and each arm's choice; an untuned study
/// is refused (it has nothing to tune, and its shards need no tuning job).
fn tune_only(
    study: &Study,
    data: data::Datasets,
    options: &RunnerOptions,
    stop: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        study.tuning.is_some(),
        "study {} has no [tune] table: --tune-only has nothing to tune",
        study.name
    );
    let summary = runner::tune_only(study, data, options, stop)?;
    eprintln!(
        "{} tuning runs trained, {} already recorded{}",
        summary.tuning_ran,
        summary.tuning_reused,
        if summary.failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", summary.failed.len())
        }
    );
    for (label, seed, message) in &summary.failed {
        eprintln!("failed: {label} seed {seed}: {message}");
    }
    if summary.interrupted {
        eprintln!("interrupted: run the same command again to finish the tuning");
        return Ok(ExitCode::from(130));
    }
    if !summary.failed.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    let dir = runner::study_dir(&options.results, study);
    let runs = runner::tuning_runs(study, &dir)?;
    eprint!("{}", choices(study, &runs));
    eprintln!(
        "tuning of {} done; the evaluation runs: `trainbench study {}` (or its shards)",
        study.name, study.name
    );
    Ok(ExitCode::SUCCESS)
}

/// `study NAME --until-decided`: trains the seeds of each look (10, 20, … up to --max-seeds;
/// recorded runs are reused), judges the study's claims at that look's O'Brien–Fleming level, and
/// stops at the first look where every claim is settled ([`sequential::settled`]) or at the cap;
/// records the looks and where it stopped, then reports on the seeds trained.
fn until_decided(
    args: &StudyArgs,
    file: &crate::claims::spec::ClaimsFile,
    study: &Study,
    data: data::Datasets,
    options: &RunnerOptions,
    stop: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    let results = &args.selection.results;
    let looks = sequential::looks(args.max_seeds);
    let dir = runner::study_dir(results, study);
    for (index, &n) in looks.iter().enumerate() {
        let mut look = study.clone();
        look.seeds = (0..n as u64).collect();
        let design = Design::at(&looks, index)?;
        eprintln!("{}: training seeds 0..{n}", design.describe());
        let summary = runner::run_study(&look, data, options, stop)?;
        if summary.interrupted {
            eprintln!(
                "interrupted at look {} (n = {n}); run the same command again to resume",
                index + 1
            );
            return Ok(ExitCode::from(130));
        }
        if !summary.failed.is_empty() {
            for (label, seed, message) in &summary.failed {
                eprintln!("failed: {label} seed {seed}: {message}");
            }
            return Ok(ExitCode::FAILURE);
        }
        let judged = crate::claims::evaluate_study(file, &look, results, &design)?;
        for claim in &judged {
            eprintln!(
                "  {}: {}{}",
                claim.id,
                claim.verdict,
                claim
                    .why
                    .as_deref()
                    .map_or(String::new(), |w| format!(" ({w})"))
            );
        }
        let settled = sequential::settled(&judged);
        if settled || index + 1 == looks.len() {
            let record = sequential::Record {
                looks: looks.clone(),
                stopped_at: n,
                decided: settled,
            };
            sequential::write(&dir, &record)?;
            eprintln!(
                "stopped at n = {n} seeds ({}); recorded in {}",
                if settled {
                    "every claim decided"
                } else {
                    "the cap, some claims undecided"
                },
                dir.join(sequential::SEQUENTIAL_FILE).display()
            );
            print!("{}", report(&look, results)?);
            return Ok(ExitCode::SUCCESS);
        }
    }
    unreachable!("looks() always ends with the cap")
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
    let tuning = match &study.tuning {
        Some(t) => Some(tuning_section(t, &runner::tuning_runs(study, &dir)?)),
        None => None,
    };
    // A workload axis: each cell's workload and arm, from the study's cell of the same label.
    let has_workloads = study
        .axes
        .iter()
        .any(|a| grid::WORKLOAD_AXES.contains(&a.as_str()));
    let workloads: Vec<CellWorkload> = cells
        .iter()
        .filter(|_| has_workloads)
        .filter_map(|(id, label)| {
            let cell = study.cells.iter().find(|c| &c.label == label)?;
            let (workload, arm) = grid::workload_and_arm(&cell.axes);
            Some(CellWorkload {
                cell_id: id.clone(),
                workload,
                arm,
            })
        })
        .collect();
    let input = ReportInput {
        study: &study.name,
        description: &study.description,
        cells: &cells,
        baseline_cell_id: &baseline,
        runs: &runs,
        epochs: &epochs,
        seed: REPORT_SEED,
        tuning: tuning.as_ref(),
        workloads: &workloads,
    };
    let study_file = super::pages::relative_link(&dir, &study.path);
    let table = report::write_report_linking(&dir, &input, study_file.as_deref())
        .with_context(|| format!("writing the report in {}", dir.display()))?;
    Ok(format!(
        "{table}\nreport: {} (and report.html)\n",
        dir.join("report.md").display()
    ))
}

/// `study NAME --dry-run`: the cells (id, label) and what the study costs. An untuned study's
/// listing is as it always was; a tuned one adds its tuning budget per stage, in runs and in
/// core-hours estimated from the seconds per epoch of the study's recorded runs under
/// `results` (or the stated default when there are none), and the arms' evaluation cells once
/// the recorded tuning has chosen them.
fn dry_run(study: &Study, results: &Path) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let w = &mut out;
    let runs = study.cells.len() * study.seeds.len();
    let dir = runner::study_dir(results, study);
    let mut recorded = store::load(&dir).map(|t| t.0).unwrap_or_default();
    let evaluation_recorded = recorded.len();
    let tuning_runs = runner::tuning_runs(study, &dir).unwrap_or_default();
    recorded.extend(tuning_runs.iter().cloned());
    let (rate, source) = estimate_rate(&recorded);
    let evaluation_hours: f64 = study
        .cells
        .iter()
        .map(|c| rate.run_seconds(&c.config) * study.seeds.len() as f64 / 3600.0)
        .sum();
    let Some(tuning) = &study.tuning else {
        let _ = writeln!(
            w,
            "study {}: {} cells × {} seeds = {runs} runs (baseline: {})",
            study.name,
            study.cells.len(),
            study.seeds.len(),
            study.baseline_cell().label
        );
        seed_axes_line(w, study);
        for cell in &study.cells {
            let _ = writeln!(w, "  {}  {}", cell.id, cell.label);
        }
        // Last, so the listing above reads as it always did.
        let _ = writeln!(
            w,
            "  budget: no tuning; evaluation {runs} runs, {} core-hours (estimated from {source})",
            hours(evaluation_hours)
        );
        return out;
    };
    let _ = writeln!(
        w,
        "study {}: {} arm{} × {} seeds = {runs} evaluation runs (baseline: {}), each arm tuned \
         first",
        study.name,
        study.cells.len(),
        if study.cells.len() == 1 { "" } else { "s" },
        study.seeds.len(),
        study.baseline_cell().label
    );
    seed_axes_line(w, study);
    let keys = |arm: &Arm| -> String {
        arm.space
            .iter()
            .enumerate()
            .map(|(k, key)| {
                let searched = arm.searched(k);
                let scale = if key.log_axis() { "log " } else { "" };
                format!(
                    "{} ({scale}{} … {}, {} values)",
                    key.key,
                    crate::plot::compact(searched[0]),
                    crate::plot::compact(searched[searched.len() - 1]),
                    searched.len()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let seeds = tuning.all_seeds();
    let seeds = if seeds.end - seeds.start == 1 {
        format!("tuning seed {}", seeds.start)
    } else {
        format!("tuning seeds {}–{}", seeds.start, seeds.end - 1)
    };
    let _ = writeln!(
        w,
        "tuning: {}; {}; metric {} (validation); {seeds}",
        keys(&tuning.arms[0]),
        tuning.method_text(),
        tuning.metric.name(),
    );
    let stages = budget::stages(tuning, &rate);
    let arms = tuning.arms.len().max(1);
    for (k, stage) in stages.iter().enumerate() {
        let _ = writeln!(
            w,
            "  stage {}: {}: {} new runs ({} per arm), {} core-hours",
            k + 1,
            tuning.stage_text(k),
            stage.runs,
            stage.runs / arms,
            hours(stage.core_hours)
        );
    }
    let tuning_runs_planned: usize = stages.iter().map(|s| s.runs).sum();
    let tuning_hours: f64 = stages.iter().map(|s| s.core_hours).sum();
    let _ = writeln!(
        w,
        "  budget: tuning {tuning_runs_planned} runs ({} per arm), {} core-hours; evaluation \
         {runs} runs, {} core-hours; in all {} core-hours",
        tuning_runs_planned / arms,
        hours(tuning_hours),
        hours(evaluation_hours),
        hours(tuning_hours + evaluation_hours)
    );
    let _ = writeln!(w, "  (estimated from {source})");
    if let Some(line) = reuse_line(study, tuning, results, &rate) {
        let _ = writeln!(w, "{line}");
    }
    if !recorded.is_empty() {
        // What a resumed `study` would not train again.
        let _ = writeln!(
            w,
            "  recorded in {}: {} tuning runs, {evaluation_recorded} evaluation runs",
            dir.display(),
            tuning_runs.len()
        );
    }
    let decided = study.evaluated(&tuning_runs).ok();
    for (i, arm) in tuning.arms.iter().enumerate() {
        let own = if keys(arm) == keys(&tuning.arms[0]) {
            String::new()
        } else {
            format!("; tunes {}", keys(arm))
        };
        match &decided {
            Some(evaluated) => {
                let cell = &evaluated.cells[i];
                let chosen: Vec<String> = cell
                    .tuned
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", crate::plot::compact(*v)))
                    .collect();
                let _ = writeln!(
                    w,
                    "  {}  {}  (chosen: {}{own})",
                    cell.id,
                    arm.label,
                    chosen.join(", ")
                );
            }
            None => {
                let _ = writeln!(w, "  (after tuning)    {}{own}", arm.label);
            }
        }
    }
    out
}

/// What `reuse` would take over instead of training, with what it saves at `rate`: the source
/// study's recorded tuning runs of this study's tuning cells and evaluation runs of the cells its
/// candidates would evaluate. None without `reuse`.
fn reuse_line(
    study: &Study,
    tuning: &crate::study::tune::Tuning,
    results: &Path,
    rate: &budget::Rate,
) -> Option<String> {
    let source = study.reuse.as_ref()?;
    let cells: std::collections::HashMap<&str, &crate::study::grid::Cell> = tuning
        .cells()
        .map(|cell| (cell.id.as_str(), cell))
        .collect();
    let ids = cells.keys().copied().collect();
    let mut taken = [0usize; 2];
    let mut seconds = 0.0;
    for (k, tables) in [store::TUNING, store::EVALUATION].into_iter().enumerate() {
        // What `study` would take: the same selection, into empty tables.
        let (mut runs, mut epochs) = (Vec::new(), Vec::new());
        let Ok(n) = crate::study::reuse::take(study, results, tables, &ids, &mut runs, &mut epochs)
        else {
            continue;
        };
        taken[k] = n.runs;
        seconds += runs
            .iter()
            .filter_map(|run| cells.get(run.cell_id.as_str()))
            .map(|cell| rate.run_seconds(&cell.config))
            .sum::<f64>();
    }
    Some(format!(
        "  reuse: {} tuning runs and {} evaluation runs recorded by study {source} in {} are \
         taken over, not trained ({} core-hours of the above)",
        taken[0],
        taken[1],
        results.join(source).display(),
        hours(seconds / 3600.0)
    ))
}

/// The rate run costs are estimated at: the median of `recorded` runs, or the stated default;
/// with the words that say which.
fn estimate_rate(recorded: &[crate::results::RunRecord]) -> (budget::Rate, String) {
    // How either rate is carried over to each run: the words of `budget::size`.
    let scaling = format!(
        "scaled by each run's images and multiply-adds (a conv layer's at every position, each \
         costing {} dense ones)",
        budget::CONV_MULTIPLY_ADD_COST
    );
    match budget::Rate::from_runs(recorded) {
        Some(rate) => {
            let source = format!(
                "the median of {} recorded runs of this study: {:.2} s per epoch of the \
                 chapter's MLP on 55,000 images, {scaling}",
                rate.from_runs,
                rate.chapter_epoch_seconds(),
            );
            (rate, source)
        }
        None => (
            budget::Rate::default_rate(),
            format!(
                "no recorded runs, so the default: {} s per epoch of the chapter's 784-300-100-10 \
                 MLP on 55,000 images (one core), {scaling}",
                budget::DEFAULT_SECONDS_PER_EPOCH,
            ),
        ),
    }
}

/// An estimate of core-hours: "~1.23", or "<0.01".
fn hours(h: f64) -> String {
    if h < 0.01 {
        "<0.01".into()
    } else {
        format!("~{h:.2}")
    }
}

/// With `seed_axes`, the line that says which sources vary and how the runs cross them.
fn seed_axes_line(w: &mut String, study: &Study) {
    use std::fmt::Write as _;
    if study.seed_axes.is_empty() {
        return;
    }
    let names: Vec<&str> = study.seed_axes.iter().map(|s| s.name()).collect();
    let _ = writeln!(
        w,
        "seeds: {} crossed, {} seeds each ({} runs per cell; the other sources at seed 0)",
        names.join(" × "),
        study.seed_levels,
        study.seeds.len()
    );
}

/// Each arm's choice (or how far its tuning has got), one line each, for the console.
fn choices(study: &Study, tuning_runs: &[RunRecord]) -> String {
    use std::fmt::Write as _;
    let Some(tuning) = &study.tuning else {
        return String::new();
    };
    let mut out = String::new();
    for arm in &tuning.arms {
        let decision = choice::decide(tuning, arm, tuning_runs);
        let _ = match decision.chosen {
            Some(c) => {
                let edges = choice::at_edge(arm, c);
                let values: Vec<String> = arm.candidates[c]
                    .values
                    .iter()
                    .zip(&edges)
                    .map(|((k, v), edge)| {
                        let flag = if *edge {
                            " (AT THE EDGE of the range)"
                        } else {
                            ""
                        };
                        format!("{k} = {}{flag}", crate::plot::compact(*v))
                    })
                    .collect();
                writeln!(
                    out,
                    "  {}: {} ({} {:.4})",
                    arm.label,
                    values.join(", "),
                    tuning.metric.name(),
                    decision.chosen_mean().unwrap_or(f64::NAN)
                )
            }
            None => writeln!(
                out,
                "  {}: undecided, {} tuning runs missing",
                arm.label,
                decision.missing.len()
            ),
        };
    }
    out
}

/// The report's "Tuning" section of a tuned study, from its recorded tuning runs.
fn tuning_section(tuning: &Tuning, tuning_runs: &[RunRecord]) -> TuningSection {
    let metric = tuning.metric;
    let arms = tuning
        .arms
        .iter()
        .map(|arm| {
            let decision = choice::decide(tuning, arm, tuning_runs);
            let edges = decision.chosen.map(|c| choice::at_edge(arm, c));
            // Every recorded run of one of the arm's candidate cells.
            let points = tuning_runs
                .iter()
                .filter_map(|run| {
                    let candidate = arm
                        .candidates
                        .iter()
                        .find(|c| c.cells.iter().any(|cell| cell.id == run.cell_id))?;
                    Some(crate::plot::TuningPoint {
                        cell_id: run.cell_id.clone(),
                        seed: run.seed,
                        values: candidate.values.iter().map(|(_, v)| *v).collect(),
                        score: metric.of(run, arm.chance),
                        diverged: run.diverged,
                        full_length: serde_json::from_str::<crate::config::RunConfig>(
                            &run.config_json,
                        )
                        .map_or(true, |c| c.epochs == arm.epochs),
                    })
                })
                .collect();
            ArmTuning {
                arm: arm.label.clone(),
                keys: arm
                    .space
                    .iter()
                    .enumerate()
                    .map(|(k, key)| KeyTuning {
                        name: key.key.clone(),
                        log: key.log_axis(),
                        searched: arm.searched(k),
                        chosen: decision.chosen.map(|c| arm.candidates[c].values[k].1),
                        at_edge: edges.as_ref().is_some_and(|e| e[k]),
                    })
                    .collect(),
                points,
                chance: metric.higher_is_better().then_some(arm.chance),
                chosen: decision.chosen_mean().map(|mean| {
                    let last = tuning.stages.len() - 1;
                    (mean, tuning.stages[last].seeds as usize)
                }),
                missing: decision.missing.len(),
            }
        })
        .collect();
    TuningSection {
        metric: metric.name().to_string(),
        higher_is_better: metric.higher_is_better(),
        method: tuning.method_text(),
        stages: (0..tuning.stages.len())
            .map(|k| tuning.stage_text(k))
            .collect(),
        arms,
        runs: tuning_runs.to_vec(),
    }
}
