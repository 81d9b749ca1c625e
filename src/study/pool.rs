//! The worker pool every command that trains uses (`study`, `verify`): `jobs` threads take runs
//! from one queue, each run single-threaded (a one-thread rayon pool, so dfdx's matmuls do not
//! spread), so a run's numbers never depend on `jobs`. Workers report to the calling thread, which
//! alone handles results; when it fails (e.g. the disk is full) the workers take no new runs.
//! Every worker trains on the one [`Compute`] device given (on a GPU, `jobs` runs share it).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use dfdx::prelude::*;

use crate::config::RunConfig;
use crate::device::Compute;
use crate::error::Result;
use crate::provenance;
use crate::seed::Seeds;
use crate::train::{train_run, DataView, EpochMetrics, RunOutcome};

/// One run to train.
#[derive(Debug, Clone, Copy)]
pub struct Task<'a> {
    /// Its config.
    pub config: &'a RunConfig,
    /// The seeds of its streams (a plain run's seed seeds them all).
    pub seeds: Seeds,
    /// The data it trains on (its config's dataset).
    pub data: DataView<'a>,
}

/// Who trains: how many runs at once, on which device.
#[derive(Debug, Clone, PartialEq)]
pub struct Workers {
    /// Parallel runs (threads), each single-threaded on the CPU.
    pub jobs: usize,
    /// The device every run trains on.
    pub device: Compute,
}

/// What a worker reports; `task` indexes the slice given to [`run_parallel`].
#[derive(Debug)]
pub enum Event {
    /// An epoch finished.
    Epoch {
        /// The worker (0..jobs).
        worker: usize,
        /// The task.
        task: usize,
        /// The 1-based epoch that finished.
        epoch: u32,
    },
    /// A run finished (or failed, or was interrupted).
    Done {
        /// The worker.
        worker: usize,
        /// The task.
        task: usize,
        /// When it started, RFC 3339.
        started_at: String,
        /// Its outcome.
        result: Result<RunOutcome>,
    },
}

/// Trains `tasks` with `workers`, in order of the slice, calling `on_event` on this thread for
/// every event. Stops taking new tasks when `stop` is set (runs in flight stop at their next
/// minibatch) or when `on_event` fails, whose error is then returned.
pub fn run_parallel<F>(
    tasks: &[Task],
    workers: &Workers,
    stop: &AtomicBool,
    mut on_event: F,
) -> Result<()>
where
    F: FnMut(Event) -> Result<()>,
{
    if tasks.is_empty() {
        return Ok(());
    }
    let compute = &workers.device;
    let jobs = workers.jobs.max(1).min(tasks.len());
    let queue = Mutex::new((0..tasks.len()).collect::<VecDeque<_>>());
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Event>();
        for worker in 0..jobs {
            let (tx, queue, failed) = (tx.clone(), &queue, &failed);
            scope.spawn(move || {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .build()
                    .expect("a one-thread pool");
                while !stop.load(Ordering::Relaxed) && !failed.load(Ordering::Relaxed) {
                    let Some(task) = queue.lock().expect("queue lock").pop_front() else {
                        break;
                    };
                    let Task {
                        config,
                        seeds,
                        data: view,
                    } = tasks[task];
                    let started_at = provenance::now_rfc3339();
                    let mut on_epoch = |m: &EpochMetrics| {
                        let _ = tx.send(Event::Epoch {
                            worker,
                            task,
                            epoch: m.epoch,
                        });
                    };
                    // trainbench draws nothing from the device's generator; seeded anyway.
                    let result = pool.install(|| match compute {
                        Compute::Cpu => {
                            let dev = Cpu::seed_from_u64(seeds.noise);
                            train_run(&dev, config, view, seeds, stop, &mut on_epoch)
                        }
                        #[cfg(feature = "cuda")]
                        Compute::Cuda { ordinal, .. } => {
                            crate::device::open_cuda(*ordinal, seeds.noise).and_then(|dev| {
                                train_run(&dev, config, view, seeds, stop, &mut on_epoch)
                            })
                        }
                    });
                    let _ = tx.send(Event::Done {
                        worker,
                        task,
                        started_at,
                        result,
                    });
                }
            });
        }
        drop(tx);
        let mut outcome = Ok(());
        for event in rx {
            if outcome.is_ok() {
                if let Err(e) = on_event(event) {
                    failed.store(true, Ordering::Relaxed);
                    outcome = Err(e);
                }
            }
        }
        outcome
    })
}
