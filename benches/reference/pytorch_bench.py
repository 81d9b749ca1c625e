"""PyTorch CPU reference timings for trainbench's criterion benchmarks.

Times, on the CPU with a fixed number of threads (2 by default), the same work that trainbench's
criterion benches time, and writes one JSON document (see README.md beside this file):

  train_step/{net}/{opt}/{batch}  one training step: forward, mean softmax cross-entropy from the
                                  logits, backward, optimizer update (samples/s)
  activation/{name}               y = f(x) and the gradient for x (and PReLU's alpha) from a fixed
                                  upstream gradient, x of shape [256, 300] (elements/s)
  batch_norm/train_step           BatchNorm1d(300) in training mode on [256, 300]: forward (batch
                                  statistics, running-statistics update) and backward for x, gamma,
                                  beta (elements/s)
  inference/bn, inference/folded  784-300-100-10 with batch norm before each hidden activation in
                                  eval mode, and the same net with the batch norm folded into the
                                  dense layers, batch 1000 (samples/s)
  epoch/{id}                      one epoch of a net on 55,000 images, batch 32, SGD: a fresh
                                  model, shuffled minibatch steps, an eval pass over 5,000
                                  validation and 10,000 test images (samples/s: 55,000 per
                                  iteration); optimizers_sgd_32 = the chapter MLP, lenet5_sgd_32
                                  = LeNet-5
  peak/sgemm_2048                 torch.mm of two 2048 x 2048 float32 matrices into a
                                  preallocated output: the machine's single-precision
                                  matrix-product peak as PyTorch reaches it (FLOP/s, 2 * 2048^3
                                  per product)

Each row is warmed up, then timed over a number of windows (9 by default) of about the same wall
time each; the row's figure is the median window's. Data are random float32 tensors made once
before timing, so no data loading or generation is timed.

Usage: pytorch_bench.py [OUT.json|-] [--threads N] [--quick] [--windows N] [--window-seconds S]
                        [--warmup-seconds S] [--only REGEX] [--list]
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

GENERATOR = "benches/reference/pytorch_bench.py"

SGD_LR = 0.01
ADAM_LR = 0.001
# Keras BatchNormalization(momentum=0.99, epsilon=1e-3); PyTorch's momentum is 1 - Keras's.
BN_MOMENTUM = 0.01
BN_EPS = 1e-3

INPUTS = 28 * 28
CLASSES = 10
DEEP_LAYERS = 20
DEEP_UNITS = 100
ACT_SHAPE = (256, 300)
INFERENCE_BATCH = 1000


# --------------------------------------------------------------------------------------------
# Networks


def _init_dense(layer, activation):
    """The chapter's initializers: He normal before ReLU/SiLU, LeCun normal before SELU, Glorot
    uniform for the output layer; zero biases. (Speed only: this just keeps the deep nets'
    activations and gradients at a normal scale, as in the Rust benches.)"""
    if activation == "selu":
        nn.init.normal_(layer.weight, 0.0, 1.0 / math.sqrt(layer.in_features))
    elif activation in ("relu", "silu"):
        nn.init.normal_(layer.weight, 0.0, math.sqrt(2.0 / layer.in_features))
    else:
        nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def _activation_module(name):
    return {"relu": nn.ReLU, "selu": nn.SELU, "silu": nn.SiLU}[name]()


def dense_net(widths, activation, batch_norm):
    """Dense layers inputs -> widths... -> 10. Hidden: Linear, then (with batch_norm: Linear
    without bias, BatchNorm1d) and the activation. Output: linear logits."""
    layers = []
    fan_in = INPUTS
    for width in widths:
        linear = nn.Linear(fan_in, width, bias=not batch_norm)
        _init_dense(linear, activation)
        layers.append(linear)
        if batch_norm:
            layers.append(nn.BatchNorm1d(width, eps=BN_EPS, momentum=BN_MOMENTUM))
        layers.append(_activation_module(activation))
        fan_in = width
    out = nn.Linear(fan_in, CLASSES)
    _init_dense(out, None)
    layers.append(out)
    return nn.Sequential(*layers)


def lenet5():
    """LeNet-5 as trainbench's default CNN: the 784 inputs as one 28x28 channel, Conv2d(6, 5,
    padding 2), ReLU, MaxPool2d(2), Conv2d(16, 5), ReLU, MaxPool2d(2), Flatten, Dense 120, 84
    (ReLU), 10 logits; He normal kernels, zero biases (speed only)."""
    layers = [
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, CLASSES),
    ]
    for layer in layers:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def build_net(net):
    """The bench net called `net`: a dense net of NETS, or a CNN of CNNS."""
    if net in CNNS:
        return CNNS[net][1]()
    widths, activation, batch_norm = NETS[net]
    return dense_net(widths, activation, batch_norm)


def describe_net(net):
    if net in CNNS:
        return f"{net}: {CNNS[net][0]}"
    widths, activation, batch_norm = NETS[net]
    return (
        f"{net}: {INPUTS}-{'-'.join(map(str, widths))}-{CLASSES} {activation}"
        + (" (Linear without bias, BatchNorm1d before the activation)" if batch_norm else "")
    )


CNNS = {
    # name: (description, constructor)
    "lenet5": (
        "LeNet-5, conv 6@5x5 same, pool 2, conv 16@5x5, pool 2, dense 120-84-10, ReLU",
        lenet5,
    ),
}

NETS = {
    # name: (hidden widths, activation, batch norm)
    "mlp": ([300, 100], "relu", False),
    "deep20x100_relu": ([DEEP_UNITS] * DEEP_LAYERS, "relu", False),
    "deep20x100_relu_bn": ([DEEP_UNITS] * DEEP_LAYERS, "relu", True),
    "deep20x100_selu": ([DEEP_UNITS] * DEEP_LAYERS, "selu", False),
    "deep20x100_swish": ([DEEP_UNITS] * DEEP_LAYERS, "silu", False),
}

OPTIMIZERS = {
    # id: (description, constructor)
    "sgd": (
        f"torch.optim.SGD(lr={SGD_LR}), default implementation",
        lambda p: torch.optim.SGD(p, lr=SGD_LR),
    ),
    "adam": (
        f"torch.optim.Adam(lr={ADAM_LR}), default implementation "
        "(foreach=None, fused=None: the single-tensor for-loop on CPU)",
        lambda p: torch.optim.Adam(p, lr=ADAM_LR),
    ),
    "adam_foreach": (
        f"torch.optim.Adam(lr={ADAM_LR}, foreach=True)",
        lambda p: torch.optim.Adam(p, lr=ADAM_LR, foreach=True),
    ),
    "adam_fused": (
        f"torch.optim.Adam(lr={ADAM_LR}, fused=True)",
        lambda p: torch.optim.Adam(p, lr=ADAM_LR, fused=True),
    ),
}

TRAIN_ROWS = (
    [("mlp", opt, batch) for batch in (32, 256) for opt in ("sgd", "adam", "adam_foreach", "adam_fused")]
    + [(net, "sgd", 256) for net in list(NETS) + list(CNNS) if net != "mlp"]
    + [("lenet5", "sgd", 32)]
)


def train_step_case(net, opt_id, batch):
    model = build_net(net).train()
    optimizer = OPTIMIZERS[opt_id][1](list(model.parameters()))
    x = torch.randn(batch, INPUTS)
    y = torch.randint(0, CLASSES, (batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    what = (
        describe_net(net)
        + f"; {OPTIMIZERS[opt_id][0]}; batch {batch}; step = zero_grad(set_to_none), forward, "
        "F.cross_entropy (mean), backward, optimizer.step()"
    )
    return step, batch, "samples/s", what


# --------------------------------------------------------------------------------------------
# Whole epochs

EPOCH_TRAIN, EPOCH_VAL, EPOCH_TEST, EPOCH_BATCH = 55_000, 5_000, 10_000, 32
EPOCH_ROWS = (("optimizers_sgd_32", "mlp"), ("lenet5_sgd_32", "lenet5"))
_EPOCH_DATA = {}


def epoch_case(net):
    """One epoch as trainbench's `epoch` rows run it: a fresh model, the training images shuffled
    and stepped through in minibatches of 32 (the last one short) with SGD, then the validation
    and test images evaluated in batches of 1,000 without gradients."""
    if not _EPOCH_DATA:
        _EPOCH_DATA.update(
            x=torch.randn(EPOCH_TRAIN, INPUTS),
            y=torch.randint(0, CLASSES, (EPOCH_TRAIN,)),
            val=torch.randn(EPOCH_VAL, INPUTS),
            test=torch.randn(EPOCH_TEST, INPUTS),
        )
    x, y = _EPOCH_DATA["x"], _EPOCH_DATA["y"]

    def step():
        model = build_net(net).train()
        optimizer = torch.optim.SGD(model.parameters(), lr=SGD_LR)
        order = torch.randperm(EPOCH_TRAIN)
        for start in range(0, EPOCH_TRAIN, EPOCH_BATCH):
            index = order[start : start + EPOCH_BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for images in (_EPOCH_DATA["val"], _EPOCH_DATA["test"]):
                for start in range(0, len(images), 1000):
                    model(images[start : start + 1000])

    what = (
        describe_net(net)
        + f"; one epoch of {EPOCH_TRAIN:,} random images, batch {EPOCH_BATCH}, "
        f"torch.optim.SGD(lr={SGD_LR}), shuffled each epoch; then eval passes over "
        f"{EPOCH_VAL:,} + {EPOCH_TEST:,} images"
    )
    return step, EPOCH_TRAIN, "samples/s", what


# --------------------------------------------------------------------------------------------
# Activations


def _prelu_weight():
    # Per-unit alpha, as Keras PReLU's default (one alpha per feature), initialised at 0.25.
    return torch.full((ACT_SHAPE[1],), 0.25, requires_grad=True)


ACTIVATIONS = {
    # name: (description, f(x, params), params factory)
    "relu": ("F.relu", lambda x, p: F.relu(x), None),
    "leaky_relu": ("F.leaky_relu(negative_slope=0.2)", lambda x, p: F.leaky_relu(x, 0.2), None),
    "elu": ("F.elu(alpha=1)", lambda x, p: F.elu(x), None),
    "selu": ("F.selu", lambda x, p: F.selu(x), None),
    "gelu": ("F.gelu(approximate='none') (exact, erf)", lambda x, p: F.gelu(x), None),
    "gelu_tanh": ("F.gelu(approximate='tanh')", lambda x, p: F.gelu(x, approximate="tanh"), None),
    "silu": ("F.silu", lambda x, p: F.silu(x), None),
    "mish": ("F.mish", lambda x, p: F.mish(x), None),
    "sigmoid": ("torch.sigmoid", lambda x, p: torch.sigmoid(x), None),
    "tanh": ("torch.tanh", lambda x, p: torch.tanh(x), None),
    "prelu": (
        "F.prelu with a per-unit alpha of shape [300] (gradient for x and alpha)",
        lambda x, p: F.prelu(x, p[0]),
        lambda: [_prelu_weight()],
    ),
}


def activation_case(name):
    description, fn, params_factory = ACTIVATIONS[name]
    x = torch.randn(*ACT_SHAPE, requires_grad=True)
    upstream = torch.randn(*ACT_SHAPE)
    params = params_factory() if params_factory else []
    wrt = [x] + params

    def step():
        y = fn(x, params)
        torch.autograd.grad(y, wrt, upstream)

    what = (
        f"{description} on x [{ACT_SHAPE[0]}, {ACT_SHAPE[1]}]: forward, then "
        "torch.autograd.grad for x given a fixed upstream gradient (no loss reduction)"
    )
    return step, ACT_SHAPE[0] * ACT_SHAPE[1], "elements/s", what


# --------------------------------------------------------------------------------------------
# Batch norm


def batch_norm_case():
    bn = nn.BatchNorm1d(ACT_SHAPE[1], eps=BN_EPS, momentum=BN_MOMENTUM).train()
    x = torch.randn(*ACT_SHAPE, requires_grad=True)
    upstream = torch.randn(*ACT_SHAPE)
    wrt = [x, bn.weight, bn.bias]

    def step():
        y = bn(x)
        torch.autograd.grad(y, wrt, upstream)

    what = (
        f"nn.BatchNorm1d({ACT_SHAPE[1]}, eps={BN_EPS}, momentum={BN_MOMENTUM}) in train mode on "
        f"[{ACT_SHAPE[0]}, {ACT_SHAPE[1]}]: forward (batch statistics, running-statistics "
        "update), then torch.autograd.grad for x, gamma, beta given a fixed upstream gradient"
    )
    return step, ACT_SHAPE[0] * ACT_SHAPE[1], "elements/s", what


# --------------------------------------------------------------------------------------------
# Inference: batch norm in eval mode vs folded into the dense layers


def bn_inference_net():
    """784-300-100-10 ReLU with BatchNorm1d before each hidden activation, in eval mode, with
    non-trivial running statistics and affine parameters (so the folding check means something)."""
    model = dense_net([300, 100], "relu", batch_norm=True)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.normal_(0.0, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
    return model.eval()


def fold_batch_norm(model):
    """The same net with each BatchNorm1d folded into the Linear before it:
    W' = W * s[:, None], b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps)."""
    layers = []
    modules = list(model)
    i = 0
    while i < len(modules):
        m = modules[i]
        if isinstance(m, nn.Linear) and i + 1 < len(modules) and isinstance(modules[i + 1], nn.BatchNorm1d):
            bn = modules[i + 1]
            folded = nn.Linear(m.in_features, m.out_features, bias=True)
            with torch.no_grad():
                s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                b = m.bias if m.bias is not None else torch.zeros(m.out_features)
                folded.weight.copy_(m.weight * s[:, None])
                folded.bias.copy_((b - bn.running_mean) * s + bn.bias)
            layers.append(folded)
            i += 2
        else:
            layers.append(m)
            i += 1
    return nn.Sequential(*layers).eval()


_INFERENCE_NETS = {}


def _inference_nets():
    if not _INFERENCE_NETS:
        bn = bn_inference_net()
        folded = fold_batch_norm(bn)
        x = torch.randn(INFERENCE_BATCH, INPUTS)
        with torch.inference_mode():
            diff = (bn(x) - folded(x)).abs().max().item()
        if not diff < 1e-3:
            raise RuntimeError(f"folded net differs from the batch-norm net by {diff}")
        _INFERENCE_NETS.update(bn=bn, folded=folded, x=x, diff=diff)
    return _INFERENCE_NETS


def inference_case(kind):
    nets = _inference_nets()
    model, x = nets[kind], nets["x"]

    def step():
        with torch.inference_mode():
            model(x)

    if kind == "bn":
        what = "784-300-100-10 ReLU, Linear without bias + BatchNorm1d before each hidden activation, eval mode"
    else:
        what = (
            "the same net with each BatchNorm1d folded into the Linear before it "
            f"(max |difference| of the logits {nets['diff']:.2e})"
        )
    what += f"; forward only under torch.inference_mode(), batch {INFERENCE_BATCH}"
    return step, INFERENCE_BATCH, "samples/s", what


# --------------------------------------------------------------------------------------------
# The matrix-product peak

PEAK_SIDE = 2048


def peak_case():
    a = torch.randn(PEAK_SIDE, PEAK_SIDE)
    b = torch.randn(PEAK_SIDE, PEAK_SIDE)
    out = torch.empty(PEAK_SIDE, PEAK_SIDE)

    def step():
        torch.mm(a, b, out=out)

    what = (
        f"torch.mm of two {PEAK_SIDE} x {PEAK_SIDE} float32 matrices of standard normal values "
        "into a preallocated output (out=)"
    )
    return step, 2 * PEAK_SIDE**3, "FLOP/s", what


# --------------------------------------------------------------------------------------------
# The row list


def all_rows():
    """(group, id, factory) in report order; the factory builds the case when the row runs."""
    rows = []
    for net, opt, batch in TRAIN_ROWS:
        rows.append(("train_step", f"{net}/{opt}/{batch}", lambda n=net, o=opt, b=batch: train_step_case(n, o, b)))
    for name in ACTIVATIONS:
        rows.append(("activation", name, lambda n=name: activation_case(n)))
    rows.append(("batch_norm", "train_step", batch_norm_case))
    for kind in ("bn", "folded"):
        rows.append(("inference", kind, lambda k=kind: inference_case(k)))
    for row_id, net in EPOCH_ROWS:
        rows.append(("epoch", row_id, lambda n=net: epoch_case(n)))
    rows.append(("peak", "sgemm_2048", peak_case))
    return rows


# --------------------------------------------------------------------------------------------
# Timing


def measure(step, settings):
    """Warm up for settings.warmup_seconds (at least 3 calls), size a window from the warm-up's
    later calls, then time settings.windows windows. Returns (seconds per call per window, calls per
    window)."""
    call_times = []
    start = time.perf_counter()
    while True:
        t = time.perf_counter()
        step()
        now = time.perf_counter()
        call_times.append(now - t)
        if len(call_times) >= 3 and now - start >= settings.warmup_seconds:
            break
    per_call = statistics.median(call_times[len(call_times) // 2 :])
    calls = max(1, round(settings.window_seconds / max(per_call, 1e-9)))
    windows = []
    for _ in range(settings.windows):
        t = time.perf_counter()
        for _ in range(calls):
            step()
        windows.append((time.perf_counter() - t) / calls)
    return windows, calls


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    """The 1-minute load average (None where unknown): a busy machine makes the numbers meaningless,
    and more so with several threads (a thread that the OS schedules late stalls every parallel
    region), so it is recorded before and after the run."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="PyTorch CPU reference timings for trainbench's criterion benches (JSON out)."
    )
    parser.add_argument("out", nargs="?", default="-", help="output JSON path, '-' for stdout (default)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--windows", type=int, default=None, help="timed windows per row (default 9; 3 with --quick)")
    parser.add_argument(
        "--window-seconds", type=float, default=None, help="target length of one window (default 0.75; 0.05 with --quick)"
    )
    parser.add_argument(
        "--warmup-seconds", type=float, default=None, help="warm-up per row (default 1.0; 0.05 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: short windows, few of them")
    parser.add_argument("--only", default=None, help="only rows whose 'group/id' matches this regex")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed (default 0)")
    parser.add_argument("--list", action="store_true", help="print the row names and exit")
    args = parser.parse_args(argv)

    rows = all_rows()
    if args.only:
        pattern = re.compile(args.only)
        rows = [r for r in rows if pattern.search(f"{r[0]}/{r[1]}")]
    if args.list:
        for group, row_id, _ in rows:
            print(f"{group}/{row_id}")
        return 0

    settings = argparse.Namespace(
        windows=args.windows if args.windows is not None else (3 if args.quick else 9),
        window_seconds=args.window_seconds if args.window_seconds is not None else (0.05 if args.quick else 0.75),
        warmup_seconds=args.warmup_seconds if args.warmup_seconds is not None else (0.05 if args.quick else 1.0),
    )
    if settings.windows < 1 or settings.window_seconds <= 0 or settings.warmup_seconds < 0 or args.threads < 1:
        parser.error("--windows and --threads must be >= 1, --window-seconds > 0, --warmup-seconds >= 0")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    load_before = load_average()
    results = []
    skipped = []
    for group, row_id, factory in rows:
        name = f"{group}/{row_id}"
        try:
            step, units, unit, what = factory()
            step()  # fails here, not mid-measurement, if this build lacks the kernel (e.g. fused Adam)
        except (RuntimeError, NotImplementedError, TypeError, ValueError) as e:
            print(f"{name}: skipped ({type(e).__name__}: {e})", file=sys.stderr)
            skipped.append({"group": group, "id": row_id, "reason": f"{type(e).__name__}: {e}"})
            continue
        windows, calls = measure(step, settings)
        seconds = statistics.median(windows)
        row = {
            "group": group,
            "id": row_id,
            "unit": unit,
            "per_second": units / seconds,
            "ms_per_iter": seconds * 1e3,
            "windows": [units / w for w in windows],
            "units_per_iter": units,
            "iters_per_window": calls,
            "what": what,
        }
        results.append(row)
        print(
            f"{name:34s} {row['per_second']:14,.0f} {unit:10s} {row['ms_per_iter']:9.4f} ms/iter"
            f"  ({settings.windows} x {calls} iters)",
            file=sys.stderr,
        )

    doc = {
        "generator": GENERATOR,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
        },
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "mkl": torch.backends.mkl.is_available(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "load_average_1min": {"before": load_before, "after": load_average()},
        },
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "settings": {
            "quick": args.quick,
            "windows": settings.windows,
            "window_seconds": settings.window_seconds,
            "warmup_seconds": settings.warmup_seconds,
            "seed": args.seed,
            "only": args.only,
            "statistic": "median over windows of the mean time per iteration in the window",
            "sgd_lr": SGD_LR,
            "adam_lr": ADAM_LR,
            "bn_momentum": BN_MOMENTUM,
            "bn_eps": BN_EPS,
        },
        "rows": results,
        "skipped": skipped,
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
