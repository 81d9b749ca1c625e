//! Sharding a study across machines: shard `I/N` (0-based) trains run k of the study's run list
//! when k mod N = I. The run list is fixed by the study file alone (seed-major, cells in grid
//! order; see `runner::run_list`), so every task of an array job computes the same assignment. The
//! shard comes from `--shard I/N`, else from Slurm's array variables, else from Kubernetes'
//! JOB_COMPLETION_INDEX with the count from `--shards N`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: usize,
    /// Number of shards, at least 1.
    pub count: usize,
}

impl Shard {
    /// A checked shard.
    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 || index >= count {
            return Err(Error::invalid(
                "shard",
                format!(
                    "{index}/{count}: the index must be in 0..{count} and the count at least 1"
                ),
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether run `k` of the run list is this shard's.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index
    }

    /// The shard from the command line or the scheduler's environment (`env` looks a variable
    /// up); `None` when nothing asks for sharding.
    pub fn resolve(
        explicit: Option<Shard>,
        count: Option<usize>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Shard>> {
        if explicit.is_some() {
            return Ok(explicit);
        }
        let number = |name: &str| -> Result<Option<usize>> {
            env(name)
                .map(|v| {
                    v.trim().parse::<usize>().map_err(|_| {
                        Error::invalid(name, format!("'{v}' is not a non-negative integer"))
                    })
                })
                .transpose()
        };
        if let (Some(id), Some(n)) = (
            number("SLURM_ARRAY_TASK_ID")?,
            number("SLURM_ARRAY_TASK_COUNT")?,
        ) {
            // Arrays may start anywhere (--array=1-4); the shard is the offset from the first.
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            return Shard::new(id.saturating_sub(min), n).map(Some);
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let Some(n) = count else {
                return Err(Error::invalid(
                    "shard",
                    "JOB_COMPLETION_INDEX is set but not the shard count: pass --shards N",
                ));
            };
            return Shard::new(index, n).map(Some);
        }
        match count {
            Some(n) if n > 1 => Err(Error::invalid(
                "shard",
                format!("--shards {n} needs a shard index: --shard I/{n}, a Slurm array task or JOB_COMPLETION_INDEX"),
            )),
            _ => Ok(None),
        }
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("'{s}' is not a shard: write I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (i, n) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(i, n).map_err(|_| bad())
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn parses_and_rejects_shards() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for bad in ["4/4", "1/0", "x/2", "3", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_run_belongs_to_exactly_one_shard() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
        for k in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(k)).count(), 1);
        }
        assert!(shards[1].owns(4) && shards[1].owns(7));
    }

    #[test]
    fn shard_comes_from_slurm_or_kubernetes() {
        let none = Shard::resolve(None, None, env(&[])).unwrap();
        assert_eq!(none, None);
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(
            Shard::resolve(None, None, slurm).unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
        assert_eq!(
            Shard::resolve(None, Some(5), &k8s).unwrap(),
            Some(Shard { index: 1, count: 5 })
        );
        let message = Shard::resolve(None, None, &k8s).unwrap_err().to_string();
        assert!(message.contains("--shards"), "{message}");
        // The command line wins over the environment.
        let explicit = Some(Shard { index: 0, count: 2 });
        assert_eq!(Shard::resolve(explicit, None, k8s).unwrap(), explicit);
        let bad = env(&[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "x"),
        ]);
        assert!(Shard::resolve(None, None, bad).is_err());
    }
}
