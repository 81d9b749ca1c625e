//! How much of a metric's variance each source of randomness explains, in a study that varies
//! the sources apart (`seed_axes`: every combination of their seeds is a run). A random-effects
//! ANOVA of the balanced crossed design with main effects only: each source's sum of squares
//! from its level means, the rest (interactions, and any source held fixed) as the residual;
//! variance components from the expected mean squares, a negative estimate set to 0. Pure
//! arithmetic on plain numbers; the report formats it.

/// One source's part.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The source (`init`, `order`, …), or `rest` for the residual.
    pub name: String,
    /// Its number of levels (seeds); 0 for the residual.
    pub levels: usize,
    /// Its sum of squares.
    pub sum_of_squares: f64,
    /// Its degrees of freedom.
    pub df: usize,
    /// Its variance component (≥ 0).
    pub variance: f64,
}

/// A metric's variance split over its sources.
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    /// One per varied source, in the order given.
    pub sources: Vec<Component>,
    /// What no single source explains (interactions); its df is 0 with a single source.
    pub rest: Component,
    /// Runs.
    pub n: usize,
    /// The sample variance of all runs (n − 1 in the denominator).
    pub total_variance: f64,
}

impl Decomposition {
    /// The share of the summed variance components of each source, then of the rest.
    pub fn shares(&self) -> Vec<f64> {
        let total: f64 = self.sources.iter().map(|c| c.variance).sum::<f64>() + self.rest.variance;
        self.sources
            .iter()
            .chain(std::iter::once(&self.rest))
            .map(|c| if total > 0.0 { c.variance / total } else { 0.0 })
            .collect()
    }
}

/// Decomposes `values` observed at the `levels` (one level per source, in `names`' order, per
/// value). Needs a complete crossed design: every combination of the sources' levels exactly
/// once, every value finite, and at least two levels per source; otherwise says what is wrong.
pub fn decompose(
    names: &[&str],
    levels: &[Vec<u64>],
    values: &[f64],
) -> Result<Decomposition, String> {
    let n = values.len();
    if levels.len() != n || names.is_empty() {
        return Err("no runs".into());
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err("a run has no finite value (diverged)".into());
    }
    let k = names.len();
    // The distinct levels of each source.
    let distinct: Vec<Vec<u64>> = (0..k)
        .map(|j| {
            let mut v: Vec<u64> = levels.iter().map(|l| l[j]).collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    if let Some(j) = (0..k).find(|&j| distinct[j].len() < 2) {
        return Err(format!("source '{}' has a single seed", names[j]));
    }
    let cells: usize = distinct.iter().map(Vec::len).product();
    let mut combos: Vec<&Vec<u64>> = levels.iter().collect();
    combos.sort();
    combos.dedup();
    if cells != n || combos.len() != n {
        return Err(format!(
            "{n} runs do not cross the sources' seeds once each ({cells} combinations)"
        ));
    }
    let grand = values.iter().sum::<f64>() / n as f64;
    let total_ss: f64 = values.iter().map(|v| (v - grand).powi(2)).sum();
    let mut sources = Vec::with_capacity(k);
    for j in 0..k {
        let per_level = n / distinct[j].len();
        let ss: f64 = distinct[j]
            .iter()
            .map(|&level| {
                let at: Vec<f64> = levels
                    .iter()
                    .zip(values)
                    .filter(|(l, _)| l[j] == level)
                    .map(|(_, v)| *v)
                    .collect();
                let mean = at.iter().sum::<f64>() / at.len() as f64;
                per_level as f64 * (mean - grand).powi(2)
            })
            .sum();
        sources.push(Component {
            name: names[j].to_string(),
            levels: distinct[j].len(),
            sum_of_squares: ss,
            df: distinct[j].len() - 1,
            variance: 0.0,
        });
    }
    let rest_ss = (total_ss - sources.iter().map(|c| c.sum_of_squares).sum::<f64>()).max(0.0);
    let rest_df = n - 1 - sources.iter().map(|c| c.df).sum::<usize>();
    let rest_ms = if rest_df > 0 {
        rest_ss / rest_df as f64
    } else {
        0.0
    };
    for c in &mut sources {
        let ms = c.sum_of_squares / c.df as f64;
        // E[MS_j] = σ²_rest + (n / levels_j) σ²_j.
        c.variance = ((ms - rest_ms) / (n / c.levels) as f64).max(0.0);
    }
    Ok(Decomposition {
        sources,
        rest: Component {
            name: "rest".into(),
            levels: 0,
            sum_of_squares: rest_ss,
            df: rest_df,
            variance: rest_ms,
        },
        n,
        total_variance: total_ss / (n - 1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = 10 + a_i + b_j + e_ij on a 3 × 4 grid.
    fn grid(
        a: [f64; 3],
        b: [f64; 4],
        e: impl Fn(usize, usize) -> f64,
    ) -> (Vec<Vec<u64>>, Vec<f64>) {
        let mut levels = Vec::new();
        let mut values = Vec::new();
        for (i, a) in a.iter().enumerate() {
            for (j, b) in b.iter().enumerate() {
                levels.push(vec![i as u64, j as u64]);
                values.push(10.0 + a + b + e(i, j));
            }
        }
        (levels, values)
    }

    #[test]
    fn additive_effects_are_split_exactly() {
        let (levels, values) = grid([-1.0, 0.0, 1.0], [0.0; 4], |_, _| 0.0);
        let d = decompose(&["init", "order"], &levels, &values).unwrap();
        assert_eq!(d.sources[1].sum_of_squares, 0.0);
        // SS_init = 4 · (1 + 0 + 1) = 8; σ²_init = MS / 4 = (8 / 2) / 4 = 1.
        assert!((d.sources[0].sum_of_squares - 8.0).abs() < 1e-12);
        assert!((d.sources[0].variance - 1.0).abs() < 1e-12);
        assert_eq!(d.shares(), [1.0, 0.0, 0.0]);
        assert_eq!((d.rest.df, d.n), (6, 12));
    }

    #[test]
    fn components_follow_the_expected_mean_squares() {
        // a = (-1, 0, 1), b = (-0.5, -0.5, 0.5, 0.5), interaction 0.3 · s_i · t_j with
        // s = (1, 0, -1), t = (1, -1, 1, -1): it leaves every row and column mean alone.
        let s = [1.0, 0.0, -1.0];
        let t = [1.0, -1.0, 1.0, -1.0];
        let (levels, values) = grid([-1.0, 0.0, 1.0], [-0.5, -0.5, 0.5, 0.5], |i, j| {
            0.3 * s[i] * t[j]
        });
        let d = decompose(&["init", "order"], &levels, &values).unwrap();
        // SS_a = 4 · 2 = 8, SS_b = 3 · 4 · 0.25 = 3, SS_rest = 0.09 · 2 · 4 = 0.72.
        assert!((d.sources[0].sum_of_squares - 8.0).abs() < 1e-12);
        assert!((d.sources[1].sum_of_squares - 3.0).abs() < 1e-12);
        assert!((d.rest.sum_of_squares - 0.72).abs() < 1e-12);
        let ms_rest = 0.72 / 6.0;
        assert!((d.rest.variance - ms_rest).abs() < 1e-12);
        assert!((d.sources[0].variance - (4.0 - ms_rest) / 4.0).abs() < 1e-12);
        assert!((d.sources[1].variance - (1.0 - ms_rest) / 3.0).abs() < 1e-12);
        assert!((d.total_variance - 11.72 / 11.0).abs() < 1e-12);
        let shares = d.shares();
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(shares[0] > shares[1] && shares[1] > shares[2]);
    }

    #[test]
    fn a_single_source_explains_everything_and_bad_designs_are_refused() {
        let d = decompose(&["init"], &[vec![0], vec![1], vec![2]], &[1.0, 2.0, 4.0]).unwrap();
        assert_eq!(d.rest.df, 0);
        assert!((d.sources[0].variance - d.total_variance).abs() < 1e-12);
        assert_eq!(d.shares(), [1.0, 0.0]);
        let e = |levels: &[Vec<u64>], values: &[f64]| {
            decompose(&["init", "order"], levels, values).unwrap_err()
        };
        let (levels, mut values) = grid([0.0; 3], [0.0; 4], |_, _| 0.0);
        assert!(e(&levels[..11], &values[..11]).contains("once each"));
        let mut twice = levels.clone();
        twice[1] = twice[0].clone();
        assert!(e(&twice, &values).contains("once each"));
        values[3] = f64::NAN;
        assert!(e(&levels, &values).contains("diverged"));
        assert!(e(&[vec![0, 0], vec![0, 1]], &[1.0, 2.0]).contains("single seed"));
    }
}
