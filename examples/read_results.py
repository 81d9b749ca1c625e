#!/usr/bin/env python3
"""Reading a study's results outside trainbench: runs.parquet and epochs.parquet with polars and
with pandas (pyarrow reads the Parquet). The columns are described in examples/read_results.md.

    python3 examples/read_results.py [RESULTS_DIR] [STUDY]     # default: results optimizers

Prints, per cell: the runs, how many diverged, the mean test accuracy with a diverged run counted
at chance (as trainbench's reports count it), and the mean final validation loss of the runs that
did not diverge; then each cell's mean paired difference from the first cell in runs.parquet, seed by
seed. Both libraries compute the table and must agree (tests/it/read_results_example.rs compares
the printed means with report.md).
"""

import sys
from pathlib import Path

import pandas as pd
import polars as pl

CHANCE = 0.1  # 1/classes: Fashion-MNIST's ten classes


def with_polars(runs_path: Path, epochs_path: Path) -> pl.DataFrame:
    runs = pl.read_parquet(runs_path)
    epochs = pl.read_parquet(epochs_path)
    # A diverged run's accuracy counts as chance, never dropped.
    runs = runs.with_columns(
        pl.when(pl.col("diverged")).then(CHANCE).otherwise(pl.col("test_acc")).alias("scored_acc")
    )
    # The last epoch of each run, from the epochs table.
    last = epochs.sort("epoch").group_by(["cell_id", "seed"]).last()
    runs = runs.join(last.select("cell_id", "seed", "val_loss"), on=["cell_id", "seed"], how="left")
    order = runs.select("cell_label").unique(maintain_order=True)
    table = runs.group_by("cell_label", maintain_order=True).agg(
        pl.len().alias("runs"),
        pl.col("diverged").sum().alias("diverged"),
        pl.col("scored_acc").mean().alias("mean_test_acc"),
        pl.col("val_loss").filter(~pl.col("diverged")).mean().alias("mean_final_val_loss"),
    )
    # Paired by seed against the first cell (the same seed: same initial weights, same data order).
    base_label = order["cell_label"][0]
    base = runs.filter(pl.col("cell_label") == base_label).select("seed", pl.col("scored_acc").alias("base"))
    paired = (
        runs.join(base, on="seed")
        .with_columns((pl.col("scored_acc") - pl.col("base")).alias("diff"))
        .group_by("cell_label", maintain_order=True)
        .agg(pl.col("diff").mean().alias("mean_diff_vs_first"), (pl.col("diff") > 0).mean().alias("share_better"))
    )
    return table.join(paired, on="cell_label", how="left", maintain_order="left")


def with_pandas(runs_path: Path) -> pd.DataFrame:
    runs = pd.read_parquet(runs_path)
    runs["scored_acc"] = runs["test_acc"].where(~runs["diverged"], CHANCE)
    return runs.groupby("cell_label", sort=False).agg(
        runs=("seed", "size"), diverged=("diverged", "sum"), mean_test_acc=("scored_acc", "mean")
    )


def main() -> int:
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "results")
    study = sys.argv[2] if len(sys.argv) > 2 else "optimizers"
    runs_path = results / study / "runs.parquet"
    epochs_path = results / study / "epochs.parquet"
    if not runs_path.is_file():
        print(f"error: {runs_path} does not exist; run `trainbench study {study}` first", file=sys.stderr)
        return 1
    table = with_polars(runs_path, epochs_path)
    check = with_pandas(runs_path)
    # The two libraries read the same numbers.
    for row in table.iter_rows(named=True):
        other = check.loc[row["cell_label"]]
        assert row["runs"] == other["runs"] and row["diverged"] == other["diverged"], row
        assert abs(row["mean_test_acc"] - other["mean_test_acc"]) < 1e-12, row
    width = max(len(c) for c in table["cell_label"])
    print(f"{'cell':{width}}  runs  diverged  mean test acc  mean final val loss  Δ vs first  share better")
    for r in table.iter_rows(named=True):
        loss = r["mean_final_val_loss"]
        loss_text = f"{loss:.4f}" if loss is not None else "–"
        print(
            f"{r['cell_label']:{width}}  {r['runs']:4}  {r['diverged']:8}  {r['mean_test_acc']:13.4f}  "
            f"{loss_text:>19}  {r['mean_diff_vs_first']:+10.4f}  {r['share_better']:12.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
