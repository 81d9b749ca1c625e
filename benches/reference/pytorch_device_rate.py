"""PyTorch's twin of `trainbench device-check`'s rate rows, on any torch device (CUDA included).

Times one training step (forward, mean softmax cross-entropy, backward, optimizer step at the
Keras defaults: SGD lr 0.01, Adam lr 0.001) of the nets of pytorch_bench.py (the chapter MLP and
the 20x100 nets) at each batch size, exactly as device-check times trainbench's: 3 warm-up steps,
then WINDOWS windows of STEPS steps each; every step reads its loss back to the host
(`loss.item()`, which also waits for the GPU, as trainbench's training loop reads each
minibatch's loss for its metrics). Writes one JSON document: per row the median window's
samples/s and the slowest and fastest window's.

Usage: pytorch_device_rate.py [OUT.json|-] [--device cuda] [--batches 32,256,1024]
                              [--windows 7] [--steps 20] [--nets mlp,...]
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_bench import CLASSES, CNNS, INPUTS, NETS, OPTIMIZERS, build_net  # noqa: E402


def rate(net, opt_id, batch, device, windows, steps):
    model = build_net(net).to(device).train()
    optimizer = OPTIMIZERS[opt_id][1](list(model.parameters()))
    x = torch.randn(batch, INPUTS, device=device)
    y = torch.randint(0, CLASSES, (batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.item()
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    rates = []
    for _ in range(windows):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        rates.append(steps * batch / (time.perf_counter() - start))
    rates.sort()
    return {
        "net": net,
        "optimizer": opt_id,
        "batch": batch,
        "samples_per_second": statistics.median(rates),
        "slowest": rates[0],
        "fastest": rates[-1],
        "steps_per_window": steps,
        "windows": windows,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="-")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batches", default="32,256,1024")
    parser.add_argument("--windows", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--nets", default=",".join(list(NETS) + list(CNNS)))
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    rows = []
    print(f"{'net':<20} {'opt':>5} {'batch':>6} {'samples/s':>14} {'range':>24}", file=sys.stderr)
    for net in args.nets.split(","):
        for opt_id in ("sgd", "adam") if net == "mlp" else ("sgd",):
            for batch in (int(b) for b in args.batches.split(",")):
                r = rate(net, opt_id, batch, device, args.windows, args.steps)
                print(
                    f"{net:<20} {opt_id:>5} {batch:>6} {r['samples_per_second']:>14.0f} "
                    f"{r['slowest']:>11.0f} – {r['fastest']:<11.0f}",
                    file=sys.stderr,
                )
                rows.append(r)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    doc = {
        "generator": "benches/reference/pytorch_device_rate.py",
        "torch": torch.__version__,
        "device": str(device),
        "device_name": name,
        "rates": rows,
    }
    text = json.dumps(doc, indent=2)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
