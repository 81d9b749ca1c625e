//! The Adam family: Adam, AdaMax, Nadam and AdamW's decoupled decay, in Keras 3's float32 arithmetic
//! order (keras/src/optimizers/adam.py, adamax.py, nadam.py, and the base optimizer's weight decay).

/// β1, β2, ε as f32.
#[derive(Debug, Clone, Copy)]
pub struct Hyper {
    b1: f32,
    b2: f32,
    eps: f32,
    /// 1 − β1 and 1 − β2 formed in f64 and then rounded, as Keras's `1 - self.beta_1` is a Python
    /// float subtraction (1 − 0.8f32 would differ in the last bit). Nadam casts first (f32).
    one_minus_b1: f32,
    one_minus_b2: f32,
}

impl Hyper {
    pub fn new(beta_1: f64, beta_2: f64, epsilon: f64) -> Self {
        Hyper {
            b1: beta_1 as f32,
            b2: beta_2 as f32,
            eps: epsilon as f32,
            one_minus_b1: (1.0 - beta_1) as f32,
            one_minus_b2: (1.0 - beta_2) as f32,
        }
    }
}

/// β^t in f32, as Keras's `ops.power(beta, step)`.
fn power(beta: f32, t: u64) -> f32 {
    beta.powf(t as f32)
}

/// Nadam's momentum schedule u_t = β1(1 − 0.5·0.96^t).
pub fn nadam_u(b1: f32, t: u64) -> f32 {
    b1 * (1.0 - 0.5 * power(0.96, t))
}

/// m ← m + (g − m)(1 − β1); s ← s + (g² − s)(1 − β2); θ ← θ − (m·α_t)/(sqrt(s) + ε),
/// α_t = η·sqrt(1 − β2^t)/(1 − β1^t).
pub fn adam(
    lr: f32,
    h: Hyper,
    t: u64,
    param: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    s: &mut [f32],
) {
    let alpha = lr * (1.0 - power(h.b2, t)).sqrt() / (1.0 - power(h.b1, t));
    for (((p, &g), m), s) in param
        .iter_mut()
        .zip(grad)
        .zip(m.iter_mut())
        .zip(s.iter_mut())
    {
        *m += (g - *m) * h.one_minus_b1;
        *s += (g * g - *s) * h.one_minus_b2;
        *p -= (*m * alpha) / (s.sqrt() + h.eps);
    }
}

/// m as Adam; u ← max(β2u, |g|); θ ← θ − (η·m)/((1 − β1^t)(u + ε)).
pub fn adamax(
    lr: f32,
    h: Hyper,
    t: u64,
    param: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    u: &mut [f32],
) {
    let correction = 1.0 - power(h.b1, t);
    for (((p, &g), m), u) in param
        .iter_mut()
        .zip(grad)
        .zip(m.iter_mut())
        .zip(u.iter_mut())
    {
        *m += (g - *m) * h.one_minus_b1;
        *u = (h.b2 * *u).max(g.abs());
        *p -= (lr * *m) / (correction * (*u + h.eps));
    }
}

/// Nadam: m, s as Adam; m̂ = u_{t+1}·m/(1 − P_t·u_{t+1}) + (1 − u_t)·g/(1 − P_t);
/// ŝ = s/(1 − β2^t); θ ← θ − (m̂·η)/(sqrt(ŝ) + ε). `u_product` is P_t = u_1·…·u_t.
#[allow(clippy::too_many_arguments)]
pub fn nadam(
    lr: f32,
    h: Hyper,
    t: u64,
    u_product: f32,
    param: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    s: &mut [f32],
) {
    let u_t = nadam_u(h.b1, t);
    let u_next = nadam_u(h.b1, t + 1);
    let u_product_next = u_product * u_next;
    let b2_power = power(h.b2, t);
    for (((p, &g), m), s) in param
        .iter_mut()
        .zip(grad)
        .zip(m.iter_mut())
        .zip(s.iter_mut())
    {
        *m += (g - *m) * (1.0 - h.b1);
        *s += (g * g - *s) * (1.0 - h.b2);
        let m_hat = u_next * *m / (1.0 - u_product_next) + (1.0 - u_t) * g / (1.0 - u_product);
        let s_hat = *s / (1.0 - b2_power);
        *p -= (m_hat * lr) / (s_hat.sqrt() + h.eps);
    }
}

/// AdamW's decoupled weight decay, applied before the Adam step: θ ← θ − θ·λ·η.
pub fn decay(lr: f32, weight_decay: f32, param: &mut [f32]) {
    for p in param.iter_mut() {
        *p -= *p * weight_decay * lr;
    }
}
