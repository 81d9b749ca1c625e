//! `trainbench verify`: re-trains recorded runs (evaluation or tuning runs) from their recorded
//! config and seeds and checks that every reproducible number (each epoch's losses and
//! accuracies, the test metrics, the divergence step) is bit-identical to what was recorded.
//! Which runs are re-trained is a seeded draw, so a sample is the same on every machine. Runs
//! are re-trained on the device they were made on (its kind: a CPU run on a CPU, a CUDA run on a
//! GPU); the command leaves the others out and says so.

use std::sync::atomic::AtomicBool;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::pool::{run_parallel, Event, Task, Workers};
use super::runner::{records, RunMeta};
use crate::config::RunConfig;
use crate::data::Datasets;
use crate::device::kind_of;
use crate::error::{Error, Result};
use crate::results::compare::run_differences;
use crate::results::{EpochRecord, RunRecord};
use crate::seed::{Seeds, Source};
use crate::train::DataView;

/// One re-trained run and what differed.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Cell label.
    pub cell_label: String,
    /// Seed.
    pub seed: u64,
    /// Every difference (empty: bit-identical).
    pub differences: Vec<String>,
}

/// Indices into `runs` of the runs to re-train: `sample` of them drawn with `draw_seed` (all when
/// `None` or larger than the table), in (cell id, seed) order whatever the table's row order.
pub fn choose(runs: &[RunRecord], sample: Option<usize>, draw_seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| {
        (runs[a].cell_id.as_str(), runs[a].seed).cmp(&(runs[b].cell_id.as_str(), runs[b].seed))
    });
    let k = sample.unwrap_or(order.len()).min(order.len());
    let mut rng = ChaCha8Rng::seed_from_u64(draw_seed);
    let mut picked: Vec<usize> = rand::seq::index::sample(&mut rng, order.len(), k)
        .into_iter()
        .collect();
    picked.sort_unstable();
    picked.into_iter().map(|i| order[i]).collect()
}

/// Indices into `runs` of the `k` runs with the least recorded wall time (ties by cell id, then
/// seed), in that order: the sample CI re-trains of every study, to stay within its time. The
/// recorded times come from the machine that made the runs, so the choice is the same everywhere.
pub fn cheapest(runs: &[RunRecord], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&runs[a], &runs[b]);
        x.wall_seconds
            .total_cmp(&y.wall_seconds)
            .then_with(|| (x.cell_id.as_str(), x.seed).cmp(&(y.cell_id.as_str(), y.seed)))
    });
    order.truncate(k);
    order
}

/// Re-trains `runs[i]` for every `i` in `chosen` with `workers` and compares each with its
/// record. Fails before training when the data is not the data the runs were made on,
/// or a run was made on another kind of device.
pub fn verify(
    runs: &[RunRecord],
    epochs: &[EpochRecord],
    chosen: &[usize],
    data: Datasets,
    workers: &Workers,
    stop: &AtomicBool,
    mut on_checked: impl FnMut(&Checked),
) -> Result<Vec<Checked>> {
    let mut configs = Vec::with_capacity(chosen.len());
    for &i in chosen {
        let run = &runs[i];
        let found = data.recorded(&run.dataset).map(|d| d.fingerprint.as_str());
        if found != Some(run.dataset_sha256.as_str()) {
            return Err(Error::ResultsMismatch {
                message: format!(
                    "run {} seed {} was made on dataset {} ({}), but the data found now has \
                     fingerprint {}",
                    run.cell_label,
                    run.seed,
                    run.dataset,
                    run.dataset_sha256,
                    found.unwrap_or("(not loaded)")
                ),
            });
        }
        if kind_of(&run.device) != kind_of(&workers.device.label()) {
            return Err(Error::ResultsMismatch {
                message: format!(
                    "run {} seed {} was made on {}; verify it with --device {}",
                    run.cell_label,
                    run.seed,
                    run.device,
                    kind_of(&run.device)
                ),
            });
        }
        let config: RunConfig = serde_json::from_str(&run.config_json).map_err(|e| {
            Error::invalid(
                format!("recorded config of {} seed {}", run.cell_label, run.seed),
                format!("{e} (recorded by another trainbench version?)"),
            )
        })?;
        configs.push(config);
    }
    let mut tasks: Vec<Task> = Vec::with_capacity(chosen.len());
    for (&i, config) in chosen.iter().zip(&configs) {
        let data = data
            .recorded(&runs[i].dataset)
            .expect("checked above: every run's dataset is loaded");
        tasks.push(Task {
            config,
            seeds: recorded_seeds(&runs[i]),
            data: DataView {
                train: &data.train,
                val: &data.val,
                test: &data.test,
            },
        });
    }
    let mut checked = Vec::new();
    run_parallel(&tasks, workers, stop, |event| {
        let Event::Done {
            task,
            started_at,
            result,
            ..
        } = event
        else {
            return Ok(());
        };
        let recorded = &runs[chosen[task]];
        let outcome = result?;
        let meta = RunMeta {
            study: &recorded.study,
            cell_id: &recorded.cell_id,
            cell_label: &recorded.cell_label,
            axes: &recorded.axes,
            tuned: &recorded.tuned,
            config_json: &recorded.config_json,
            seed: recorded.seed,
            seed_streams: &recorded.seed_streams,
            dataset: &recorded.dataset,
            dataset_sha256: &recorded.dataset_sha256,
            commit: &recorded.git_commit,
            started_at,
            device: recorded.device.clone(),
        };
        let (again, again_epochs) = records(&meta, &outcome);
        let recorded_epochs: Vec<EpochRecord> = epochs
            .iter()
            .filter(|e| e.cell_id == recorded.cell_id && e.seed == recorded.seed)
            .cloned()
            .collect();
        // Tuning runs of one arm share its label: their tuned values tell them apart.
        let tuned: Vec<String> = recorded
            .tuned
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let one = Checked {
            cell_label: if tuned.is_empty() {
                recorded.cell_label.clone()
            } else {
                format!("{} [{}]", recorded.cell_label, tuned.join(", "))
            },
            seed: recorded.seed,
            differences: run_differences(recorded, &recorded_epochs, &again, &again_epochs),
        };
        on_checked(&one);
        checked.push(one);
        Ok(())
    })?;
    Ok(checked)
}

/// The seeds a recorded run's streams had: its `seed.<source>` columns, or its seed for all.
fn recorded_seeds(run: &RunRecord) -> Seeds {
    let mut seeds = Seeds::all(run.seed);
    for source in Source::ALL {
        seeds.set(source, run.stream_seed(source.name()));
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::store::tests::run;

    #[test]
    fn a_recorded_config_reads_back_to_the_same_numbers() {
        // A tuned learning rate recorded by the re-run of mc_dropout: the JSON parser without
        // float_roundtrip read it one ulp off, so `verify` re-trained with another η and the
        // epochs' learning_rate column differed from the record.
        let eta = 0.0036170540848218876_f64;
        let json = format!(
            r#"{{"epochs":60,"model":{{"hidden":[300,100]}},"optimizer":{{"name":"nesterov","learning_rate":{eta},"momentum":0.9}},"numerics":2}}"#
        );
        assert!(json.contains("0.0036170540848218876"), "{json}");
        let config: RunConfig = serde_json::from_str(&json).unwrap();
        let back = serde_json::to_string(&config).unwrap();
        assert!(
            back.contains("\"learning_rate\":0.0036170540848218876"),
            "{back}"
        );
        assert_eq!(
            serde_json::from_str::<f64>("0.0036170540848218876").unwrap(),
            eta
        );
    }

    #[test]
    fn the_draw_is_seeded_and_ignores_row_order() {
        let mut runs: Vec<RunRecord> = (0..20).map(|s| run(s, false)).collect();
        let a = choose(&runs, Some(5), 7);
        assert_eq!(a.len(), 5);
        let seeds = |runs: &[RunRecord], idx: &[usize]| -> Vec<u64> {
            idx.iter().map(|&i| runs[i].seed).collect()
        };
        let picked = seeds(&runs, &a);
        runs.reverse();
        let b = choose(&runs, Some(5), 7);
        assert_eq!(seeds(&runs, &b), picked, "same runs whatever the row order");
        assert_ne!(
            seeds(&runs, &choose(&runs, Some(5), 8)),
            picked,
            "another draw seed draws other runs"
        );
        assert_eq!(choose(&runs, None, 0).len(), 20);
        let mut timed = runs.clone();
        for (i, r) in timed.iter_mut().enumerate() {
            r.wall_seconds = ((i * 7) % 20) as f64;
        }
        let two = cheapest(&timed, 2);
        assert_eq!(two.len(), 2);
        assert_eq!(
            (timed[two[0]].wall_seconds, timed[two[1]].wall_seconds),
            (0.0, 1.0)
        );
        assert_eq!(cheapest(&timed, 50).len(), 20);
        assert_eq!(choose(&runs, Some(50), 0).len(), 20);
    }
}
