//! MC dropout (Gal & Ghahramani 2016; TECHNIQUES.md "Regularization") and the calibration
//! numbers it is judged by. With dropout kept on at inference, N stochastic forward passes give N
//! probability vectors per image; their mean is the prediction and their spread the uncertainty.
//! Reported: accuracy of the mean prediction, its negative log-likelihood, its expected
//! calibration error (15 equal-width confidence bins, as Guo et al. 2017) and the mean over
//! images of the std of the predicted class's probability. The plain model's ECE is reported too,
//! so a study can compare the two. Both also get a signed calibration error (mean confidence −
//! accuracy: > 0 over-confident, < 0 under-confident), which the ECE's absolute values hide, and
//! a reliability diagram's bins ([`reliability`]).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Ask for MC dropout evaluation of the final model on the test set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McDropout {
    /// Stochastic forward passes (100, as the textbook).
    #[serde(default = "hundred")]
    pub samples: u32,
}

fn hundred() -> u32 {
    100
}

impl McDropout {
    /// Checks the sample count.
    pub fn check(&self) -> Result<()> {
        if self.samples >= 2 {
            Ok(())
        } else {
            Err(Error::invalid(
                "mc_dropout.samples",
                format!("must be at least 2, got {}", self.samples),
            ))
        }
    }
}

/// Bins of the expected calibration error.
pub const ECE_BINS: usize = 15;

/// Softmax of one row of logits, in f64.
pub fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
    let exp: Vec<f64> = logits.iter().map(|&z| (z as f64 - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// Accuracy, NLL and ECE of probability rows (`classes` per image) against labels.
pub fn scores(probs: &[f64], classes: usize, labels: &[u8]) -> (f64, f64, f64) {
    let n = labels.len();
    let mut bins = vec![(0usize, 0.0f64, 0.0f64); ECE_BINS]; // (count, Σconfidence, Σcorrect)
    let (mut correct, mut nll) = (0usize, 0.0f64);
    for (row, &label) in probs.chunks_exact(classes).zip(labels) {
        let (best, conf) =
            row.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv {
                        (i, v)
                    } else {
                        (bi, bv)
                    }
                });
        let hit = best == label as usize;
        correct += usize::from(hit);
        nll -= row[label as usize].max(f64::MIN_POSITIVE).ln();
        let bin = ((conf * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        bins[bin].0 += 1;
        bins[bin].1 += conf;
        bins[bin].2 += f64::from(u8::from(hit));
    }
    let ece = bins
        .iter()
        .filter(|b| b.0 > 0)
        .map(|&(_, conf, hits)| (hits - conf).abs() / n as f64)
        .sum();
    (correct as f64 / n as f64, nll / n as f64, ece)
}

/// The top-class probability and whether it is the label, per image.
fn confidences<'a>(
    probs: &'a [f64],
    classes: usize,
    labels: &'a [u8],
) -> impl Iterator<Item = (f64, bool)> + 'a {
    probs
        .chunks_exact(classes)
        .zip(labels)
        .map(|(row, &label)| {
            let (best, conf) =
                row.iter()
                    .enumerate()
                    .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                        if v > bv {
                            (i, v)
                        } else {
                            (bi, bv)
                        }
                    });
            (conf, best == label as usize)
        })
}

/// Signed calibration error: the mean top-class probability minus the accuracy (> 0:
/// over-confident). Its absolute value is at most the ECE with any binning.
pub fn signed_calibration_error(probs: &[f64], classes: usize, labels: &[u8]) -> f64 {
    let n = labels.len().max(1) as f64;
    let (conf, hits) = confidences(probs, classes, labels)
        .fold((0.0, 0.0), |(c, h), (conf, hit)| {
            (c + conf, h + f64::from(u8::from(hit)))
        });
    (conf - hits) / n
}

/// A reliability diagram's bins: for each of the [`ECE_BINS`] equal-width confidence bins,
/// (images in it, their mean confidence, their accuracy); an empty bin has NaN means.
pub fn reliability(probs: &[f64], classes: usize, labels: &[u8]) -> Vec<(usize, f64, f64)> {
    let mut bins = vec![(0usize, 0.0f64, 0.0f64); ECE_BINS];
    for (conf, hit) in confidences(probs, classes, labels) {
        let bin = ((conf * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        bins[bin].0 += 1;
        bins[bin].1 += conf;
        bins[bin].2 += f64::from(u8::from(hit));
    }
    bins.into_iter()
        .map(|(count, conf, hits)| {
            let k = count as f64;
            (count, conf / k, hits / k)
        })
        .collect()
}

/// The metrics of a reliability diagram, named `<prefix>.acc.<bin>`, `<prefix>.conf.<bin>` and
/// `<prefix>.share.<bin>` (bins 1-based, zero-padded; share = the bin's fraction of the images).
pub fn reliability_metrics(
    prefix: &str,
    probs: &[f64],
    classes: usize,
    labels: &[u8],
) -> Vec<(String, f64)> {
    let n = labels.len().max(1) as f64;
    let mut out = Vec::new();
    for (i, (count, conf, acc)) in reliability(probs, classes, labels).into_iter().enumerate() {
        out.push((format!("{prefix}.acc.{:02}", i + 1), acc));
        out.push((format!("{prefix}.conf.{:02}", i + 1), conf));
        out.push((format!("{prefix}.share.{:02}", i + 1), count as f64 / n));
    }
    out
}

/// Running mean and variance of the samples' probabilities, per (image, class).
#[derive(Debug, Clone)]
pub struct McAccumulator {
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    samples: u32,
}

impl McAccumulator {
    /// For `len` = images × classes probabilities.
    pub fn new(len: usize) -> Self {
        McAccumulator {
            sum: vec![0.0; len],
            sum_sq: vec![0.0; len],
            samples: 0,
        }
    }

    /// Adds one stochastic pass's probabilities (all images).
    pub fn add(&mut self, probs: &[f64]) {
        for ((s, q), &p) in self.sum.iter_mut().zip(&mut self.sum_sq).zip(probs) {
            *s += p;
            *q += p * p;
        }
        self.samples += 1;
    }

    /// The averaged prediction: a probability row per image.
    pub fn mean(&self) -> Vec<f64> {
        let k = f64::from(self.samples);
        self.sum.iter().map(|s| s / k).collect()
    }

    /// The metrics: [("mc_accuracy", ..), ("mc_nll", ..), ("mc_ece", ..), ("mc_mean_std", ..)].
    pub fn metrics(&self, classes: usize, labels: &[u8]) -> Vec<(String, f64)> {
        let k = f64::from(self.samples);
        let mean: Vec<f64> = self.sum.iter().map(|s| s / k).collect();
        let (acc, nll, ece) = scores(&mean, classes, labels);
        // Std (over samples) of the probability of the class the mean predicts, averaged.
        let mut std_sum = 0.0;
        for (i, row) in mean.chunks_exact(classes).enumerate() {
            let best = (0..classes)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            let j = i * classes + best;
            let var = (self.sum_sq[j] / k - mean[j] * mean[j]).max(0.0);
            std_sum += var.sqrt();
        }
        vec![
            ("mc_accuracy".into(), acc),
            ("mc_nll".into(), nll),
            ("mc_ece".into(), ece),
            ("mc_mean_std".into(), std_sum / labels.len() as f64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfectly_calibrated_set_has_zero_ece_and_an_overconfident_one_does_not() {
        // Two images, confidence 1.0 and right: ECE 0, NLL 0, accuracy 1.
        let probs = [1.0, 0.0, 0.0, 1.0];
        let (acc, nll, ece) = scores(&probs, 2, &[0, 1]);
        assert_eq!((acc, nll, ece), (1.0, 0.0, 0.0));
        // Four images at confidence 0.9 (one bin), half right: ECE = |0.5 − 0.9| = 0.4.
        let probs = [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1];
        let (acc, _, ece) = scores(&probs, 2, &[0, 1, 0, 1]);
        assert_eq!(acc, 0.5);
        assert!((ece - 0.4).abs() < 1e-12, "{ece}");
    }

    #[test]
    fn the_signed_calibration_error_is_mean_confidence_minus_accuracy() {
        // Three images, top probabilities 0.9 (right), 0.6 (wrong), 0.7 (right): mean
        // confidence 2.2/3, accuracy 2/3, signed error +0.2/3 (over-confident).
        let probs = [0.9, 0.1, 0.4, 0.6, 0.3, 0.7];
        let sce = signed_calibration_error(&probs, 2, &[0, 0, 1]);
        assert!((sce - 0.2 / 3.0).abs() < 1e-12, "{sce}");
        // Under-confident: 0.6 and right on both → 0.6 − 1 = −0.4.
        let sce = signed_calibration_error(&[0.6, 0.4, 0.4, 0.6], 2, &[0, 1]);
        assert!((sce + 0.4).abs() < 1e-12, "{sce}");
        // |signed| ≤ ECE.
        let (_, _, ece) = scores(&probs, 2, &[0, 0, 1]);
        assert!(0.2f64 / 3.0 <= ece + 1e-12, "|signed| ≤ ECE: {ece}");
    }

    #[test]
    fn reliability_bins_count_images_by_confidence() {
        // 0.9 and 0.95 fall in bin 14 (of 15, [0.8667, 0.9333)) and 15; 0.6 in bin 10.
        let probs = [0.9, 0.1, 0.4, 0.6, 0.05, 0.95];
        let bins = reliability(&probs, 2, &[0, 0, 1]);
        assert_eq!(bins.len(), ECE_BINS);
        assert_eq!(bins[13].0, 1);
        assert_eq!((bins[13].1, bins[13].2), (0.9, 1.0));
        assert_eq!((bins[9].0, bins[9].2), (1, 0.0));
        assert_eq!((bins[14].0, bins[14].2), (1, 1.0));
        assert!(bins[0].1.is_nan(), "an empty bin has no mean");
        let named = reliability_metrics("rel", &probs, 2, &[0, 0, 1]);
        assert_eq!(named.len(), 3 * ECE_BINS);
        assert_eq!(named[0].0, "rel.acc.01");
        let share: f64 = named
            .iter()
            .filter(|(n, _)| n.contains(".share."))
            .map(|(_, v)| v)
            .sum();
        assert!((share - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_accumulator_gives_the_mean_and_the_spread() {
        let mut acc = McAccumulator::new(2);
        acc.add(&[0.8, 0.2]);
        acc.add(&[0.6, 0.4]);
        let m = acc.metrics(2, &[0]);
        assert_eq!(m[0], ("mc_accuracy".to_string(), 1.0));
        assert!((m[1].1 - -(0.7f64).ln()).abs() < 1e-12);
        assert!((m[3].1 - 0.1).abs() < 1e-12, "std of 0.8 and 0.6 is 0.1");
        let p = softmax(&[0.0, 0.0]);
        assert_eq!(p, [0.5, 0.5]);
    }
}
