"""Ratio table: trainbench's criterion results against pytorch_bench.py's JSON.

Reads the PyTorch JSON written by pytorch_bench.py and every benchmark criterion has recorded
under the criterion directory (target/criterion by default), matches rows by (group, id), and
prints a Markdown table of per-second figures and the ratio trainbench / PyTorch (above 1:
trainbench is faster). With --json the same table is printed as JSON.

Criterion side: each benchmark's <dir>/new/benchmark.json names it (group_id, function_id,
value_str: the id is function_id, then "/" value_str when there is one) and gives its throughput
({"Elements": n} per iteration, or null); <dir>/new/estimates.json gives the time per iteration
in ns. The directory names themselves are not relied on (criterion replaces '/' in a name with
'_', so bench_function("mlp/sgd/32") lands in train_step/mlp_sgd_32/), only benchmark.json.
The median's point estimate is used; per second = elements per iteration / median time. Where
a benchmark has no Elements throughput, the PyTorch row's samples (elements) per iteration are
assumed, and the row says so.

PyTorch side: the train_step Adam variants (adam, adam_foreach, adam_fused) are one row,
"{net}/adam/{batch}", compared against the fastest variant measured.

Rows missing on either side are shown with "—". Exits 0 unless --fail-under is given and a
compared row's ratio is below it (or no row could be compared).

Usage: compare.py PYTORCH.json [--criterion DIR] [--baseline new] [--json] [--fail-under R]
"""

import argparse
import json
import math
import os
import sys

ADAM_VARIANTS = ("adam", "adam_foreach", "adam_fused")
DASH = "—"
REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def default_criterion_dir():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO_ROOT, "target")
    return os.path.join(target, "criterion")


# --------------------------------------------------------------------------------------------
# PyTorch side


def canonical_key(group, row_id):
    """(group, id, variant): Adam variants of a train step share the key ".../adam/..."."""
    if group == "train_step":
        parts = row_id.split("/")
        if len(parts) == 3 and parts[1] in ADAM_VARIANTS:
            return group, f"{parts[0]}/adam/{parts[2]}", parts[1]
    return group, row_id, None


def load_pytorch(path):
    with open(path) as f:
        doc = json.load(f)
    rows = {}
    order = []
    variants = {}
    for row in doc.get("rows", []):
        group, key_id, variant = canonical_key(row["group"], row["id"])
        key = (group, key_id)
        if variant is not None:
            variants.setdefault(key, {})[variant] = row["per_second"]
        if key not in rows:
            order.append(key)
            rows[key] = dict(row, variant=variant)
        elif row["per_second"] > rows[key]["per_second"]:
            rows[key] = dict(row, variant=variant)
    for key, seen in variants.items():
        rows[key]["variants"] = seen
    return doc, rows, order


# --------------------------------------------------------------------------------------------
# Criterion side


def _elements(throughput):
    """Elements per iteration from criterion's serialized Throughput, or None."""
    if not isinstance(throughput, dict):
        return None
    if "Elements" in throughput:
        return throughput["Elements"]
    both = throughput.get("ElementsAndBytes")
    if isinstance(both, dict):
        return both.get("elements")
    return None  # Bytes / BytesDecimal / Bits: not a sample or element count


def _id_from(bench, rel_parts):
    group = bench.get("group_id")
    function_id = bench.get("function_id")
    value_str = bench.get("value_str")
    if group is None:
        # Old or odd benchmark.json: fall back on the directory layout (names as criterion
        # sanitized them).
        if not rel_parts:
            return None
        return rel_parts[0], "/".join(rel_parts[1:])
    parts = [p for p in (function_id, value_str) if p is not None]
    return group, "/".join(parts)


def load_criterion(root, baseline="new"):
    """{(group, id): {"ns": median ns per iteration, "elements": n or None, "path": dir}}."""
    found = {}
    if not os.path.isdir(root):
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.basename(dirpath) != baseline or "estimates.json" not in filenames:
            continue
        dirnames[:] = []
        try:
            with open(os.path.join(dirpath, "estimates.json")) as f:
                estimates = json.load(f)
            bench = {}
            if "benchmark.json" in filenames:
                with open(os.path.join(dirpath, "benchmark.json")) as f:
                    bench = json.load(f)
        except (OSError, ValueError) as e:
            print(f"compare.py: skipping {dirpath}: {e}", file=sys.stderr)
            continue
        rel_parts = os.path.relpath(os.path.dirname(dirpath), root).split(os.sep)
        key = _id_from(bench, rel_parts)
        stat = estimates.get("median") or estimates.get("mean") or {}
        ns = stat.get("point_estimate")
        if key is None or not isinstance(ns, (int, float)) or ns <= 0:
            print(f"compare.py: skipping {dirpath}: no usable median estimate", file=sys.stderr)
            continue
        found[key] = {
            "ns": float(ns),
            "elements": _elements(bench.get("throughput")),
            "throughput": bench.get("throughput"),
            "path": dirpath,
        }
    return found


# --------------------------------------------------------------------------------------------
# Table


def build_rows(pytorch_rows, pytorch_order, criterion):
    keys = list(pytorch_order) + sorted(k for k in criterion if k not in pytorch_rows)
    table = []
    for key in keys:
        group, row_id = key
        py = pytorch_rows.get(key)
        rs = criterion.get(key)
        notes = []
        unit = py["unit"] if py else None
        py_per_s = py["per_second"] if py else None
        rs_per_s = None
        rs_ms = None
        if rs is not None:
            rs_ms = rs["ns"] / 1e6
            elements = rs["elements"]
            if elements is None and py is not None and py.get("units_per_iter"):
                elements = py["units_per_iter"]
                what = "no Elements throughput" if rs.get("throughput") else "no throughput"
                notes.append(f"criterion has {what}: assumed {elements} per iteration as PyTorch")
            if elements is not None:
                rs_per_s = elements / (rs["ns"] * 1e-9)
            else:
                notes.append("criterion has no Elements throughput: per second unknown")
            if unit is None:
                unit = "samples/s" if group in ("train_step", "inference") else "elements/s"
        if py is not None and py.get("variant"):
            seen = py.get("variants", {})
            others = ", ".join(f"{v} {seen[v]:,.0f}" for v in ADAM_VARIANTS if v in seen and v != py["variant"])
            notes.insert(0, f"vs PyTorch {py['variant']}" + (f" (others: {others})" if others else ""))
        ratio = rs_per_s / py_per_s if rs_per_s and py_per_s else None
        table.append(
            {
                "group": group,
                "id": row_id,
                "unit": unit,
                "trainbench_per_second": rs_per_s,
                "pytorch_per_second": py_per_s,
                "ratio": ratio,
                "trainbench_ms_per_iter": rs_ms,
                "pytorch_ms_per_iter": py["ms_per_iter"] if py else None,
                "pytorch_variant": py.get("variant") if py else None,
                "notes": notes,
            }
        )
    return table


def summarize(table):
    ratios = [r["ratio"] for r in table if r["ratio"] is not None]
    return {
        "compared": len(ratios),
        "rows": len(table),
        "geomean_ratio": math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else None,
        "min_ratio": min(ratios) if ratios else None,
        "slower_than_pytorch": [f"{r['group']}/{r['id']}" for r in table if r["ratio"] is not None and r["ratio"] < 1.0],
    }


def _num(x):
    if x is None:
        return DASH
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def markdown(doc, criterion_dir, table, summary):
    versions = doc.get("versions", {})
    machine = doc.get("machine", {})
    settings = doc.get("settings", {})
    lines = [
        f"PyTorch {versions.get('torch', '?')} (Python {versions.get('python', '?')}), "
        f"{versions.get('threads', '?')} threads, on {machine.get('cpu', '?')} "
        f"({machine.get('cores', '?')} cores), {doc.get('date', '?')}"
        + (" — QUICK smoke run, not a measurement" if settings.get("quick") else ""),
        f"trainbench: criterion results in {criterion_dir} (median per iteration)",
        "",
        "| row | unit | trainbench /s | PyTorch /s | trainbench / PyTorch | notes |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for r in table:
        ratio = DASH if r["ratio"] is None else f"{r['ratio']:.2f}"
        if r["ratio"] is not None and r["ratio"] < 1.0:
            ratio = f"**{ratio}**"
        lines.append(
            f"| {r['group']}/{r['id']} | {r['unit'] or DASH} | {_num(r['trainbench_per_second'])} | "
            f"{_num(r['pytorch_per_second'])} | {ratio} | {'; '.join(r['notes'])} |"
        )
    lines.append("")
    if summary["compared"]:
        lines.append(
            f"{summary['compared']} of {summary['rows']} rows compared; geometric mean ratio "
            f"{summary['geomean_ratio']:.2f}, lowest {summary['min_ratio']:.2f}; "
            f"slower than PyTorch (ratio < 1, in bold): "
            + (", ".join(summary["slower_than_pytorch"]) or "none")
        )
    else:
        lines.append(f"No row compared ({summary['rows']} rows; run `cargo bench` and pytorch_bench.py first).")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="trainbench (criterion) vs PyTorch ratio table.")
    parser.add_argument("pytorch", help="JSON written by pytorch_bench.py")
    parser.add_argument(
        "--criterion",
        default=None,
        help="criterion's output directory (default: $CARGO_TARGET_DIR/criterion or <repo>/target/criterion)",
    )
    parser.add_argument("--baseline", default="new", help="criterion baseline directory name (default: new)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON instead of Markdown")
    parser.add_argument(
        "--fail-under", type=float, default=None, help="exit 1 if a compared ratio is below this (or none compares)"
    )
    args = parser.parse_args(argv)

    criterion_dir = args.criterion or default_criterion_dir()
    doc, pytorch_rows, order = load_pytorch(args.pytorch)
    criterion = load_criterion(criterion_dir, args.baseline)
    table = build_rows(pytorch_rows, order, criterion)
    summary = summarize(table)

    if args.json:
        out = {
            "pytorch": {k: doc.get(k) for k in ("generator", "versions", "machine", "date", "settings")},
            "pytorch_json": os.path.abspath(args.pytorch),
            "criterion_dir": os.path.abspath(criterion_dir),
            "rows": table,
            "summary": summary,
        }
        sys.stdout.write(json.dumps(out, indent=1) + "\n")
    else:
        sys.stdout.write(markdown(doc, criterion_dir, table, summary))

    if args.fail_under is not None:
        if not summary["compared"] or summary["min_ratio"] < args.fail_under:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
