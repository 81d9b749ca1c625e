//! `trainbench device-check`: one training step on the chosen device against the CPU, and the
//! training rate of the bench rows there (train::device_check does the measuring; this prints
//! the tables and writes the JSON the GPU check commits).

use std::process::ExitCode;

use anyhow::Context;
use dfdx::prelude::*;
use serde::Serialize;

use super::args::{Cli, DeviceCheckArgs};
use crate::data::{self, DataOptions, Split};
use crate::device::{self, Compute};
use crate::train::device_check::{
    nets, step_agreement, step_rate, step_repeat, Agreement, Net, Rate, Repeat,
};

/// What `--out` holds.
#[derive(Debug, Serialize)]
struct Report {
    device: String,
    numerics: u32,
    kernel_path: String,
    agreement: Vec<Agreement>,
    repeats: Vec<Repeat>,
    rates: Vec<Rate>,
}

/// Runs the check; exits non-zero when a step's loss or gradients differ from the CPU's by more
/// than 1e-5 relative (the tolerance), after printing and writing everything.
pub fn device_check_command(cli: &Cli, args: &DeviceCheckArgs) -> anyhow::Result<ExitCode> {
    let (compute, line) = device::resolve(args.device.device)?;
    if let Some(line) = line {
        eprintln!("{line}");
    }
    anyhow::ensure!(
        kernels::numerics::is_known(args.numerics),
        "--numerics {}: unknown version (valid: {:?})",
        args.numerics,
        kernels::numerics::KNOWN
    );
    // The whole check runs on this thread, so one scope covers every step.
    let _numerics = kernels::numerics::enter(args.numerics);
    let all = nets();
    let chosen: Vec<Net> = if args.nets.is_empty() {
        all
    } else {
        let ids: Vec<&str> = all.iter().map(|n| n.id).collect();
        args.nets
            .iter()
            .map(|id| {
                all.iter().find(|n| n.id == id).cloned().with_context(|| {
                    format!("--nets: no net called {id:?} (valid: {})", ids.join(", "))
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    let data = data::load(&DataOptions {
        dir: cli.data_dir.clone(),
        cache_dir: None,
        fetch: true,
        progress: false,
    })?;
    let report = match compute {
        Compute::Cpu => measure(&Cpu::default(), "cpu", &chosen, &data.train, args)?,
        #[cfg(feature = "cuda")]
        Compute::Cuda { ordinal, .. } => {
            let dev = device::open_cuda(ordinal, 0)?;
            measure(&dev, &compute.label(), &chosen, &data.train, args)?
        }
    };
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(&report)?;
        crate::atomic::write(out, text.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    let tolerance = 1e-5;
    let off: Vec<&Agreement> = report
        .agreement
        .iter()
        .filter(|a| !(a.loss_relative <= tolerance && a.gradient_relative <= tolerance))
        .collect();
    if off.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        for a in off {
            eprintln!(
                "{} batch {}: the device's step differs from the CPU's by more than {tolerance:e} \
                 (loss {:.2e}, gradient {:.2e} at parameter {})",
                a.net, a.batch, a.loss_relative, a.gradient_relative, a.worst_parameter
            );
        }
        Ok(ExitCode::FAILURE)
    }
}

/// Agreement and repeatability (skipped on the CPU, which is its own reference and repeats
/// bit for bit, as the tests hold it to) and rates on `dev`.
fn measure<D: Device<f32>>(
    dev: &D,
    label: &str,
    chosen: &[Net],
    train: &Split,
    args: &DeviceCheckArgs,
) -> anyhow::Result<Report> {
    let mut agreement = Vec::new();
    if label != "cpu" {
        println!("one training step against the CPU (norm-wise relative differences):");
        println!(
            "{:<20} {:>6} {:>12} {:>12}",
            "net", "batch", "loss", "gradients"
        );
        for net in chosen {
            let a = step_agreement(dev, net, train, 256)?;
            println!(
                "{:<20} {:>6} {:>12.2e} {:>12.2e}",
                a.net, a.batch, a.loss_relative, a.gradient_relative
            );
            agreement.push(a);
        }
    }
    let mut repeats = Vec::new();
    if label != "cpu" {
        println!("the same step twice (bit for bit), and what dfdx's CUDA sums let one expect:");
        println!(
            "{:<20} {:>6} {:>20} {:>26}",
            "net", "batch", "loss (expected)", "gradients (expected)"
        );
        let same = |identical: bool| if identical { "same" } else { "differ" };
        // An order that may vary need not vary on a given run: the expectation says "may".
        let expect = |identical: bool| if identical { "same" } else { "may differ" };
        for net in chosen {
            for &batch in &args.batches {
                let r = step_repeat(dev, net, train, batch)?;
                println!(
                    "{:<20} {:>6} {:>20} {:>26}",
                    r.net,
                    r.batch,
                    format!(
                        "{} ({})",
                        same(r.loss_identical),
                        expect(r.expected_loss_identical)
                    ),
                    format!(
                        "{}/{} differ ({})",
                        r.gradients_differing,
                        r.parameters,
                        expect(r.expected_gradients_identical)
                    ),
                );
                repeats.push(r);
            }
        }
    }
    println!(
        "training rate on {label} (samples/s: median of {} windows of {} steps, and range):",
        args.windows, args.steps
    );
    println!(
        "{:<20} {:>5} {:>6} {:>14} {:>24}",
        "net", "opt", "batch", "samples/s", "range"
    );
    let mut rates = Vec::new();
    for net in chosen {
        let optimizers: &[&str] = if net.id == "mlp" {
            &["sgd", "adam"]
        } else {
            &["sgd"]
        };
        for optimizer in optimizers {
            for &batch in &args.batches {
                let r = step_rate(
                    dev,
                    net,
                    optimizer,
                    train,
                    batch,
                    (args.windows, args.steps),
                )?;
                println!(
                    "{:<20} {:>5} {:>6} {:>14.0} {:>11.0} – {:<11.0}",
                    r.net, r.optimizer, r.batch, r.samples_per_second, r.slowest, r.fastest
                );
                rates.push(r);
            }
        }
    }
    Ok(Report {
        device: label.into(),
        numerics: args.numerics,
        kernel_path: kernels::path::detected().name().into(),
        agreement,
        repeats,
        rates,
    })
}
