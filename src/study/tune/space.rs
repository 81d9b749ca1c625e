//! A tuning search space: what each tuned key may take (a log or linear range with a number of
//! points, or an explicit list of values), and the candidate settings a method draws from it:
//! the grid (every combination) or a Halton sequence (quasi-random, `trials` points). Pure: no
//! IO, no training; the values are set into run configs by the parent module.

use serde::Deserialize;

/// How the candidates are drawn from the space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every combination of the keys' values (each range gives its `points`), first key slowest.
    #[default]
    Grid,
    /// `trials` points of the Halton sequence (bases 2, 3, 5, … per key, from its first point
    /// after the origin), each coordinate mapped into its key's range or list.
    Halton,
}

impl Method {
    /// Its name in study files.
    pub fn name(self) -> &'static str {
        match self {
            Method::Grid => "grid",
            Method::Halton => "halton",
        }
    }
}

/// How one key's values are spread.
#[derive(Debug, Clone, PartialEq)]
pub enum Spread {
    /// Geometrically from `lo` to `hi` (both > 0).
    Log {
        /// Lowest value.
        lo: f64,
        /// Highest value.
        hi: f64,
        /// Values on the grid (the ends included); unused by Halton.
        points: Option<usize>,
    },
    /// Evenly from `lo` to `hi`.
    Linear {
        /// Lowest value.
        lo: f64,
        /// Highest value.
        hi: f64,
        /// Values on the grid (the ends included); unused by Halton.
        points: Option<usize>,
    },
    /// Exactly these values, in this order.
    List(Vec<f64>),
}

/// One tuned key and its spread.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySpace {
    /// The dotted config key (`optimizer.learning_rate`).
    pub key: String,
    /// Its values.
    pub spread: Spread,
}

/// One key's entry as a study file writes it (a list is read separately).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeEntry {
    log: Option<[f64; 2]>,
    linear: Option<[f64; 2]>,
    points: Option<usize>,
}

impl KeySpace {
    /// Reads `key = { log = [lo, hi], points = n }`, `{ linear = [lo, hi], points = n }` or
    /// `[v1, v2, …]`, checking the values; the error is the message alone.
    pub fn parse(key: &str, value: &toml::Value) -> Result<KeySpace, String> {
        let spread =
            match value {
                toml::Value::Array(values) => {
                    let numbers: Option<Vec<f64>> = values.iter().map(number).collect();
                    match numbers {
                        Some(n) if !n.is_empty() => {
                            if n.iter().any(|v| !v.is_finite()) {
                                return Err("the values must be finite numbers".into());
                            }
                            let mut seen = n.clone();
                            seen.sort_by(f64::total_cmp);
                            if seen.windows(2).any(|w| w[0] == w[1]) {
                                return Err("a value is listed twice".into());
                            }
                            Spread::List(n)
                        }
                        _ => return Err("a list of values must hold at least one number".into()),
                    }
                }
                toml::Value::Table(_) => {
                    let entry: RangeEntry = value
                        .clone()
                        .try_into()
                        .map_err(|e: toml::de::Error| e.message().to_string())?;
                    if let Some(p) = entry.points {
                        if p < 2 {
                            return Err(format!(
                            "points must be at least 2 (a range's two ends), got {p}; a single \
                             value is a list: [{}]",
                            entry.log.or(entry.linear).map_or(0.0, |r| r[0])
                        ));
                        }
                    }
                    match (entry.log, entry.linear) {
                        (Some([lo, hi]), None) => {
                            if !(lo > 0.0 && hi > lo && hi.is_finite()) {
                                return Err(format!(
                                    "log = [lo, hi] needs 0 < lo < hi, got [{lo}, {hi}]"
                                ));
                            }
                            Spread::Log {
                                lo,
                                hi,
                                points: entry.points,
                            }
                        }
                        (None, Some([lo, hi])) => {
                            if !(lo.is_finite() && hi.is_finite() && hi > lo) {
                                return Err(format!(
                                    "linear = [lo, hi] needs lo < hi, got [{lo}, {hi}]"
                                ));
                            }
                            Spread::Linear {
                                lo,
                                hi,
                                points: entry.points,
                            }
                        }
                        _ => return Err(
                            "write one of log = [lo, hi] or linear = [lo, hi] (with points = n \
                             for the grid), or a list of values"
                                .into(),
                        ),
                    }
                }
                _ => {
                    return Err(
                        "a tuned key takes { log = [lo, hi], points = n }, { linear = [lo, hi], \
                     points = n } or a list of values"
                            .into(),
                    )
                }
            };
        Ok(KeySpace {
            key: key.to_string(),
            spread,
        })
    }

    /// Whether a chart shows this key on a log axis: a log range, or a list of positive values
    /// spanning a factor of 10 or more.
    pub fn log_axis(&self) -> bool {
        match &self.spread {
            Spread::Log { .. } => true,
            Spread::Linear { .. } => false,
            Spread::List(values) => {
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                lo > 0.0 && hi / lo >= 10.0
            }
        }
    }

    /// The grid's values of this key, in order: the list, or `points` spread over the range
    /// (an error when a range has no `points`).
    fn grid_values(&self) -> Result<Vec<f64>, String> {
        let spread = |lo: f64, hi: f64, points: Option<usize>, log: bool| {
            let n = points.ok_or_else(|| {
                format!(
                    "{}: the grid needs points = n for a range (or use method = \"halton\" \
                     with trials = N)",
                    self.key
                )
            })?;
            if n > MAX_CANDIDATES {
                return Err(format!(
                    "{}: points = {n} is more than {MAX_CANDIDATES} candidates per arm",
                    self.key
                ));
            }
            Ok((0..n)
                .map(|i| {
                    let u = i as f64 / (n - 1) as f64;
                    if i == n - 1 {
                        hi
                    } else if log {
                        lo * (hi / lo).powf(u)
                    } else {
                        lo + u * (hi - lo)
                    }
                })
                .collect())
        };
        match &self.spread {
            Spread::Log { lo, hi, points } => spread(*lo, *hi, *points, true),
            Spread::Linear { lo, hi, points } => spread(*lo, *hi, *points, false),
            Spread::List(values) => Ok(values.clone()),
        }
    }

    /// The value at `u` ∈ [0, 1) of this key's spread (Halton's coordinate).
    fn at(&self, u: f64) -> f64 {
        match &self.spread {
            Spread::Log { lo, hi, .. } => lo * (hi / lo).powf(u),
            Spread::Linear { lo, hi, .. } => lo + u * (hi - lo),
            Spread::List(values) => {
                values[((u * values.len() as f64) as usize).min(values.len() - 1)]
            }
        }
    }

    /// Shrinks the key to at most `most` values (`--quick`): a range's points, or a longer list
    /// thinned to evenly spaced entries, its ends kept.
    pub fn shrink(&mut self, most: usize) {
        let most = most.max(1);
        match &mut self.spread {
            Spread::Log { points, .. } | Spread::Linear { points, .. } => {
                if let Some(p) = points {
                    *p = (*p).min(most.max(2));
                }
            }
            Spread::List(values) if values.len() > most => {
                let n = values.len();
                *values = if most == 1 {
                    vec![values[0]]
                } else {
                    (0..most)
                        .map(|i| values[(i * (n - 1) + (most - 1) / 2) / (most - 1)])
                        .collect()
                };
            }
            Spread::List(_) => {}
        }
    }
}

/// A number in a study file (an integer or a float).
fn number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The most candidates an arm may have: each is at least one training run, and a file asking
/// for more (a typo, an extra digit) would otherwise spend minutes and gigabytes listing them
/// before anything could say so. (Found by tests/it/fuzz_parsers.rs: `points = 100000000`.)
pub const MAX_CANDIDATES: usize = 10_000;

/// The candidate settings: one value per key (in `keys` order) each.
pub fn candidates(
    keys: &[KeySpace],
    method: Method,
    trials: Option<usize>,
) -> Result<Vec<Vec<f64>>, String> {
    match method {
        Method::Grid => {
            if trials.is_some() {
                return Err(
                    "trials = N is for method = \"halton\"; the grid tries every combination"
                        .into(),
                );
            }
            let mut combos: Vec<Vec<f64>> = vec![vec![]];
            for key in keys {
                let values = key.grid_values()?;
                let n = combos.len().saturating_mul(values.len());
                if n > MAX_CANDIDATES {
                    return Err(format!(
                        "the grid's combinations come to more than {MAX_CANDIDATES} candidates \
                         per arm (at {})",
                        key.key
                    ));
                }
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |&v| {
                            let mut c = c.clone();
                            c.push(v);
                            c
                        })
                    })
                    .collect();
            }
            Ok(combos)
        }
        Method::Halton => {
            let n = trials.ok_or("method = \"halton\" needs trials = N (the candidates drawn)")?;
            if n == 0 {
                return Err("trials must be at least 1".into());
            }
            if n > MAX_CANDIDATES {
                return Err(format!(
                    "trials = {n} is more than {MAX_CANDIDATES} candidates per arm"
                ));
            }
            if keys.len() > PRIMES.len() {
                return Err(format!("halton draws at most {} keys", PRIMES.len()));
            }
            Ok((1..=n as u64)
                .map(|i| {
                    keys.iter()
                        .zip(PRIMES)
                        .map(|(key, base)| key.at(radical_inverse(i, base)))
                        .collect()
                })
                .collect())
        }
    }
}

/// The bases of the Halton sequence's coordinates.
const PRIMES: [u64; 8] = [2, 3, 5, 7, 11, 13, 17, 19];

/// The radical inverse of `i` in `base`: its digits mirrored about the point, in [0, 1).
fn radical_inverse(mut i: u64, base: u64) -> f64 {
    let (mut value, mut scale) = (0.0, 1.0 / base as f64);
    while i > 0 {
        value += (i % base) as f64 * scale;
        i /= base;
        scale /= base as f64;
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Result<KeySpace, String> {
        let table: toml::Table = toml::from_str(&format!("k = {text}")).unwrap();
        KeySpace::parse("k", &table["k"])
    }

    #[test]
    fn log_and_linear_ranges_and_lists_give_their_grid_values() {
        let log = key("{ log = [1e-4, 1e-1], points = 4 }").unwrap();
        let v = log.grid_values().unwrap();
        assert_eq!(v.len(), 4);
        for (got, want) in v.iter().zip([1e-4, 1e-3, 1e-2, 1e-1]) {
            assert!((got / want - 1.0).abs() < 1e-12, "{v:?}");
        }
        assert_eq!(v[3], 0.1, "the end is exact");
        assert!(log.log_axis());
        let linear = key("{ linear = [0, 0.3], points = 4 }").unwrap();
        let v = linear.grid_values().unwrap();
        assert!((v[1] - 0.1).abs() < 1e-15 && v[3] == 0.3, "{v:?}");
        assert!(!linear.log_axis());
        let list = key("[0.1, 1, 10]").unwrap();
        assert_eq!(list.grid_values().unwrap(), [0.1, 1.0, 10.0]);
        assert!(list.log_axis());
        assert!(!key("[0.1, 0.2]").unwrap().log_axis());
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let e = |t: &str| key(t).unwrap_err();
        assert!(e("{ log = [0, 1], points = 3 }").contains("0 < lo < hi"));
        assert!(e("{ log = [1e-3, 1e-1], points = 1 }").contains("at least 2"));
        assert!(e("{ linear = [1, 1], points = 3 }").contains("lo < hi"));
        assert!(e("{ log = [1e-3, 1e-1], linear = [1, 2] }").contains("one of"));
        assert!(e("{ log = [1e-3, 1e-1], pionts = 3 }").contains("unknown field `pionts`"));
        assert!(e("[]").contains("at least one number"));
        assert!(e("[1, \"a\"]").contains("at least one number"));
        assert!(e("[1, 1.0]").contains("twice"));
        assert!(e("\"x\"").contains("a tuned key takes"));
        let no_points = key("{ log = [1e-3, 1e-1] }").unwrap();
        let e = candidates(std::slice::from_ref(&no_points), Method::Grid, None).unwrap_err();
        assert!(e.contains("points = n"), "{e}");
        assert!(
            candidates(std::slice::from_ref(&no_points), Method::Halton, None)
                .unwrap_err()
                .contains("trials")
        );
        assert!(candidates(&[no_points], Method::Grid, Some(3))
            .unwrap_err()
            .contains("halton"));
    }

    #[test]
    fn more_than_the_most_candidates_is_refused_before_listing_them() {
        let huge = key("{ log = [1e-4, 1], points = 100000000 }").unwrap();
        let e = candidates(&[huge], Method::Grid, None).unwrap_err();
        assert!(e.contains("points = 100000000 is more than 10000"), "{e}");
        let a = key("{ linear = [0, 1], points = 200 }").unwrap();
        let b = key("{ linear = [0, 1], points = 100 }").unwrap();
        let e = candidates(&[a.clone(), b], Method::Grid, None).unwrap_err();
        assert!(e.contains("more than 10000 candidates"), "{e}");
        let e = candidates(std::slice::from_ref(&a), Method::Halton, Some(20_000)).unwrap_err();
        assert!(e.contains("trials = 20000 is more than 10000"), "{e}");
        assert_eq!(candidates(&[a], Method::Grid, None).unwrap().len(), 200);
    }

    #[test]
    fn the_grid_is_the_cross_product_first_key_slowest() {
        let a = key("[1, 2]").unwrap();
        let b = key("[10, 20, 30]").unwrap();
        let c = candidates(&[a, b], Method::Grid, None).unwrap();
        assert_eq!(
            c,
            [
                [1.0, 10.0],
                [1.0, 20.0],
                [1.0, 30.0],
                [2.0, 10.0],
                [2.0, 20.0],
                [2.0, 30.0]
            ]
        );
    }

    #[test]
    fn halton_points_are_the_radical_inverses_mapped_into_each_range() {
        // Base 2: 1/2, 1/4, 3/4, 1/8; base 3: 1/3, 2/3, 1/9, 4/9.
        assert_eq!(radical_inverse(3, 2), 0.75);
        assert!((radical_inverse(4, 3) - 4.0 / 9.0).abs() < 1e-15);
        let lr = key("{ log = [1e-4, 1] }").unwrap();
        let rate = key("{ linear = [0, 0.9] }").unwrap();
        let list = key("[1, 2, 3]").unwrap();
        let c = candidates(&[lr, rate, list], Method::Halton, Some(4)).unwrap();
        assert_eq!(c.len(), 4);
        assert!(
            (c[0][0] - 1e-2).abs() < 1e-15,
            "u = 1/2 is the log midpoint: {c:?}"
        );
        assert!((c[0][1] - 0.3).abs() < 1e-15, "u = 1/3: {c:?}");
        assert_eq!(c[0][2], 1.0, "base 5: u = 1/5 is the first of three");
        assert_eq!(c[3][2], 3.0, "u = 4/5 is the last");
        assert_eq!(
            c,
            candidates(
                &[
                    key("{ log = [1e-4, 1] }").unwrap(),
                    key("{ linear = [0, 0.9] }").unwrap(),
                    key("[1, 2, 3]").unwrap()
                ],
                Method::Halton,
                Some(4)
            )
            .unwrap(),
            "no seed: the same points every time"
        );
    }

    #[test]
    fn shrinking_keeps_the_ends() {
        let mut log = key("{ log = [1e-4, 1e-1], points = 8 }").unwrap();
        log.shrink(3);
        let v = log.grid_values().unwrap();
        assert_eq!(v.len(), 3);
        assert!((v[0] - 1e-4).abs() < 1e-18 && v[2] == 0.1);
        let mut list = key("[1, 2, 3, 4, 5, 6, 7]").unwrap();
        list.shrink(3);
        assert_eq!(list.grid_values().unwrap(), [1.0, 4.0, 7.0]);
        let mut short = key("[1, 2]").unwrap();
        short.shrink(3);
        assert_eq!(short.grid_values().unwrap(), [1.0, 2.0]);
    }
}
