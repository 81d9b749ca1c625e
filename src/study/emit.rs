//! `trainbench emit slurm|k8s`: the scheduler files that run a study as N shards on a cluster.
//! Slurm gets a submit script: an sbatch array job (each task a shard, found by trainbench from
//! SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT) and the merge as a job that depends on it
//! (`afterok`, cancelled if a shard fails). Kubernetes gets an Indexed Job (each pod a shard, from
//! JOB_COMPLETION_INDEX) and a merge Job to apply once it completes. A tuned study's tuning goes
//! first, as one job on one machine (its stages depend on each other): the shards train only the
//! evaluation runs of the settings it chose.

/// What the emitted files run.
#[derive(Debug, Clone)]
pub struct EmitSpec {
    /// Study name.
    pub study: String,
    /// Flags that select the study's settings, passed to both `study` and `merge` (e.g. `--quick`).
    pub study_flags: Vec<String>,
    /// Number of shards.
    pub shards: usize,
    /// Whether the study tunes its arms first (a `[tune]` table): then a tuning job runs before
    /// the shards.
    pub tuned: bool,
    /// Parallel runs (and CPUs) per shard.
    pub jobs: usize,
    /// The trainbench executable (absolute).
    pub exe: String,
    /// Working directory the jobs run in (absolute).
    pub workdir: String,
    /// Global flags (`--studies`, `--data-dir`).
    pub global_flags: Vec<String>,
    /// The results root.
    pub results: String,
    /// Slurm partition.
    pub partition: Option<String>,
    /// Slurm time limit.
    pub time: Option<String>,
    /// Container image (Kubernetes).
    pub image: String,
    /// PersistentVolumeClaim holding the results (Kubernetes).
    pub pvc: String,
}

/// `s` quoted for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn command(spec: &EmitSpec, words: &[&str]) -> Vec<String> {
    let mut out = vec![spec.exe.clone()];
    out.extend(spec.global_flags.iter().cloned());
    out.extend(words.iter().map(|w| w.to_string()));
    out.push(spec.study.clone());
    out.extend(spec.study_flags.iter().cloned());
    out
}

fn shell_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A bash script that submits the study as a Slurm array job plus its merge job (after a tuning
/// job, for a tuned study).
pub fn slurm(spec: &EmitSpec) -> String {
    let name = format!("trainbench-{}", spec.study);
    let logs = format!("{}/{}/slurm", spec.results, spec.study);
    let jobs = spec.jobs.to_string();
    let mut shard = command(spec, &["study"]);
    shard.extend(["--jobs", &jobs, "--no-progress", "--results", &spec.results].map(String::from));
    let mut tune = command(spec, &["study"]);
    tune.extend(
        [
            "--tune-only",
            "--jobs",
            &jobs,
            "--no-progress",
            "--results",
            &spec.results,
        ]
        .map(String::from),
    );
    let mut merge = command(spec, &["merge"]);
    merge.extend(["--results".to_string(), spec.results.clone()]);
    let mut extra = String::new();
    if let Some(p) = &spec.partition {
        extra.push_str(&format!("#SBATCH --partition={}\n", shell_quote(p)));
    }
    if let Some(t) = &spec.time {
        extra.push_str(&format!("#SBATCH --time={}\n", shell_quote(t)));
    }
    let workdir = shell_quote(&spec.workdir);
    let logs = shell_quote(&logs);
    // A tuned study: the tuning job first, and the array only once it succeeded.
    let (tuning, array_dependency, tuning_echo) = if spec.tuned {
        (
            format!(
                r#"tuning_job=$(sbatch --parsable <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --job-name={name}-tuning
#SBATCH --ntasks=1
#SBATCH --cpus-per-task={jobs}
#SBATCH --output={logs}/tuning.out
{extra}cd {workdir}
exec {tune}
SBATCH
)

"#,
                tune = shell_line(&tune),
            ),
            r#" --dependency=afterok:"$tuning_job" --kill-on-invalid-dep=yes"#,
            "tuning job $tuning_job, then ",
        )
    } else {
        (String::new(), "", "")
    };
    format!(
        r#"#!/usr/bin/env bash
# Study '{study}' as a Slurm array of {n} shards, then the merge of their results.
# Made by `trainbench emit slurm`; submit it with `bash <this file>`. Each task finds its shard in
# SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT and writes write-once run files, so a requeued or
# repeated task is harmless; the merge runs only when every shard succeeded (afterok).{tuned_note}
set -euo pipefail
cd {workdir}
mkdir -p {logs}

{tuning}array_job=$(sbatch --parsable{array_dependency} <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --job-name={name}
#SBATCH --array=0-{last}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task={jobs}
#SBATCH --output={logs}/shard-%a.out
{extra}cd {workdir}
exec {shard}
SBATCH
)

merge_job=$(sbatch --parsable --dependency=afterok:"$array_job" --kill-on-invalid-dep=yes <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --job-name={name}-merge
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --output={logs}/merge.out
{extra}cd {workdir}
exec {merge}
SBATCH
)

echo "{tuning_echo}array job $array_job ({n} shards), merge job $merge_job; logs in {logs}"
"#,
        study = spec.study,
        n = spec.shards,
        last = spec.shards.saturating_sub(1),
        tuned_note = if spec.tuned {
            "\n# The study tunes its arms first: one tuning job (its stages depend on each other) runs\n\
             # before the array, whose shards train the evaluation runs of the chosen settings."
        } else {
            ""
        },
        shard = shell_line(&shard),
        merge = shell_line(&merge),
    )
}

fn yaml_list(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| serde_json::to_string(w).expect("a string serializes"))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// A Kubernetes Indexed Job running the shards, and the merge Job to apply after it completes.
pub fn k8s(spec: &EmitSpec) -> String {
    let name = format!("trainbench-{}", spec.study.replace('_', "-"));
    let jobs = spec.jobs.to_string();
    let shards = spec.shards.to_string();
    let mut shard = command(spec, &["study"]);
    shard.extend(
        [
            "--shards",
            &shards,
            "--jobs",
            &jobs,
            "--no-progress",
            "--results",
            "/results",
        ]
        .map(String::from),
    );
    let mut merge = command(spec, &["merge"]);
    merge.extend(["--results".to_string(), "/results".to_string()]);
    let job = |job_name: &str, indexed: bool, cmd: &[String], cpus: &str| {
        let indexed = if indexed {
            format!(
                "  completionMode: Indexed\n  completions: {n}\n  parallelism: {n}\n  backoffLimit: {retries}\n",
                n = spec.shards,
                retries = 2 * spec.shards
            )
        } else {
            "  backoffLimit: 2\n".to_string()
        };
        format!(
            r#"apiVersion: batch/v1
kind: Job
metadata:
  name: {job_name}
spec:
{indexed}  template:
    spec:
      restartPolicy: Never
      containers:
        - name: trainbench
          image: {image}
          workingDir: {workdir}
          command: {cmd}
          resources:
            requests:
              cpu: "{cpus}"
            limits:
              cpu: "{cpus}"
          volumeMounts:
            - name: results
              mountPath: /results
      volumes:
        - name: results
          persistentVolumeClaim:
            claimName: {pvc}
"#,
            image = serde_json::to_string(&spec.image).expect("a string serializes"),
            workdir = serde_json::to_string(&spec.workdir).expect("a string serializes"),
            cmd = yaml_list(cmd),
            pvc = serde_json::to_string(&spec.pvc).expect("a string serializes"),
        )
    };
    let mut tune = command(spec, &["study"]);
    tune.extend(
        [
            "--tune-only",
            "--jobs",
            &jobs,
            "--no-progress",
            "--results",
            "/results",
        ]
        .map(String::from),
    );
    let tuning = if spec.tuned {
        format!(
            "# The study tunes its arms first: apply the tuning Job (one pod; its stages depend on\n\
             # each other) and wait for it before the shards:\n\
             #   kubectl wait --for=condition=complete --timeout=24h job/{name}-tuning\n{}---\n",
            job(&format!("{name}-tuning"), false, &tune, &jobs)
        )
    } else {
        String::new()
    };
    format!(
        "# Study '{study}' as a Kubernetes Indexed Job of {n} shards (each pod reads its shard from\n\
         # JOB_COMPLETION_INDEX), then a merge Job. Made by `trainbench emit k8s`. Kubernetes has no\n\
         # job dependencies: apply each document in turn, waiting for each to complete, e.g.\n\
         #   kubectl wait --for=condition=complete --timeout=24h job/{name}\n\
         # Results live on the PersistentVolumeClaim '{pvc}' mounted at /results.\n{tuning}{shards_job}---\n{merge_job}",
        study = spec.study,
        n = spec.shards,
        pvc = spec.pvc,
        shards_job = job(&name, true, &shard, &jobs),
        merge_job = job(&format!("{name}-merge"), false, &merge, "1"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EmitSpec {
        EmitSpec {
            study: "optimizers".into(),
            study_flags: vec!["--quick".into()],
            shards: 4,
            tuned: false,
            jobs: 2,
            exe: "/opt/trainbench/bin/trainbench".into(),
            workdir: "/home/me/my repo".into(),
            global_flags: vec!["--studies".into(), "/home/me/my repo/studies".into()],
            results: "results".into(),
            partition: Some("cpu".into()),
            time: None,
            image: "trainbench:latest".into(),
            pvc: "trainbench-results".into(),
        }
    }

    #[test]
    fn slurm_script_is_valid_bash_with_an_array_and_a_dependent_merge() {
        let script = slurm(&spec());
        assert!(script.contains("#SBATCH --array=0-3"), "{script}");
        assert!(script.contains("--dependency=afterok:\"$array_job\""));
        assert!(script.contains("#SBATCH --partition=cpu"));
        assert!(script.contains("cd '/home/me/my repo'"), "{script}");
        assert!(script.contains(
            "exec /opt/trainbench/bin/trainbench --studies '/home/me/my repo/studies' study optimizers --quick --jobs 2"
        ), "{script}");
        assert!(script.contains("merge optimizers --quick --results results"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("submit.sh");
        std::fs::write(&path, &script).unwrap();
        let check = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(check.status.success(), "{check:?}");
    }

    #[test]
    fn a_tuned_study_tunes_in_one_job_before_the_array() {
        let script = slurm(&EmitSpec {
            tuned: true,
            ..spec()
        });
        let tuning = script.find("--tune-only").expect("a tuning job");
        let array = script.find("#SBATCH --array=0-3").expect("an array job");
        assert!(tuning < array, "{script}");
        assert!(script.contains(
            r#"array_job=$(sbatch --parsable --dependency=afterok:"$tuning_job" --kill-on-invalid-dep=yes"#
        ), "{script}");
        assert!(!slurm(&spec()).contains("tune-only"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("submit.sh");
        std::fs::write(&path, &script).unwrap();
        let check = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(check.status.success(), "{check:?}");
        let yaml = k8s(&EmitSpec {
            tuned: true,
            ..spec()
        });
        assert_eq!(yaml.matches("kind: Job").count(), 3, "{yaml}");
        assert!(
            yaml.find("name: trainbench-optimizers-tuning").unwrap()
                < yaml.find("completionMode").unwrap()
        );
    }

    #[test]
    fn k8s_manifest_is_an_indexed_job_and_a_merge_job() {
        let yaml = k8s(&spec());
        assert!(yaml.contains("completionMode: Indexed"));
        assert!(yaml.contains("completions: 4"));
        assert!(yaml.contains(r#""--shards", "4""#), "{yaml}");
        assert!(yaml.contains("name: trainbench-optimizers-merge"));
        assert_eq!(yaml.matches("kind: Job").count(), 2);
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(shell_quote("plain/path-1"), "plain/path-1");
        assert_eq!(shell_quote(""), "''");
    }
}
