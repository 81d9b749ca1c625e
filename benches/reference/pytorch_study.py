"""The optimizers study's SGD cell as a plain PyTorch training loop: the study-level twin of
trainbench's `study` for runs per hour (issue 16, item 4).

Each run trains, on the real Fashion-MNIST, what one trainbench run of that cell trains:

  - data: the 60,000 training images, the last 5,000 held out for validation (as trainbench
    splits them), the 10,000 test images; pixels u8 / 255 as float32, flattened to 784;
  - net: 784-300-100-10, ReLU, He normal kernels (std sqrt(2 / fan_in)) for the hidden layers,
    Glorot uniform for the output layer, zero biases (Keras's defaults, as trainbench's);
  - training: plain SGD, lr 0.01, batch 32, the training images shuffled every epoch (the last
    minibatch of an epoch holds the 55,000 mod 32 = 24 left over), mean softmax cross-entropy;
    the epoch's training loss and accuracy accumulated from the steps' outputs;
  - after each epoch: the validation loss and accuracy (batches of 1,000, no autograd); after the
    last epoch: the test loss and accuracy.

Runs are spread over --processes worker processes (default 2) of --threads torch threads each
(default 1), as trainbench's `study --jobs 2` runs two single-threaded runs at a time. The data
are read once, before the workers start (fork), and that read is not timed; the workers' start
and everything after is. Prints one JSON document: the wall time, runs per hour, and each run's
final figures (so that a run that did not train shows).

The seeds are torch's (run i uses torch.manual_seed(i)): the runs are not trainbench's runs
bit for bit, only the same work.

With --device cuda (the GPU check, .ci/gpu-check.sh) each worker copies the data to the GPU
once and trains there: the model, each epoch's shuffled order and the minibatches' gathering
on the device, as trainbench's CUDA runs do; the loss is still read back every step.

Usage: pytorch_study.py [--runs N] [--epochs E] [--processes P] [--threads T] [--data-dir DIR]
                        [--train-subset N] [--device cpu|cuda] [OUT.json|-]
"""

import argparse
import datetime
import gzip
import json
import math
import multiprocessing
import os
import platform
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

GENERATOR = "benches/reference/pytorch_study.py"
DATA_DIRS = ["/usr/share/datasets/fashion-mnist"]
VALIDATION = 5000
BATCH = 32
EVAL_BATCH = 1000
LR = 0.01
HIDDEN = [300, 100]
INPUTS = 28 * 28
CLASSES = 10


def _idx(path):
    """An IDX file (gzipped or not) as (dims, bytes)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, kind, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return dims, data[4 + 4 * ndim :]


def _find(data_dir, stem):
    for name in (f"{stem}.gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}[.gz] in {data_dir}")


def load_data(data_dir):
    """(train_x, train_y, val_x, val_y, test_x, test_y): float32 [n, 784] in [0, 1], int64 labels."""

    def split(images, labels):
        dims, pixels = _idx(_find(data_dir, images))
        _, label_bytes = _idx(_find(data_dir, labels))
        x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).reshape(dims[0], INPUTS)
        y = torch.frombuffer(bytearray(label_bytes), dtype=torch.uint8).long()
        return x.float() / 255.0, y

    train_x, train_y = split("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    test_x, test_y = split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    cut = train_x.shape[0] - VALIDATION
    return (
        train_x[:cut].contiguous(),
        train_y[:cut].contiguous(),
        train_x[cut:].contiguous(),
        train_y[cut:].contiguous(),
        test_x,
        test_y,
    )


def network():
    layers = []
    fan_in = INPUTS
    for width in HIDDEN:
        linear = nn.Linear(fan_in, width)
        nn.init.normal_(linear.weight, 0.0, math.sqrt(2.0 / fan_in))
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
        fan_in = width
    out = nn.Linear(fan_in, CLASSES)
    nn.init.xavier_uniform_(out.weight)
    nn.init.zeros_(out.bias)
    layers.append(out)
    return nn.Sequential(*layers)


def evaluate(model, x, y):
    model.eval()
    total, correct = 0.0, 0
    with torch.inference_mode():
        for i in range(0, x.shape[0], EVAL_BATCH):
            logits = model(x[i : i + EVAL_BATCH])
            total += F.cross_entropy(logits, y[i : i + EVAL_BATCH], reduction="sum").item()
            correct += (logits.argmax(1) == y[i : i + EVAL_BATCH]).sum().item()
    model.train()
    return total / x.shape[0], correct / x.shape[0]


# Set in the parent before the workers fork, so they share it without copying.
_DATA = None
# The worker's device, and its copy of _DATA there (made once per worker, after the fork: the
# parent never touches CUDA, which a forked child could not use).
_DEVICE = "cpu"
_ON_DEVICE = None


def _worker_init(threads, device):
    global _DEVICE
    torch.set_num_threads(threads)
    _DEVICE = device


def _data_on_device():
    global _ON_DEVICE
    if _ON_DEVICE is None:
        _ON_DEVICE = tuple(t.to(_DEVICE) for t in _DATA)
    return _ON_DEVICE


def train_run(args):
    seed, epochs = args
    train_x, train_y, val_x, val_y, test_x, test_y = _data_on_device()
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = network().to(_DEVICE)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    n = train_x.shape[0]
    history = []
    for _ in range(epochs):
        order = torch.randperm(n, device=_DEVICE)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, BATCH):
            idx = order[i : i + BATCH]
            x, y = train_x[idx], train_y[idx]
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * idx.shape[0]
            correct += (logits.argmax(1) == y).sum().item()
        val_loss, val_acc = evaluate(model, val_x, val_y)
        history.append({"train_loss": loss_sum / n, "train_acc": correct / n, "val_loss": val_loss, "val_acc": val_acc})
    test_loss, test_acc = evaluate(model, test_x, test_y)
    return {
        "seed": seed,
        "seconds": time.perf_counter() - start,
        "final": history[-1] if history else None,
        "test_loss": test_loss,
        "test_acc": test_acc,
    }


def main(argv=None):
    global _DATA
    parser = argparse.ArgumentParser(description="The optimizers study's SGD cell as a plain PyTorch loop (JSON out).")
    parser.add_argument("out", nargs="?", default="-", help="output JSON path, '-' for stdout (default)")
    parser.add_argument("--runs", type=int, default=2, help="runs (seeds 0..N-1; default 2)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run (default 20, the study's)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    parser.add_argument("--data-dir", default=None, help="directory of the Fashion-MNIST IDX files")
    parser.add_argument(
        "--train-subset", type=int, default=None, help="train on the first N training images only (smoke runs)"
    )
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the runs train (default cpu)")
    args = parser.parse_args(argv)
    if min(args.runs, args.epochs, args.processes, args.threads) < 1:
        parser.error("--runs, --epochs, --processes and --threads must be >= 1")

    candidates = [args.data_dir] if args.data_dir else [os.environ.get("TRAINBENCH_DATA_DIR")] + DATA_DIRS
    data_dir = next((d for d in candidates if d and os.path.isdir(d)), None)
    if data_dir is None:
        parser.error(f"no Fashion-MNIST directory among {[d for d in candidates if d]}: give --data-dir")
    torch.set_num_threads(1)  # the parent only reads the data; no thread pool before the fork
    data = load_data(data_dir)
    if args.train_subset:
        data = (data[0][: args.train_subset], data[1][: args.train_subset]) + data[2:]
    _DATA = data

    start = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(args.processes, initializer=_worker_init, initargs=(args.threads, args.device)) as pool:
        runs = pool.map(train_run, [(seed, args.epochs) for seed in range(args.runs)], chunksize=1)
    wall = time.perf_counter() - start

    doc = {
        "generator": GENERATOR,
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "settings": {
            "runs": args.runs,
            "epochs": args.epochs,
            "processes": args.processes,
            "threads_per_process": args.threads,
            "device": args.device,
            "train_images": data[0].shape[0],
            "batch": BATCH,
            "lr": LR,
            "data_dir": data_dir,
        },
        "wall_seconds": wall,
        "runs_per_hour": args.runs * 3600.0 / wall,
        "runs": runs,
    }
    text = json.dumps(doc, indent=1) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
