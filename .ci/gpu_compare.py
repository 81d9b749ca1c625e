"""The GPU check's comparison of whole runs (see .ci/gpu-check.sh): reads the runs.parquet of
the same `--quick` study made on CUDA twice (--jobs J and --jobs 1) and on the CPU, and writes
one JSON summary:
- same seed on CUDA: per run, is every reproducible number identical between the two CUDA runs
  (the jobs count must not matter, like on the CPU)? The differing runs are listed.
- CUDA vs CPU: per cell, the mean test accuracy over the seeds on each device and the difference
  in points; the issue's tolerance is 0.5 points (single runs drift apart chaotically, so a
  per-run tolerance would mean nothing).
- runs/hour of each study, from the wall time the shell measured around it: every run it
  trained, its tuning runs (tuning.parquet) included, since the wall time includes them.
- PyTorch's twin on the same GPU (benches/reference/pytorch_study.py --device cuda, the same
  work per run as a --quick run: 2,000 training images, 3 epochs, validation after each, the
  test at the end), its runs/hour beside trainbench's.
Usage: gpu_compare.py OUT.json NAME=DIR:SECONDS ... [pytorch_NAME=FILE.json ...]
       (names: cuda_jobs, cuda_one, cpu; pytorch_P for P worker processes, as gpu-check.sh passes)
"""

import json
import sys

import pandas as pd

NUMBERS = [
    "epochs_run", "best_epoch", "final_train_loss", "final_train_acc", "final_val_loss",
    "final_val_acc", "best_val_loss", "best_val_acc", "test_loss", "test_acc", "diverged",
]


def load(spec):
    name, rest = spec.split("=", 1)
    path, seconds = rest.rsplit(":", 1)
    try:
        runs = pd.read_parquet(f"{path}/runs.parquet")
    except Exception as e:  # a study that did not finish in its time has no table yet
        return name, None, 0, float(seconds), f"{type(e).__name__}: {e}"
    try:
        tuning = len(pd.read_parquet(f"{path}/tuning.parquet"))
    except FileNotFoundError:
        tuning = 0
    return name, runs, tuning, float(seconds), None


def load_pytorch(spec):
    name, path = spec.split("=", 1)
    try:
        with open(path) as f:
            doc = json.load(f)
        return name, {"runs": len(doc["runs"]), "wall_seconds": doc["wall_seconds"],
                      "runs_per_hour": doc["runs_per_hour"], "settings": doc["settings"],
                      "mean_test_acc": sum(r["test_acc"] for r in doc["runs"]) / max(len(doc["runs"]), 1)}
    except Exception as e:  # cut short by its time limit, or no torch with CUDA there
        return name, {"error": f"{type(e).__name__}: {e}"}


def main(argv):
    out, specs = argv[0], argv[1:]
    sets = {}
    summary = {"studies": {}}
    for spec in specs:
        if spec.startswith("pytorch_"):
            name, entry = load_pytorch(spec)
            summary.setdefault("pytorch", {})[name] = entry
            continue
        name, runs, tuning, seconds, error = load(spec)
        sets[name] = runs
        trained = 0 if runs is None else len(runs) + tuning
        summary["studies"][name] = {
            "runs": 0 if runs is None else len(runs),
            "tuning_runs": tuning,
            "wall_seconds": seconds,
            "runs_per_hour": None if runs is None or seconds <= 0 else trained * 3600.0 / seconds,
            "device": None if runs is None else sorted(runs["device"].unique().tolist()),
            "error": error,
        }
    a, b = sets.get("cuda_jobs"), sets.get("cuda_one")
    if a is not None and b is not None:
        m = a.merge(b, on=["cell_id", "seed"], suffixes=("_a", "_b"))
        differing = []
        for _, row in m.iterrows():
            cols = [c for c in NUMBERS if not (row[f"{c}_a"] == row[f"{c}_b"] or (pd.isna(row[f"{c}_a"]) and pd.isna(row[f"{c}_b"])))]
            if cols:
                differing.append({"cell": row["cell_label_a"], "seed": int(row["seed"]), "columns": cols,
                                  "test_acc": [float(row["test_acc_a"]), float(row["test_acc_b"])]})
        summary["same_seed_on_cuda"] = {"compared": len(m), "identical": len(m) - len(differing), "differing": differing}
    g, c = sets.get("cuda_jobs"), sets.get("cpu")
    if g is not None and c is not None:
        cells = []
        for cell, group in g.groupby("cell_label"):
            other = c[c["cell_label"] == cell]
            if other.empty:
                continue
            gm, cm = float(group["test_acc"].mean()), float(other["test_acc"].mean())
            cells.append({"cell": cell, "seeds": [len(group), len(other)], "cuda": gm, "cpu": cm,
                          "difference_points": 100.0 * (gm - cm)})
        worst = max((abs(x["difference_points"]) for x in cells), default=None)
        summary["cuda_vs_cpu"] = {"cells": cells, "largest_difference_points": worst,
                                  "tolerance_points": 0.5,
                                  "within": worst is not None and worst <= 0.5}
    text = json.dumps(summary, indent=2)
    print(text)
    with open(out, "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
