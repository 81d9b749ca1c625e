"""Reference values for trainbench's inference functions (src/report/inference/), computed with
scipy and statsmodels on fixed inputs, written to scipy_inference.json and read by
tests/it/inference_reference.rs.

Every sample is a list of paired differences stored as integers in millionths ("micro": 1250 is
0.00125, a difference of 0.125 accuracy points) or the strings "inf" / "-inf" (a diverged run:
+∞ loss ranks worst). Both sides turn k into k / 1e6, one correctly rounded division, so Rust and
Python hold the same doubles (a JSON float can be parsed one ulp off). Non-finite results are
written as the strings "inf", "-inf" and "nan".

What each section holds, and which scipy/statsmodels call made it:
- distributions: scipy.stats norm, t and nct (cdf, sf, ppf) on a grid;
- t_test: scipy.stats.ttest_1samp(d, 0, alternative) and its confidence_interval(1 - alpha);
- tost: statsmodels.stats.weightstats.ttost_paired(d, 0, low, high);
- power / mde / seeds_for_power: statsmodels.stats.power.TTestPower (power; the effect size that
  gives 80% power, by brentq on TTestPower.power to 1e-14; the smallest integer n with power ≥
  0.8, by stepping n, checked against ceil(TTestPower.solve_power));
- wilcoxon: scipy.stats.wilcoxon(d, zero_method, correction, alternative, method); method
  "auto" is scipy's rule (see the Rust docs); "exact_conditional" is the p-value over all 2^n
  sign flips of the observed midranks, by numpy brute force for n ≤ 20 (checked in the script
  against scipy's stats.PermutationMethod, which enumerates them too, for n ≤ 13);
- hodges_lehmann: the median of the n(n+1)/2 Walsh averages (numpy), and the distribution-free
  interval from their order statistics with k from scipy's exact null distribution of the
  signed-rank statistic (scipy.stats._hypotests._get_wilcoxon_distr);
- bca: scipy.stats.bootstrap(method='BCa') given a bootstrap distribution that both sides can
  draw (a splitmix64 stream, below), so the interval, z0 and the acceleration compare exactly;
  and scipy's own resampling with many resamples (compared within Monte Carlo error);
- multiple: statsmodels.stats.multitest.multipletests, methods 'holm' and 'fdr_bh';
- wilson / newcombe: statsmodels proportion_confint(method='wilson') and
  confint_proportions_2indep(method='newcomb', compare='diff');
- fisher: scipy.stats.fisher_exact (two-sided);
- spending / boundaries: Lan–DeMets O'Brien–Fleming spending 2 − 2Φ(z_{α/2}/√t), and
  two-sided group-sequential boundaries found by brentq on rectangle probabilities from
  scipy.stats.multivariate_normal.cdf (Genz), Corr(Z_i, Z_j) = √(t_i/t_j);
- rliable: IQM (scipy.stats.trim_mean(x, 0.25) over all runs and tasks) and P(X > Y) (the
  Mann–Whitney U over n·m per task, averaged over tasks; scipy.stats.mannwhitneyu), with
  stratified-bootstrap percentile intervals from numpy resampling (compared within Monte Carlo
  error).

Regenerate from the repository root (see README.md here):
    /tmp/senv/bin/python tests/reference/scipy_inference.py
"""

import math
import os
import sys
import warnings

import numpy as np
import scipy
import statsmodels
from scipy import optimize, stats
from scipy.stats._hypotests import _get_wilcoxon_distr
from statsmodels.stats import multitest, power as smpower, proportion, weightstats
from statsmodels.tools.sm_exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_output import write  # noqa: E402

MASK64 = (1 << 64) - 1


def num(x):
    """A float for the JSON: non-finite values as strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def value(k):
    """A stored sample entry as the double both sides use."""
    if k == "inf":
        return math.inf
    if k == "-inf":
        return -math.inf
    return k / 1e6


def micro(xs):
    return [int(round(x)) for x in xs]


# ---------------------------------------------------------------- samples
rng = np.random.default_rng(20261211)
SAMPLES = {}
for n in (3, 5, 10, 20, 30, 60):
    SAMPLES[f"normal_n{n}"] = micro(rng.normal(3000.0, 5000.0, n))
for n in (10, 20):
    SAMPLES[f"skewed_n{n}"] = micro((np.exp(rng.normal(0.0, 1.0, n)) - 1.2) * 4000.0)
# Accuracy on 10,000 test images moves in steps of 1e-4 (100 millionths): ties are the rule.
SAMPLES["tied_n10"] = [100 * k for k in (3, -2, 5, 3, 7, -2, 3, 12, 5, -1)]
SAMPLES["tied_n20"] = [100 * k for k in (4, -3, 4, 9, 1, -1, 2, 4, 6, -3, 1, 8, 2, 2, -5, 7, 3, 1, 4, 10)]
SAMPLES["zeros_n10"] = [100 * k for k in (0, 4, -1, 6, 0, 3, 8, -2, 5, 1)]
SAMPLES["zeros_n20"] = [100 * k for k in (2, 0, 5, -3, 0, 4, 7, 2, 0, -1, 6, 3, 3, -2, 9, 1, 4, 0, 2, 5)]
# Loss differences (baseline − cell) with diverged runs: "inf" = the baseline diverged on that
# seed, "-inf" = the cell did.
SAMPLES["diverged_n10"] = [21000, "inf", -4000, 13000, 8000, "inf", 30000, -2000, "-inf", 17000]
SAMPLES["diverged_n5"] = ["inf", "inf", 5000, "inf", -1000]
FINITE = [k for k, v in SAMPLES.items() if all(isinstance(x, int) for x in v)]


def sample(name):
    return np.array([value(k) for k in SAMPLES[name]], dtype=np.float64)


# ---------------------------------------------------------------- distributions
def distributions():
    ps = [1e-10, 1e-4, 0.0005, 0.005, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.995, 0.9995]
    normal = [{"p": p, "ppf": num(stats.norm.ppf(p))} for p in ps]
    normal += [{"x": x, "cdf": num(stats.norm.cdf(x)), "sf": num(stats.norm.sf(x))}
               for x in (-8.0, -3.5, -1.96, -0.3, 0.0, 0.7, 1.96, 4.0, 9.0)]
    t = []
    for df in (1, 2, 4, 9, 19, 29, 59, 200):
        for p in ps[1:]:
            t.append({"df": df, "p": p, "ppf": num(stats.t.ppf(p, df))})
        for x in (-12.0, -2.3, -0.4, 0.0, 0.9, 2.1, 5.0, 30.0):
            t.append({"df": df, "x": x, "cdf": num(stats.t.cdf(x, df)), "sf": num(stats.t.sf(x, df))})
    nct = []
    for df in (2, 4, 9, 19, 29, 59):
        for nc in (-1.5, 0.0, 0.8, 2.5, 4.0, 7.5):
            for x in (-3.0, -0.5, 0.0, 1.2, 2.26, 4.1, 9.0):
                nct.append({"df": df, "nc": nc, "x": x,
                            "cdf": num(stats.nct.cdf(x, df, nc)), "sf": num(stats.nct.sf(x, df, nc))})
    signed_rank = []
    for n in (1, 5, 10, 30):
        pmf = _get_wilcoxon_distr(n)
        signed_rank.append({"n": n, "cdf": [num(c) for c in np.cumsum(pmf)]})
    return {"normal": normal, "t": t, "nct": nct, "signed_rank": signed_rank}


# ---------------------------------------------------------------- paired t, TOST
ALTERNATIVES = ("two-sided", "greater", "less")


def t_tests():
    out = []
    for name in FINITE:
        d = sample(name)
        for alpha in (0.05, 0.1):
            for alt in ALTERNATIVES:
                r = stats.ttest_1samp(d, 0.0, alternative=alt)
                ci = r.confidence_interval(confidence_level=1 - alpha)
                out.append({"sample": name, "alpha": alpha, "alternative": alt,
                            "mean": num(d.mean()), "sd": num(d.std(ddof=1)),
                            "t": num(r.statistic), "df": num(r.df), "p": num(r.pvalue),
                            "ci_low": num(ci.low), "ci_high": num(ci.high)})
    return out


def tosts():
    out = []
    for name in FINITE:
        d = sample(name)
        for low, high in ((-0.003, 0.003), (-0.001, 0.005), (0.005, 0.025)):
            for alpha in (0.05,):
                p, lower, upper = weightstats.ttost_paired(d, np.zeros_like(d), low, high)
                out.append({"sample": name, "low": low, "high": high, "alpha": alpha,
                            "p": num(p), "t_low": num(lower[0]), "p_low": num(lower[1]),
                            "t_high": num(upper[0]), "p_high": num(upper[1])})
    return out


# ---------------------------------------------------------------- power
SM_ALT = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


def power_tables():
    # solve_power warns where it fails (answers of 2 or 3 seeds); the asserts below handle it.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    tp = smpower.TTestPower()
    powers = []
    for alt in ALTERNATIVES:
        for n in (2, 3, 5, 10, 20, 30, 100):
            for d in (0.1, 0.3, 0.5, 0.8, 1.2, 2.5):
                e = -d if alt == "less" else d
                powers.append({"effect": e, "n": n, "alpha": 0.05, "alternative": alt,
                               "power": num(tp.power(e, n, 0.05, alternative=SM_ALT[alt]))})
        powers.append({"effect": 0.0, "n": 10, "alpha": 0.05, "alternative": alt,
                       "power": num(tp.power(0.0, 10, 0.05, alternative=SM_ALT[alt]))})
    mde = []
    for alt in ("two-sided", "greater"):
        for n in (3, 5, 10, 20, 30, 100):
            for alpha, target in ((0.05, 0.8), (0.05, 0.9), (0.1, 0.8)):
                f = lambda e: tp.power(e, n, alpha, alternative=SM_ALT[alt]) - target
                hi = 0.1
                while f(hi) < 0:
                    hi *= 1.1
                if math.isnan(f(hi)):
                    continue  # scipy's nct (Boost) gives NaN far in the lower tail at tiny df
                e = optimize.brentq(f, hi / 1.1, hi, xtol=1e-14, rtol=1e-14)
                sm = tp.solve_power(nobs=n, alpha=alpha, power=target, alternative=SM_ALT[alt])
                assert abs(sm - e) < 1e-5 * e, (n, alpha, target, sm, e)
                mde.append({"n": n, "alpha": alpha, "power": target, "alternative": alt,
                            "effect": num(e)})
    seeds = []
    for alt in ("two-sided", "greater"):
        for e in (0.2, 0.35, 0.5, 0.8, 1.0, 1.5, 3.0):
            for alpha, target in ((0.05, 0.8), (0.1, 0.8), (0.05, 0.9)):
                n = 2
                while tp.power(e, n, alpha, alternative=SM_ALT[alt]) < target:
                    n += 1
                sm = tp.solve_power(effect_size=e, alpha=alpha, power=target,
                                    alternative=SM_ALT[alt])
                # solve_power fails (NaN) where the answer is 2 or 3 seeds; elsewhere it agrees.
                assert math.isnan(sm) and n <= 3 or math.ceil(sm) == n, (e, alpha, target, sm, n)
                seeds.append({"effect": e, "alpha": alpha, "power": target, "alternative": alt,
                              "n": n})
    return powers, mde, seeds


# ---------------------------------------------------------------- Wilcoxon, Hodges–Lehmann
def sign_flip_p(d, zero_method, alternative):
    """The exact p-value of the signed-rank statistic over all 2^m sign flips of the observed
    (mid)ranks, by brute force (numpy): what scipy's PermutationMethod computes when it can
    enumerate every flip (scipy does so itself under method='auto' for n ≤ 13 with ties or
    zeros), here for n up to 20."""
    keep = d != 0 if zero_method == "wilcox" else np.ones(len(d), dtype=bool)
    ranks = stats.rankdata(np.abs(d[keep]))
    nonzero = d[keep] != 0
    w = np.rint(2 * ranks[nonzero]).astype(np.int64)  # twice the midranks: integers
    observed = int(np.sum(w[d[keep][nonzero] > 0]))
    m = len(w)
    flips = (np.arange(2 ** m, dtype=np.int64)[:, None] >> np.arange(m)) & 1
    null = flips @ w
    less = np.count_nonzero(null <= observed) / 2 ** m
    greater = np.count_nonzero(null >= observed) / 2 ** m
    return {"two-sided": min(1.0, 2 * min(less, greater)), "greater": greater, "less": less}[
        alternative]


def wilcoxons():
    out = []
    for name in SAMPLES:
        d = sample(name)
        n = len(d)
        cases = []
        for zm in ("wilcox", "pratt"):
            for alt in ALTERNATIVES:
                cases.append((zm, alt, "auto", False))
            cases.append((zm, "two-sided", "asymptotic", False))
            cases.append((zm, "greater", "asymptotic", True))
            if n <= 20:
                cases.append((zm, "two-sided", "exact_conditional", False))
                cases.append((zm, "less", "exact_conditional", False))
        for zm, alt, method, correction in cases:
            if method == "exact_conditional":
                r = stats.wilcoxon(d, zero_method=zm, alternative=alt, method="asymptotic")
                p = sign_flip_p(d, zm, alt)
                if n <= 13:  # scipy enumerates every flip itself: the two must agree
                    scipy_p = stats.wilcoxon(d, zero_method=zm, alternative=alt, method=(
                        stats.PermutationMethod(n_resamples=2 ** n))).pvalue
                    assert abs(scipy_p - p) <= 1e-12 * p, (name, zm, alt, scipy_p, p)
                out.append({"sample": name, "zero_method": zm, "alternative": alt,
                            "method": method, "correction": False,
                            "statistic": num(r.statistic), "p": num(p), "z": None})
                continue
            r = stats.wilcoxon(d, zero_method=zm, correction=correction, alternative=alt,
                               method=method)
            z = getattr(r, "zstatistic", None)
            out.append({"sample": name, "zero_method": zm, "alternative": alt,
                        "method": method, "correction": correction,
                        "statistic": num(r.statistic), "p": num(r.pvalue),
                        "z": None if z is None else num(z)})
    return out


def walsh_average(a, b):
    """(a + b) / 2, with +∞ and −∞ averaging to 0 (they tie in rank and cancel)."""
    if math.isinf(a) and math.isinf(b) and a != b:
        return 0.0
    return (a + b) / 2


def hodges_lehmann():
    out = []
    for name in SAMPLES:
        d = [value(k) for k in SAMPLES[name]]
        n = len(d)
        w = sorted(walsh_average(d[i], d[j]) for i in range(n) for j in range(i, n))
        m = len(w)
        est = w[m // 2] if m % 2 == 1 else (w[m // 2 - 1] + w[m // 2]) / 2
        cdf = np.cumsum(_get_wilcoxon_distr(n))
        for alpha in (0.05, 0.1):
            # k = the number of Walsh averages cut from each end: the largest k with
            # P(T ≤ k − 1) ≤ α/2 (T the signed-rank statistic under H0).
            k = 0
            while k + 1 <= m and cdf[k] <= alpha / 2:
                k += 1
            if k == 0:
                low, high, level = -math.inf, math.inf, 1.0
            else:
                low, high, level = w[k - 1], w[m - k], 1 - 2 * cdf[k - 1]
            out.append({"sample": name, "alpha": alpha, "estimate": num(est), "k": k,
                        "ci_low": num(low), "ci_high": num(high), "level": num(level)})
    return out


# ---------------------------------------------------------------- BCa
def splitmix_indices(seed, resamples, n):
    """The resampling both sides can draw: splitmix64 words, index = (word · n) >> 64."""
    state = seed & MASK64
    for _ in range(resamples):
        row = []
        for _ in range(n):
            state = (state + 0x9E3779B97F4A7C15) & MASK64
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            z ^= z >> 31
            row.append((z * n) >> 64)
        yield row


def sequential_mean(xs):
    s = 0.0
    for x in xs:
        s += x
    return s / len(xs)


def sequential_mean_axis(x, axis=-1):
    """The mean summed left to right (numpy's is pairwise), vectorized for scipy.stats.bootstrap:
    the statistic trainbench computes, to the bit, so that replicates equal to θ̂ (a resample that
    permutes the data) compare the same way on both sides."""
    x = np.moveaxis(np.asarray(x), axis, -1)
    s = np.zeros(x.shape[:-1])
    for i in range(x.shape[-1]):
        s = s + x[..., i]
    return s / x.shape[-1]


def bca():
    given = []
    for name, seed, resamples in (("normal_n10", 7, 2000), ("skewed_n10", 8, 2000),
                                  ("skewed_n20", 9, 3000), ("tied_n20", 10, 2000),
                                  ("normal_n5", 11, 1000), ("normal_n30", 12, 2000)):
        d = sample(name)
        theta_hat = sequential_mean(list(d))
        reps = np.array([sequential_mean([d[i] for i in row])
                         for row in splitmix_indices(seed, resamples, len(d))])
        for alpha in (0.05, 0.1):
            class Given:
                bootstrap_distribution = reps
            r = stats.bootstrap((d,), sequential_mean_axis, n_resamples=0,
                                bootstrap_result=Given, method="BCa", confidence_level=1 - alpha)
            _, _, a_hat = stats._resampling._bca_interval(
                (d,), sequential_mean_axis, axis=-1, alpha=alpha / 2,
                theta_hat_b=reps[np.newaxis, :], batch=None, xp=np)
            pct = (np.count_nonzero(reps < theta_hat) + np.count_nonzero(reps <= theta_hat)) / (
                2 * len(reps))
            given.append({"sample": name, "seed": seed, "resamples": resamples, "alpha": alpha,
                          "z0": num(stats.norm.ppf(pct)), "acceleration": num(np.ravel(a_hat)[0]),
                          "ci_low": num(r.confidence_interval.low),
                          "ci_high": num(r.confidence_interval.high)})
    sampled = []
    for name in ("normal_n10", "skewed_n10", "skewed_n20", "normal_n30"):
        d = sample(name)
        r = stats.bootstrap((d,), np.mean, n_resamples=200_000, method="BCa",
                            confidence_level=0.95, rng=np.random.default_rng(3))
        sampled.append({"sample": name, "alpha": 0.05, "resamples": 200_000,
                        "ci_low": num(r.confidence_interval.low),
                        "ci_high": num(r.confidence_interval.high),
                        "bootstrap_sd": num(r.standard_error)})
    return given, sampled


# ---------------------------------------------------------------- multiple testing
def multiple():
    lists = [
        [0.01, 0.04, 0.03, 0.2],
        [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205],
        [0.02, 0.02, 0.02],
        [0.3],
        [0.5, 1.0, 0.0001, 0.049, 0.051, 0.9, 0.012],
        [0.0, 0.04, 0.6],
    ]
    return [{"p": p, "holm": [num(x) for x in multitest.multipletests(p, method="holm")[1]],
             "bh": [num(x) for x in multitest.multipletests(p, method="fdr_bh")[1]]}
            for p in lists]


# ---------------------------------------------------------------- proportions
def proportions():
    wilson = []
    for count, n in ((0, 10), (1, 10), (3, 10), (9, 10), (10, 10), (9, 30), (0, 30), (1, 1)):
        for alpha in (0.05, 0.1):
            low, high = proportion.proportion_confint(count, n, alpha=alpha, method="wilson")
            wilson.append({"count": count, "n": n, "alpha": alpha, "low": num(low),
                           "high": num(high)})
    pairs = ((0, 10, 9, 10), (3, 10, 1, 10), (0, 10, 0, 10), (10, 10, 0, 10), (5, 30, 12, 30),
             (2, 20, 7, 30), (1, 10, 1, 10), (6, 10, 5, 10), (29, 30, 30, 30))
    newcombe = []
    for c1, n1, c2, n2 in pairs:
        for alpha in (0.05, 0.1):
            low, high = proportion.confint_proportions_2indep(
                c1, n1, c2, n2, method="newcomb", compare="diff", alpha=alpha)
            newcombe.append({"count1": c1, "n1": n1, "count2": c2, "n2": n2, "alpha": alpha,
                             "diff": num(c1 / n1 - c2 / n2), "low": num(low), "high": num(high)})
    fisher = []
    for c1, n1, c2, n2 in pairs + ((9, 10, 1, 10), (12, 40, 3, 40), (4, 7, 0, 5)):
        r = stats.fisher_exact([[c1, n1 - c1], [c2, n2 - c2]])
        fisher.append({"count1": c1, "n1": n1, "count2": c2, "n2": n2,
                       "odds_ratio": num(r.statistic), "p": num(r.pvalue)})
    return wilson, newcombe, fisher


# ---------------------------------------------------------------- sequential
def spent(t, alpha):
    return 2.0 * stats.norm.sf(stats.norm.isf(alpha / 2.0) / math.sqrt(t))


def inside(c, ts):
    """P(|Z_1| < c_1, …, |Z_k| < c_k) under H0, Corr(Z_i, Z_j) = √(t_i / t_j) for i ≤ j."""
    k = len(c)
    cov = np.array([[math.sqrt(min(ts[i], ts[j]) / max(ts[i], ts[j])) for j in range(k)]
                    for i in range(k)])
    c = np.array(c)
    if k == 1:
        return 1.0 - 2.0 * stats.norm.sf(c[0])
    return stats.multivariate_normal.cdf(c, mean=np.zeros(k), cov=cov, lower_limit=-c,
                                         abseps=1e-12, releps=1e-12, maxpts=20_000_000,
                                         rng=np.random.default_rng(0))


def boundaries(looks, alpha):
    ts = [n / looks[-1] for n in looks]
    c = []
    for k in range(len(looks)):
        target_inside = 1.0 - spent(ts[k], alpha)  # P(no crossing by look k)
        if k == 0:
            c.append(stats.norm.isf(spent(ts[0], alpha) / 2.0))
            continue
        f = lambda x: inside(c + [x], ts[: k + 1]) - target_inside
        c.append(optimize.brentq(f, 0.5, 10.0, xtol=1e-10))
    return {"looks": looks, "alpha": alpha, "t": ts, "z": [num(x) for x in c],
            "spent": [num(spent(t, alpha)) for t in ts],
            "nominal_p": [num(2.0 * stats.norm.sf(x)) for x in c]}


def sequential():
    spending = [{"t": t, "alpha": a, "spent": num(spent(t, a))}
                for a in (0.05, 0.1, 0.01) for t in (0.1, 1 / 3, 0.5, 2 / 3, 0.9, 1.0)]
    # Three looks take scipy's integration ~2 minutes each at this precision (four would take
    # ~6), so the designs are the 10/20/30 at two levels and a two-look one.
    bounds = [boundaries([10, 20, 30], 0.05), boundaries([10, 20, 30], 0.1),
              boundaries([10, 30], 0.05)]
    return spending, bounds


# ---------------------------------------------------------------- rliable
def rliable():
    r = np.random.default_rng(99)
    # scores[task][run]: 3 tasks, 10 runs (Y) and 8 runs (X), with ties and a skewed task.
    x = [list(np.round(r.normal(0.88, 0.01, 8), 3)), list(np.round(r.normal(0.6, 0.05, 8), 2)),
         list(np.round(np.exp(r.normal(0, 1, 8)), 2))]
    y = [list(np.round(r.normal(0.875, 0.01, 10), 3)), list(np.round(r.normal(0.58, 0.05, 10), 2)),
         list(np.round(np.exp(r.normal(-0.2, 1, 10)), 2))]
    # Those are decimal strings' doubles; stored as millionths like the samples.
    x = [micro(np.array(t) * 1e6) for t in x]
    y = [micro(np.array(t) * 1e6) for t in y]
    xv = [np.array([value(k) for k in t]) for t in x]
    yv = [np.array([value(k) for k in t]) for t in y]

    def iqm(tasks):
        return stats.trim_mean(np.concatenate(tasks), 0.25, axis=None)

    def poi(xs, ys):
        return np.mean([stats.mannwhitneyu(a, b).statistic / (len(a) * len(b))
                        for a, b in zip(xs, ys)])

    reps = 20_000
    g = np.random.default_rng(5)
    iqms = np.empty(reps)
    pois = np.empty(reps)
    for b in range(reps):
        xb = [t[g.integers(0, len(t), len(t))] for t in xv]
        yb = [t[g.integers(0, len(t), len(t))] for t in yv]
        iqms[b] = iqm(xb)
        # P(X > Y) by counting, as mannwhitneyu's U (a tie counts one half), vectorized.
        pois[b] = np.mean([(np.sum(a[:, None] > c[None, :]) + 0.5 * np.sum(a[:, None] == c[None, :]))
                           / (len(a) * len(c)) for a, c in zip(xb, yb)])
    return {"x": x, "y": y, "iqm_x": num(iqm(xv)), "iqm_y": num(iqm(yv)),
            "prob_improvement": num(poi(xv, yv)), "resamples": reps, "alpha": 0.05,
            "iqm_x_ci": [num(np.percentile(iqms, 2.5)), num(np.percentile(iqms, 97.5))],
            "iqm_x_bootstrap_sd": num(iqms.std(ddof=1)),
            "prob_improvement_ci": [num(np.percentile(pois, 2.5)), num(np.percentile(pois, 97.5))],
            "prob_improvement_bootstrap_sd": num(pois.std(ddof=1))}


def main():
    powers, mde, seeds = power_tables()
    given, sampled = bca()
    wilson, newcombe, fisher = proportions()
    spending, bounds = sequential()
    doc = {
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
        "samples": SAMPLES,
        "distributions": distributions(),
        "t_test": t_tests(),
        "tost": tosts(),
        "power": powers,
        "mde": mde,
        "seeds_for_power": seeds,
        "wilcoxon": wilcoxons(),
        "hodges_lehmann": hodges_lehmann(),
        "bca_given": given,
        "bca_sampled": sampled,
        "multiple": multiple(),
        "wilson": wilson,
        "newcombe": newcombe,
        "fisher": fisher,
        "spending": spending,
        "boundaries": bounds,
        "rliable": rliable(),
    }
    write(doc, "scipy_inference.json")


if __name__ == "__main__":
    main()
