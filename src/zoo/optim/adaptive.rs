//! AdaGrad and RMSProp: per-coordinate step sizes from accumulated squared gradients, in Keras 3's
//! float32 arithmetic order (keras/src/optimizers/adagrad.py, rmsprop.py), ε inside the root.

/// s ← s + g²; θ ← θ − η·g / sqrt(s + ε).
pub fn adagrad(lr: f32, epsilon: f32, param: &mut [f32], grad: &[f32], s: &mut [f32]) {
    for ((p, &g), s) in param.iter_mut().zip(grad).zip(s.iter_mut()) {
        *s += g * g;
        *p -= lr * g / (*s + epsilon).sqrt();
    }
}

/// s ← ρs + (1 − ρ)g²; θ ← θ − η·g / sqrt(s + ε), with 1 − ρ formed in f64 and rounded as
/// Keras's Python-float `1 - rho` is.
pub fn rmsprop(
    lr: f32,
    rho: f32,
    one_minus_rho: f32,
    epsilon: f32,
    param: &mut [f32],
    grad: &[f32],
    s: &mut [f32],
) {
    for ((p, &g), s) in param.iter_mut().zip(grad).zip(s.iter_mut()) {
        *s = rho * *s + one_minus_rho * (g * g);
        *p -= lr * g / (*s + epsilon).sqrt();
    }
}
