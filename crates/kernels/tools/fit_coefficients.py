"""Fits the polynomial coefficients of crates/kernels/src/tanh.rs and erf.rs (version 2's vectorized
tanh and erf): weighted least squares iterated toward minimax (Lawson's algorithm) on the relative
error of the function, in f64 on Chebyshev nodes, printed rounded to f32 (as the Rust files hold them).
Run: python3 crates/kernels/tools/fit_coefficients.py (needs numpy). The kernels' measured error in
ulps (tests/it/kernels_special.rs) is what counts; the fit's own error printed here is far below an ulp.
"""
import numpy as np, math
def lawson(xs, basis, target, weight, iters=60):
    A = np.array([[b(x) for b in basis] for x in xs])
    t = np.array([target(x) for x in xs]); w = np.array([weight(x) for x in xs])
    lw = np.ones(len(xs))/len(xs)
    for _ in range(iters):
        W = np.sqrt(lw)*w
        c, *_ = np.linalg.lstsq(A*W[:,None], t*W, rcond=None)
        err = np.abs((A@c - t)*w)
        lw = lw*err; lw /= lw.sum()
    return c, err.max()
# erf small: erf(x) = x + x*P(x^2), |x| < 0.875; relative error weight x/erf(x)
N=4000
xs = 0.875*np.cos(np.pi*(np.arange(N)+0.5)/(2*N))  # (0, 0.875]
deg=6
basis=[(lambda k:(lambda x: x**(2*k)))(k) for k in range(deg)]
c,e = lawson(xs, basis, lambda x: math.erf(x)/x - 1, lambda x: x/math.erf(x))
print("erf small", [repr(np.float32(v)) for v in c], e)
# erf large: erf = 1 - exp(-Q(a)), Q = a + a*R(a), a in [0.875, 4]
xs = 0.875 + (4-0.875)*(1+np.cos(np.pi*(np.arange(N)+0.5)/N))/2
deg=7
basis=[(lambda k:(lambda x: x**k))(k) for k in range(deg)]
c2,e2 = lawson(xs, basis, lambda a: -math.log(math.erfc(a))/a - 1, lambda a: a*math.erfc(a)/math.erf(a))
print("erf large", [repr(np.float32(v)) for v in c2], e2)
# tanh small: tanh(x) = x + x*x2*P(x2), |x|<0.625
xs = 0.625*np.cos(np.pi*(np.arange(N)+0.5)/(2*N))
deg=5
basis=[(lambda k:(lambda x: x**(2*k)))(k) for k in range(deg)]
c3,e3 = lawson(xs, basis, lambda x: (math.tanh(x)/x - 1)/(x*x), lambda x: x*x*x/math.tanh(x))
print("tanh small", [repr(np.float32(v)) for v in c3], e3)
