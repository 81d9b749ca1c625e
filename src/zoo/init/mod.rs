//! Weight initializers (TECHNIQUES.md "Initializers"): a plug-in family. An initializer
//! ([`InitializerRule`]) draws a [fan_in, fan_out] kernel, row-major (Keras layout), from the
//! run's weight stream and knows its variance; biases start at zero and are not drawn here. The
//! built-ins are the variance-scaling family under its Keras names plus the two baselines the
//! chapter argues against, one file each, listed in its family's `builtins()`.

mod fan_in_uniform;
mod glorot_normal;
mod glorot_uniform;
mod he_normal;
mod he_uniform;
mod lecun_normal;
mod lecun_uniform;
mod standard_normal;
mod variance_scaling;

pub use fan_in_uniform::FanInUniform;
pub use glorot_normal::GlorotNormal;
pub use glorot_uniform::GlorotUniform;
pub use he_normal::HeNormal;
pub use he_uniform::HeUniform;
pub use lecun_normal::LecunNormal;
pub use lecun_uniform::LecunUniform;
pub use standard_normal::StandardNormal;
pub use variance_scaling::{Distribution, FanMode, VarianceScaling, TRUNCATED_NORMAL_STD};

use std::sync::Arc;

use rand::RngCore;

use super::registry::Config;
use super::registry::Registry;
use super::technique::{typed, DynTechnique, Erase, Factory, Family, Technique};
use crate::error::Result;

impl Registry {
    /// Adds the initializer `T` (a user's own, or a built-in listed again).
    pub fn initializer<T: InitializerRule>(self) -> Self {
        self.with::<Initializers>(typed::<Initializers, T>())
    }
}

/// A kernel initializer: what a user's crate implements (with [`Technique`]) to add one.
pub trait InitializerRule: Technique {
    /// Checks the parameters' ranges (errors name `initializer.<what>`).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// The variance the initializer's weights have for this layer size.
    fn variance(&self, fan_in: usize, fan_out: usize) -> f64;
    /// Draws a [fan_in, fan_out] kernel, row-major, from `rng`.
    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32>;
}

/// An initializer behind a trait object; implemented for every [`InitializerRule`].
pub trait DynInitializerRule: DynTechnique {
    /// [`InitializerRule::check`].
    fn check(&self) -> Result<()>;
    /// [`InitializerRule::variance`].
    fn variance(&self, fan_in: usize, fan_out: usize) -> f64;
    /// [`InitializerRule::kernel`].
    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32>;
}

impl<T: InitializerRule> DynInitializerRule for T {
    fn check(&self) -> Result<()> {
        InitializerRule::check(self)
    }
    fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        InitializerRule::variance(self, fan_in, fan_out)
    }
    fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut dyn RngCore) -> Vec<f32> {
        InitializerRule::kernel(self, fan_in, fan_out, rng)
    }
}

/// The initializer family.
pub enum Initializers {}

impl Family for Initializers {
    type Dyn = dyn DynInitializerRule;
    const KIND: &'static str = "initializer";

    /// The built-in initializers, in the order errors list them.
    fn builtins() -> Vec<Arc<dyn Factory<Self>>> {
        vec![
            typed::<Self, GlorotUniform>(),
            typed::<Self, GlorotNormal>(),
            typed::<Self, HeUniform>(),
            typed::<Self, HeNormal>(),
            typed::<Self, LecunUniform>(),
            typed::<Self, LecunNormal>(),
            typed::<Self, VarianceScaling>(),
            typed::<Self, StandardNormal>(),
            typed::<Self, FanInUniform>(),
        ]
    }
}

impl<T: InitializerRule> Erase<Initializers> for T {
    fn erase(self) -> Arc<dyn DynInitializerRule> {
        Arc::new(self)
    }
}

/// A kernel initializer, as a model spec holds it.
pub type Initializer = Config<Initializers>;

impl Initializer {
    /// Checks the parameters' ranges.
    pub fn check(&self) -> Result<()> {
        self.get().check()
    }

    /// The variance the initializer's weights have for this layer size.
    pub fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        self.get().variance(fan_in, fan_out)
    }

    /// Draws a [fan_in, fan_out] kernel, row-major, from `rng`.
    pub fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut impl RngCore) -> Vec<f32> {
        self.get().kernel(fan_in, fan_out, rng)
    }

    /// Draws a convolution's `count` weights (kh·kw·c_in·c_out) with Keras's conv fans
    /// (fan_in = kh·kw·c_in, fan_out = kh·kw·c_out), which the weight count is not the product
    /// of. Every initializer draws its weights independently from one distribution set by the
    /// fans, so the first `count` draws of a [fan_in, fan_out] kernel are such a kernel (the
    /// rest of that draw is dropped).
    pub fn conv_kernel(
        &self,
        fan_in: usize,
        fan_out: usize,
        count: usize,
        rng: &mut impl RngCore,
    ) -> Vec<f32> {
        let mut weights = self.get().kernel(fan_in, fan_out, rng);
        weights.truncate(count);
        weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn moments(w: &[f32]) -> (f64, f64) {
        let n = w.len() as f64;
        let mean = w.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    /// The sample mean and variance of a large layer match the formula within 5 standard errors.
    /// For a zero-mean distribution, se(mean) = σ/sqrt(n) and se(var) = σ² sqrt((κ − 1)/n), with
    /// kurtosis κ = 1.8 (uniform), 3 (normal) and ≈ 2.37 (normal truncated at ±2).
    #[test]
    fn empirical_moments_match_the_formula() {
        let (fan_in, fan_out) = (400, 300);
        let n = (fan_in * fan_out) as f64;
        let cases = [
            (Initializer::new(GlorotUniform {}), 1.8),
            (Initializer::new(GlorotNormal {}), 2.37),
            (Initializer::new(HeUniform {}), 1.8),
            (Initializer::new(HeNormal {}), 2.37),
            (Initializer::new(LecunUniform {}), 1.8),
            (Initializer::new(LecunNormal {}), 2.37),
            (
                Initializer::new(VarianceScaling {
                    scale: 2.0,
                    mode: FanMode::FanAvg,
                    distribution: Distribution::UntruncatedNormal,
                }),
                3.0,
            ),
            (Initializer::new(StandardNormal {}), 3.0),
            (Initializer::new(FanInUniform {}), 1.8),
        ];
        for (init, kurtosis) in cases {
            let mut rng = ChaCha8Rng::seed_from_u64(42);
            let w = init.kernel(fan_in, fan_out, &mut rng);
            let (mean, var) = moments(&w);
            let target = init.variance(fan_in, fan_out);
            let se_mean = (target / n).sqrt();
            let se_var = target * ((kurtosis - 1.0) / n).sqrt();
            assert!(mean.abs() < 5.0 * se_mean, "{init:?}: mean {mean}");
            assert!(
                (var - target).abs() < 5.0 * se_var,
                "{init:?}: variance {var}, expected {target} ± {}",
                5.0 * se_var
            );
        }
    }

    #[test]
    fn truncated_normal_stays_within_two_stds() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let w = Initializer::new(HeNormal {}).kernel(784, 300, &mut rng);
        let bound = (2.0f64 / 784.0).sqrt() / TRUNCATED_NORMAL_STD * 2.0;
        assert!(w.iter().all(|&x| (x as f64).abs() <= bound * (1.0 + 1e-6)));
        // And the bound is actually approached: truncation, not a narrower distribution.
        assert!(w.iter().any(|&x| (x as f64).abs() > 0.95 * bound));
    }

    #[test]
    fn same_seed_same_weights() {
        let a = Initializer::new(HeNormal {}).kernel(10, 10, &mut ChaCha8Rng::seed_from_u64(9));
        let b = Initializer::new(HeNormal {}).kernel(10, 10, &mut ChaCha8Rng::seed_from_u64(9));
        assert_eq!(a, b);
    }

    #[test]
    fn bad_scale_is_refused() {
        let init = Initializer::new(VarianceScaling {
            scale: -1.0,
            mode: FanMode::FanIn,
            distribution: Distribution::Uniform,
        });
        assert_eq!(
            init.check().unwrap_err().to_string(),
            "invalid initializer.scale: must be a finite number > 0, got -1"
        );
    }
}
