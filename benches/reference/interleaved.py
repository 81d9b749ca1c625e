"""trainbench against PyTorch, interleaved, on a machine that may be noisy (issue 16, items 4-5).

Row by row, runs trainbench's criterion row and PyTorch's twin alternately for --pairs pairs
(default 7), the order alternating within pairs (pair 1 trainbench first, pair 2 PyTorch first,
...), so that a slow drift of the machine weighs on both sides alike. Before and after each
half it reads /proc/stat, and records per half the seconds the machine's CPUs spent in each
state (user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice), the steal
share (steal / all states) and the others' share (busy time not spent by the half's own
process tree, from getrusage, / all states): what a hypervisor or other processes took.

A pair is *disturbed* when either half's steal share exceeds --max-steal (default 0.05) or its
others' share exceeds --max-others (default 0.10, i.e. a tenth of the machine busy with something
else). Disturbed pairs are dropped from the statistics (still listed, with the reason), unless
--keep-disturbed; when every pair of a row is disturbed, the statistics use all of them and the
row says so.

Per row it prints and writes: each pair's ratio trainbench / PyTorch (per second; above 1:
trainbench is faster), the median ratio over the pairs kept, its min-max and interquartile
range, and the distribution-free order-statistic interval of the median (the pair ranks
[k, n+1-k] with the largest k whose binomial coverage is at least 95%, with that coverage; none
below 6 pairs); plus the raw figures of every half. Train-step rows also get GFLOP/s on both
sides and the % of the machine's peak, the peak being the best GFLOP/s of the `peak/sgemm_2048`
rows (trainbench's kernels::sgemm and PyTorch's torch.mm, 2048 x 2048 x 2048 on the benches'
threads) over their kept halves; the FLOPs per step are those `bench_main --flops` prints
(trainbench::train::device_check::step_flops: the products of forward and backward, without
the first layer's input gradient, element-wise work not counted).

Each side's half, per row:
  - trainbench: the prebuilt criterion binary (target/release/deps/bench_main-*, built by
    `cargo bench --bench bench_main --no-run`) with `--bench --exact ROW` and short criterion
    settings, its results in a fresh CRITERION_HOME; the figure is criterion's median time per
    iteration (flat sampling: every sample the same number of iterations). This times the very
    code `cargo bench` times, under numerics version 2, for the price of the binary's start
    (well under a second); a separate timing harness would have to be kept equal to the bench.
  - PyTorch: pytorch_bench.py --only '^ROW$' (the Adam rows: all three of PyTorch's Adam
    variants, the fastest counting, as in compare.py) with the same warm-up and the same number
    of windows of the same total length; the figure is the median window.

With --study it also compares a whole study, interleaved the same way: trainbench `study` of the
optimizers study's SGD cell (numerics version 2, --jobs 2: two single-threaded runs at a time)
against benches/reference/pytorch_study.py (the same runs as a plain PyTorch loop, 2 processes
of 1 thread), --study-runs runs of --study-epochs epochs each on the real Fashion-MNIST, in
runs/hour of wall time: trainbench's whole command (its data read and report included),
PyTorch's training only (from its workers' start; not the start of Python and torch nor the data
read, which favours PyTorch, more so the shorter the runs).

Writes OUT.json and OUT.md (default benches/reference/runs/<UTC date-time>-interleaved);
--render OUT.json rewrites OUT.md from the JSON alone.

Usage (from the repository root, after `cargo bench --bench bench_main --no-run` and
`cargo build --release`):
  python3 benches/reference/interleaved.py [--pairs 7] [--rows REGEX] [--study] [--out PREFIX]
See --help for the rest.
"""

import argparse
import datetime
import glob
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  (the criterion and PyTorch JSON readers)

REPO_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
GENERATOR = "benches/reference/interleaved.py"
CPU_STATES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice")
PEAK_ROW = "peak/sgemm_2048"
DEFAULT_ROWS = r"^(train_step|peak)/"
STUDY_TRAIN_IMAGES = 55_000
COVERAGE = 0.95

# The study-level comparison: the optimizers study's SGD cell, under numerics version 2.
STUDY_TOML = """\
# Written by benches/reference/interleaved.py: studies/optimizers.toml's sgd cell (as
# benches/reference/pytorch_study.py trains it), under numerics version 2.
description = "The optimizers study's SGD cell (interleaved.py's study-level comparison)"
seeds = {seeds}
baseline = {{ optimizer = "sgd" }}

[base]
numerics = 2
epochs = {epochs}
batch_size = 32{subset}
optimizer = "sgd"

[base.model]
hidden = [300, 100]
activation = "relu"
initializer = "he_normal"

[grid]
optimizer = ["sgd"]
"""


# --------------------------------------------------------------------------------------------
# The machine


def cpu_times():
    """The machine's CPU time per state since boot, in clock ticks (/proc/stat's "cpu" line)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                values = [int(v) for v in line.split()[1:]]
                values += [0] * (len(CPU_STATES) - len(values))
                return dict(zip(CPU_STATES, values))
    raise RuntimeError("/proc/stat has no 'cpu' line")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_half(command, env=None, cwd=REPO_ROOT):
    """Runs one half (a command) and returns (completed process, load record): wall seconds, the
    machine's CPU seconds per state over the half, the process tree's own CPU seconds, the steal
    and others' shares. Guest time is already inside user time in /proc/stat, so it is not
    added to the total twice."""
    hz = os.sysconf("SC_CLK_TCK")
    before, own_before, t0 = cpu_times(), children_cpu_seconds(), time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after, own = cpu_times(), children_cpu_seconds() - own_before
    seconds = {state: (after[state] - before[state]) / hz for state in CPU_STATES}
    total = sum(v for k, v in seconds.items() if k not in ("guest", "guest_nice"))
    busy = total - seconds["idle"] - seconds["iowait"] - seconds["steal"]
    load = {
        "wall_seconds": wall,
        "cpu_seconds": seconds,
        "own_cpu_seconds": own,
        "steal_share": seconds["steal"] / total if total > 0 else 0.0,
        "others_share": max(0.0, busy - own) / total if total > 0 else 0.0,
        "load_average_after": os.getloadavg()[0],
    }
    return proc, load


def disturbance(load, settings):
    """Why a half is disturbed, or None."""
    reasons = []
    if load["steal_share"] > settings.max_steal:
        reasons.append(f"steal {100 * load['steal_share']:.1f}% > {100 * settings.max_steal:.0f}%")
    if load["others_share"] > settings.max_others:
        reasons.append(f"others {100 * load['others_share']:.1f}% > {100 * settings.max_others:.0f}%")
    return "; ".join(reasons) or None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------------------------
# Statistics


def quantile(sorted_values, q):
    """Linear interpolation between order statistics (numpy's default)."""
    if not sorted_values:
        return None
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def median_interval(sorted_values, coverage=COVERAGE):
    """The distribution-free interval of the median [x_(k), x_(n+1-k)] (1-based ranks) with the
    largest k whose coverage 1 - 2 P(Binomial(n, 1/2) < k) is at least `coverage`, as
    (low, high, achieved coverage, k); None when even k = 1 falls short (n < 6 at 95%)."""
    n = len(sorted_values)
    best = None
    for k in range(1, n // 2 + 1):
        tail = sum(math.comb(n, i) for i in range(k)) / 2**n
        achieved = 1 - 2 * tail
        if achieved >= coverage:
            best = (sorted_values[k - 1], sorted_values[n - k], achieved, k)
        else:
            break
    return best


def summary(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    interval = median_interval(values)
    return {
        "n": len(values),
        "median": statistics.median(values),
        "min": values[0],
        "max": values[-1],
        "q1": quantile(values, 0.25),
        "q3": quantile(values, 0.75),
        "median_interval": None
        if interval is None
        else {"low": interval[0], "high": interval[1], "coverage": interval[2], "rank": interval[3]},
    }


# --------------------------------------------------------------------------------------------
# The two sides of a row


def find_bench_binary(explicit):
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO_ROOT, "target")
    found = [
        p
        for p in glob.glob(os.path.join(target, "release", "deps", "bench_main-*"))
        if os.access(p, os.X_OK) and not p.endswith(".d")
    ]
    if not found:
        sys.exit(f"interleaved.py: no bench_main binary under {target}/release/deps: run `cargo bench --bench bench_main --no-run`")
    return max(found, key=os.path.getmtime)


def trainbench_half(row, settings):
    home = tempfile.mkdtemp(prefix="interleaved-criterion-")
    try:
        command = [
            settings.bench_bin,
            "--bench",
            "--exact",
            row,
            "--warm-up-time",
            str(settings.warmup),
            "--measurement-time",
            str(settings.measure),
            "--sample-size",
            str(settings.samples),
        ]
        env = dict(os.environ, CRITERION_HOME=home)
        proc, load = timed_half(command, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        found = compare.load_criterion(home)
        group, row_id = row.split("/", 1)
        result = found.get((group, row_id))
        if result is None:
            raise RuntimeError(f"criterion recorded no {row} (found {sorted(found)}): is the row id right?")
        seconds = result["ns"] * 1e-9
        figure = {
            "seconds_per_iter": seconds,
            "units_per_iter": result["elements"],
            "per_second": result["elements"] / seconds if result["elements"] else None,
        }
        return figure, load
    finally:
        shutil.rmtree(home, ignore_errors=True)


def pytorch_half(row, settings):
    group, row_id = row.split("/", 1)
    pattern = "^" + re.escape(row) + "$"
    if group == "train_step" and row_id.split("/")[1] == "adam":
        net, _, batch = row_id.split("/")
        pattern = "^" + re.escape(f"train_step/{net}/") + "adam(_foreach|_fused)?" + re.escape(f"/{batch}") + "$"
    with tempfile.NamedTemporaryFile(prefix="interleaved-pytorch-", suffix=".json", delete=False) as f:
        out = f.name
    try:
        command = [
            settings.python,
            os.path.join(HERE, "pytorch_bench.py"),
            out,
            "--only",
            pattern,
            "--threads",
            str(settings.threads),
            "--warmup-seconds",
            str(settings.warmup),
            "--windows",
            str(settings.samples),
            "--window-seconds",
            str(settings.measure / settings.samples),
        ]
        proc, load = timed_half(command)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        _, rows, _ = compare.load_pytorch(out)
        result = rows.get((group, row_id))
        if result is None:
            raise RuntimeError(f"pytorch_bench.py timed no {row}:\n{proc.stderr[-2000:]}")
        figure = {
            "seconds_per_iter": result["ms_per_iter"] * 1e-3,
            "units_per_iter": result["units_per_iter"],
            "per_second": result["per_second"],
            "variant": result.get("variant"),
            "variants": result.get("variants"),
        }
        return figure, load
    finally:
        os.unlink(out)


# --------------------------------------------------------------------------------------------
# The study-level comparison


def trainbench_study_half(settings, workdir):
    study = os.path.join(workdir, "sgd_cell.toml")
    with open(study, "w") as f:
        subset = f"\ntrain_subset = {settings.study_train_subset}" if settings.study_train_subset else ""
        f.write(STUDY_TOML.format(seeds=settings.study_runs, epochs=settings.study_epochs, subset=subset))
    results = tempfile.mkdtemp(prefix="results-", dir=workdir)
    command = [settings.trainbench, "study", study, "--results", results, "--jobs", "2", "--no-progress"]
    try:
        proc, load = timed_half(command)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    finally:
        shutil.rmtree(results, ignore_errors=True)
    figure = {"runs": settings.study_runs, "per_second": settings.study_runs / load["wall_seconds"]}
    return figure, load


def pytorch_study_half(settings, workdir):
    out = os.path.join(workdir, "pytorch_study.json")
    command = [
        settings.python,
        os.path.join(HERE, "pytorch_study.py"),
        out,
        "--runs",
        str(settings.study_runs),
        "--epochs",
        str(settings.study_epochs),
        "--processes",
        "2",
        "--threads",
        "1",
    ]
    if settings.study_train_subset:
        command += ["--train-subset", str(settings.study_train_subset)]
    proc, load = timed_half(command)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    with open(out) as f:
        doc = json.load(f)
    # The script's own wall time, from its workers' start to the last run's end: not the start
    # of Python and torch nor the data read, which trainbench's figure (the whole command)
    # includes. That favours PyTorch, more so the shorter the runs.
    figure = {
        "runs": settings.study_runs,
        "per_second": settings.study_runs / doc["wall_seconds"],
        "script_wall_seconds": doc["wall_seconds"],
        "test_acc": [r["test_acc"] for r in doc["runs"]],
    }
    return figure, load


# --------------------------------------------------------------------------------------------
# Pairs


def run_pairs(name, trainbench_side, pytorch_side, settings):
    """Runs the pairs of one comparison; returns its record."""
    pairs = []
    for i in range(settings.pairs):
        order = ["trainbench", "pytorch"] if i % 2 == 0 else ["pytorch", "trainbench"]
        halves = {}
        for side in order:
            run = trainbench_side if side == "trainbench" else pytorch_side
            figure, load = run()
            halves[side] = {"figure": figure, "load": load, "disturbed": disturbance(load, settings)}
        a, b = halves["trainbench"]["figure"]["per_second"], halves["pytorch"]["figure"]["per_second"]
        reasons = [f"{side}: {h['disturbed']}" for side, h in halves.items() if h["disturbed"]]
        pair = {
            "pair": i + 1,
            "order": order,
            "ratio": a / b if a and b else None,
            "disturbed": "; ".join(reasons) or None,
            **halves,
        }
        pairs.append(pair)
        print(
            f"  {name} pair {i + 1}/{settings.pairs} ({order[0]} first): ratio {fmt(pair['ratio'], 3)}"
            + (f"  [disturbed: {pair['disturbed']}]" if pair["disturbed"] else ""),
            file=sys.stderr,
        )
    kept = [p for p in pairs if settings.keep_disturbed or not p["disturbed"]]
    note = None
    if not kept:
        note = "every pair was disturbed: the statistics use all of them"
    used = kept or pairs
    return {
        "row": name,
        "pairs": pairs,
        "kept_pairs": [p["pair"] for p in kept],
        "used_pairs": [p["pair"] for p in used],
        "note": note,
        "ratio": summary([p["ratio"] for p in used]),
        "trainbench_per_second": summary([p["trainbench"]["figure"]["per_second"] for p in used]),
        "pytorch_per_second": summary([p["pytorch"]["figure"]["per_second"] for p in used]),
    }


def add_flops(records, flops):
    """GFLOP/s per side (median over the kept pairs) and % of the peak for the train-step rows."""
    peak_record = next((r for r in records if r["row"] == PEAK_ROW), None)
    peak = None
    if peak_record is not None:
        kept = [p for p in peak_record["pairs"] if p["pair"] in peak_record["used_pairs"]]
        best = {}
        for side in ("trainbench", "pytorch"):
            values = [p[side]["figure"]["per_second"] for p in kept if p[side]["figure"]["per_second"]]
            if values:
                best[side] = max(values) / 1e9
        if best:
            side = max(best, key=best.get)
            peak = {"gflops": best[side], "side": side, "best": best}
    for record in records:
        count = flops.get(record["row"])
        if count is None or record["row"] == PEAK_ROW:
            continue
        kept = [p for p in record["pairs"] if p["pair"] in record["used_pairs"]]
        gflops = {}
        for side in ("trainbench", "pytorch"):
            values = [count / p[side]["figure"]["seconds_per_iter"] / 1e9 for p in kept]
            gflops[side] = statistics.median(values) if values else None
        record["flops_per_iter"] = count
        record["gflops"] = gflops
        if peak:
            record["percent_of_peak"] = {
                side: 100 * v / peak["gflops"] if v is not None else None for side, v in gflops.items()
            }
    return peak


def add_study_flops(study, flops, peak, settings):
    """The study's training FLOPs (its steps' products: every training image once per epoch per
    run, at the chapter MLP's FLOPs per sample from `train_step/mlp/sgd/32`; the validation and
    test passes not counted), each side's GFLOP/s over its wall time (median over the pairs
    used) and, with a peak measured in this run, the % of it: how far the whole study is from
    its steps run at the machine's matrix-product peak."""
    per_step = flops.get("train_step/mlp/sgd/32")
    if per_step is None:
        return
    images = settings.study_train_subset or STUDY_TRAIN_IMAGES
    count = per_step / 32 * images * settings.study_epochs * settings.study_runs
    used = [p for p in study["pairs"] if p["pair"] in study["used_pairs"]]
    gflops = {
        side: statistics.median(count / p[side]["load"]["wall_seconds"] / 1e9 for p in used)
        if side == "trainbench"
        else statistics.median(count / p[side]["figure"]["script_wall_seconds"] / 1e9 for p in used)
        for side in ("trainbench", "pytorch")
    }
    study["flops"] = count
    study["gflops"] = gflops
    if peak:
        study["percent_of_peak"] = {side: 100 * v / peak["gflops"] for side, v in gflops.items()}


# --------------------------------------------------------------------------------------------
# Output


def fmt(value, digits=2):
    return "—" if value is None else f"{value:,.{digits}f}"


def spread(s, digits=3):
    if s is None:
        return "—", "—", "—"
    interval = s["median_interval"]
    ci = "—" if interval is None else f"[{interval['low']:.{digits}f}, {interval['high']:.{digits}f}] ({100 * interval['coverage']:.1f}%)"
    return f"{s['min']:.{digits}f}–{s['max']:.{digits}f}", f"{s['q1']:.{digits}f}–{s['q3']:.{digits}f}", ci


def undisturbed(record):
    return sum(1 for p in record["pairs"] if not p["disturbed"])


def markdown(doc):
    lines = []
    m, s = doc["machine"], doc["settings"]
    lines.append(f"# Interleaved comparison, {doc['date']}")
    lines.append("")
    if doc.get("label"):
        lines.append(f"**{doc['label']}**")
        lines.append("")
    lines.append(
        f"Machine: {m['cpu']} ({m['cores']} cores), load average {fmt(m['load_average_1min']['before'])} before, "
        f"{fmt(m['load_average_1min']['after'])} after. trainbench commit {doc['trainbench_commit']}, numerics version 2; "
        f"PyTorch {doc.get('torch', '?')}, {s['threads']} threads both sides."
    )
    lines.append(
        f"{s['pairs']} pairs per row, order alternating; each half {s['warmup']} s warm-up, {s['samples']} samples/windows over "
        f"{s['measure']} s. A pair is disturbed when a half's steal share exceeds {100 * s['max_steal']:.0f}% or other "
        f"processes' share of the CPUs exceeds {100 * s['max_others']:.0f}%; disturbed pairs are "
        + ("kept (flagged)." if s["keep_disturbed"] else "dropped (listed).")
    )
    lines.append("")
    lines.append("Ratio = trainbench / PyTorch per second (above 1: trainbench is faster); median over the pairs used (the undisturbed ones, "
                 "unless every pair was disturbed or --keep-disturbed), "
                 "its range, interquartile range and distribution-free interval (with its coverage).")
    lines.append("")
    peak = doc.get("peak")
    lines.append("| row | undisturbed / pairs | trainbench /s | PyTorch /s | ratio (median) | min–max | IQR | interval of the median | GFLOP/s tb / PT | % of peak tb / PT |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in doc["rows"]:
        rng, iqr, ci = spread(r["ratio"])
        g = r.get("gflops") or {}
        pct = r.get("percent_of_peak") or {}
        if r["row"] == PEAK_ROW and r["trainbench_per_second"] and r["pytorch_per_second"]:
            g = {side: r[f"{side}_per_second"]["median"] / 1e9 for side in ("trainbench", "pytorch")}
        gcell = f"{fmt(g.get('trainbench'), 1)} / {fmt(g.get('pytorch'), 1)}" if g else "—"
        pcell = f"{fmt(pct.get('trainbench'), 0)} / {fmt(pct.get('pytorch'), 0)}" if pct else "—"
        tb = r["trainbench_per_second"]["median"] if r["trainbench_per_second"] else None
        pt = r["pytorch_per_second"]["median"] if r["pytorch_per_second"] else None
        ratio = r["ratio"]["median"] if r["ratio"] else None
        lines.append(
            f"| `{r['row']}` | {undisturbed(r)} / {len(r['pairs'])} | {fmt(tb, 0)} | {fmt(pt, 0)} | "
            f"{fmt(ratio, 3)} | {rng} | {iqr} | {ci} | {gcell} | {pcell} |"
        )
    lines.append("")
    if peak:
        lines.append(
            f"Peak: {peak['gflops']:.1f} GFLOP/s ({peak['side']}'s `{PEAK_ROW}`, the best half used; "
            + ", ".join(f"{k} {v:.1f}" for k, v in peak["best"].items())
            + "). FLOPs per step: the matrix products of forward and backward (`bench_main --flops`)."
        )
        lines.append("")
    study = doc.get("study")
    if study:
        rng, iqr, ci = spread(study["ratio"])
        tb = study["trainbench_per_second"]["median"] * 3600 if study["trainbench_per_second"] else None
        pt = study["pytorch_per_second"]["median"] * 3600 if study["pytorch_per_second"] else None
        lines.append(
            f"Study: {s['study_runs']} runs × {s['study_epochs']} epoch(s) of the optimizers study's SGD cell on the real "
            + (f"Fashion-MNIST (the first {s['study_train_subset']:,} training images only)" if s.get("study_train_subset") else "Fashion-MNIST")
            + "; trainbench `study --jobs 2` (numerics version 2, the whole command) against pytorch_study.py "
            "(2 processes of 1 thread, training only)."
        )
        lines.append("")
        lines.append("| comparison | undisturbed / pairs | trainbench runs/h | PyTorch runs/h | ratio (median) | min–max | IQR | interval of the median |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        lines.append(
            f"| study | {undisturbed(study)} / {len(study['pairs'])} | {fmt(tb, 1)} | {fmt(pt, 1)} | "
            f"{fmt(study['ratio']['median'] if study['ratio'] else None, 3)} | {rng} | {iqr} | {ci} |"
        )
        lines.append("")
        if study.get("gflops"):
            g, pct = study["gflops"], study.get("percent_of_peak") or {}
            lines.append(
                f"The study's training steps compute {study['flops'] / 1e12:.2f} TFLOP (products only; evaluation not "
                f"counted): {g['trainbench']:.1f} GFLOP/s over trainbench's wall time, {g['pytorch']:.1f} over PyTorch's"
                + (
                    f"; {pct['trainbench']:.0f}% and {pct['pytorch']:.0f}% of the peak (2 jobs of 1 thread against a 2-thread peak)."
                    if pct
                    else "."
                )
            )
            lines.append("")
    lines.append("## Every pair")
    lines.append("")
    lines.append("| row | pair | first | trainbench /s | PyTorch /s | ratio | tb steal % | tb others % | PT steal % | PT others % | disturbed |")
    lines.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    every = list(doc["rows"]) + ([study] if study else [])
    for r in every:
        for p in r["pairs"]:
            tb, pt = p["trainbench"], p["pytorch"]
            lines.append(
                f"| `{r['row']}` | {p['pair']} | {p['order'][0]} | {fmt(tb['figure']['per_second'], 2)} | "
                f"{fmt(pt['figure']['per_second'], 2)} | {fmt(p['ratio'], 3)} | "
                f"{100 * tb['load']['steal_share']:.1f} | {100 * tb['load']['others_share']:.1f} | "
                f"{100 * pt['load']['steal_share']:.1f} | {100 * pt['load']['others_share']:.1f} | {p['disturbed'] or ''} |"
            )
        if r.get("note"):
            lines.append(f"| `{r['row']}` | | | | | | | | | | {r['note']} |")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT, capture_output=True, text=True)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except OSError:
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description="trainbench against PyTorch, row by row, interleaved pairs, steal time recorded.")
    parser.add_argument("--pairs", type=int, default=7, help="pairs per row (default 7)")
    parser.add_argument("--rows", default=DEFAULT_ROWS, help=f"regex over the rows' group/id (default {DEFAULT_ROWS!r}: the train steps and the peak)")
    parser.add_argument("--no-rows", action="store_true", help="no bench rows (with --study: the study only)")
    parser.add_argument("--study", action="store_true", help="also the study-level comparison (runs/hour)")
    # The defaults are the cell as studies/optimizers.toml trains it (10 seeds of 20 epochs): a
    # shorter one weighs the fixed start (data read, report) and PyTorch's untimed start unevenly.
    parser.add_argument("--study-runs", type=int, default=10, help="runs per study half (default 10, the study's seeds)")
    parser.add_argument(
        "--study-epochs", type=int, default=20, help="epochs per run in the study halves (default 20, the study's)"
    )
    parser.add_argument(
        "--study-train-subset", type=int, default=None, help="train the study halves on the first N training images only (smoke runs; default all 55,000)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per half (default 1)")
    parser.add_argument("--measure", type=float, default=3.0, help="measured seconds per half (default 3)")
    parser.add_argument("--samples", type=int, default=10, help="criterion samples = PyTorch windows per half (default 10, criterion's least)")
    parser.add_argument("--threads", type=int, default=2, help="threads of both sides (default 2)")
    parser.add_argument("--max-steal", type=float, default=0.05, help="a half with more steal share is disturbed (default 0.05)")
    parser.add_argument("--max-others", type=float, default=0.10, help="a half with more of the CPUs busy elsewhere is disturbed (default 0.10)")
    parser.add_argument("--keep-disturbed", action="store_true", help="keep disturbed pairs in the statistics (still flagged)")
    parser.add_argument("--bench-bin", default=None, help="the criterion binary (default: the newest target/release/deps/bench_main-*)")
    parser.add_argument("--trainbench", default=os.path.join(REPO_ROOT, "target", "release", "trainbench"), help="the trainbench binary for --study")
    parser.add_argument("--python", default=os.environ.get("TORCH_PYTHON", "/tmp/torch-venv/bin/python"), help="Python with torch (default $TORCH_PYTHON or /tmp/torch-venv/bin/python)")
    parser.add_argument("--label", default=None, help="a line for the report's head (e.g. 'smoke run on a loaded machine')")
    parser.add_argument("--render", default=None, metavar="JSON", help="only print the Markdown of a JSON this script wrote (and write it beside, as .md)")
    parser.add_argument("--out", default=None, help="output prefix (default benches/reference/runs/<UTC date-time>-interleaved): writes PREFIX.json and PREFIX.md")
    settings = parser.parse_args(argv)
    if settings.render:
        with open(settings.render) as f:
            text = markdown(json.load(f))
        with open(os.path.splitext(settings.render)[0] + ".md", "w") as f:
            f.write(text)
        print(text)
        return 0
    if settings.pairs < 1 or settings.samples < 10 or settings.measure <= 0 or settings.warmup < 0:
        parser.error("--pairs >= 1, --samples >= 10 (criterion's least), --measure > 0, --warmup >= 0")
    if settings.study and (settings.study_runs < 1 or settings.study_epochs < 1):
        parser.error("--study-runs and --study-epochs must be >= 1")
    if not os.path.exists(settings.python):
        parser.error(f"no Python at {settings.python}: give --python or TORCH_PYTHON")

    settings.bench_bin = None if settings.no_rows else find_bench_binary(settings.bench_bin)
    os.environ["RAYON_NUM_THREADS"] = str(settings.threads)
    date = datetime.datetime.now(datetime.timezone.utc)
    prefix = settings.out or os.path.join(HERE, "runs", date.strftime("%Y-%m-%d-%H%M") + "-interleaved")

    rows = []
    flops = {}
    if not settings.no_rows:
        listed = subprocess.run([settings.python, os.path.join(HERE, "pytorch_bench.py"), "--list"], capture_output=True, text=True, check=True)
        pattern = re.compile(settings.rows)
        for name in listed.stdout.split():
            group, row_id = name.split("/", 1)
            key = "/".join(compare.canonical_key(group, row_id)[:2])
            if pattern.search(key) and key not in rows:
                rows.append(key)
        if not rows:
            parser.error(f"no row matches {settings.rows!r}")
        flops = json.loads(subprocess.run([settings.bench_bin, "--flops"], capture_output=True, text=True, check=True).stdout)
        # The peak row goes first, so that an early stop still has it.
        rows.sort(key=lambda r: r != PEAK_ROW)

    load_before = os.getloadavg()[0]
    records = []
    for row in rows:
        print(f"{row}:", file=sys.stderr)
        records.append(
            run_pairs(row, lambda r=row: trainbench_half(r, settings), lambda r=row: pytorch_half(r, settings), settings)
        )
    peak = add_flops(records, flops)
    study = None
    if settings.study:
        print("study:", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="interleaved-study-") as workdir:
            study = run_pairs(
                "study/optimizers_sgd",
                lambda: trainbench_study_half(settings, workdir),
                lambda: pytorch_study_half(settings, workdir),
                settings,
            )
    if study is not None:
        add_study_flops(study, flops, peak, settings)
    torch_version = subprocess.run([settings.python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True).stdout.strip()
    doc = {
        "generator": GENERATOR,
        "label": settings.label,
        "date": date.isoformat(timespec="seconds"),
        "trainbench_commit": git_commit(),
        "torch": torch_version,
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        },
        "settings": {k: v for k, v in vars(settings).items() if k not in ("out",)},
        "flops_per_iter": flops,
        "peak": peak,
        "rows": records,
        "study": study,
    }
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    with open(prefix + ".json", "w") as f:
        f.write(json.dumps(doc, indent=1) + "\n")
    text = markdown(doc)
    with open(prefix + ".md", "w") as f:
        f.write(text)
    print(text)
    print(f"wrote {prefix}.json and {prefix}.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
