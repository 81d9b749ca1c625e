"""The GPU check's comparison of whole runs (see .ci/gpu-check.sh): reads the runs.parquet of
the same `--quick` study made on CUDA twice (--jobs J and --jobs 1) and on the CPU, and writes
one JSON summary:
- same seed on CUDA: per run, is every reproducible number identical between the two CUDA runs
  (the jobs count must not matter, like on the CPU)? The differing runs are listed.
- CUDA vs CPU: per cell, the mean test accuracy over the seeds on each device and the difference
  in points; the issue's tolerance is 0.5 points (single runs drift apart chaotically, so a
  per-run tolerance would mean nothing).
- runs/hour of each study, from the wall time the shell measured around it.
Usage: gpu_compare.py OUT.json NAME=DIR:SECONDS ... (names: cuda_jobs, cuda_one, cpu)
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
        return name, None, float(seconds), f"{type(e).__name__}: {e}"
    return name, runs, float(seconds), None


def main(argv):
    out, specs = argv[0], argv[1:]
    sets = {}
    summary = {"studies": {}}
    for spec in specs:
        name, runs, seconds, error = load(spec)
        sets[name] = runs
        summary["studies"][name] = {
            "runs": 0 if runs is None else len(runs),
            "wall_seconds": seconds,
            "runs_per_hour": None if runs is None or seconds <= 0 else len(runs) * 3600.0 / seconds,
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
