//! Gradient descent with and without (Nesterov) momentum, in Keras 3's float32 arithmetic order
//! (keras/src/optimizers/sgd.py).

/// θ ← θ − g·η.
pub fn plain(lr: f32, param: &mut [f32], grad: &[f32]) {
    for (p, &g) in param.iter_mut().zip(grad) {
        *p -= g * lr;
    }
}

/// m ← −g·η + m·β; then θ ← θ + m (classic) or θ ← θ + (−g·η + m·β) (Nesterov look-ahead).
pub fn momentum(
    lr: f32,
    beta: f32,
    nesterov: bool,
    param: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
) {
    for ((p, &g), m) in param.iter_mut().zip(grad).zip(m.iter_mut()) {
        *m = -g * lr + *m * beta;
        if nesterov {
            *p += -g * lr + *m * beta;
        } else {
            *p += *m;
        }
    }
}
