"""Reference values of rrelu (randomized leaky ReLU, Xu et al. 2015) in inference mode and its
derivative, from PyTorch (Keras has no rrelu), for trainbench's tests/it/activation_conformance.rs.
In inference mode rrelu is a leaky ReLU with slope (lower + upper)/2; in training mode its slopes
are random, so the test checks their range and their use in the gradient instead.

Regenerate (from the repository root, with the virtualenv of benches/reference/requirements.txt):
    /tmp/torchenv/bin/python tests/reference/torch_rrelu.py
The output is torch_rrelu.json beside this script ("-" as the first argument: stdout).
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_output  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# The points of keras_activations.py.
X = [-20.0, -8.0, -4.5, -3.0, -2.0, -1.5, -1.0, -0.7, -0.3, -0.05, -1e-3, 1e-3, 0.05, 0.3,
     0.7, 1.0, 1.5, 2.0, 3.0, 4.5, 8.0, 20.0]

CASES = [{"lower": 1.0 / 8.0, "upper": 1.0 / 3.0}, {"lower": 0.1, "upper": 0.3}]


def main():
    x32 = torch.tensor(X, dtype=torch.float32)
    cases = []
    for params in CASES:
        x = x32.clone().requires_grad_(True)
        y = F.rrelu(x, lower=params["lower"], upper=params["upper"], training=False)
        y.sum().backward()
        cases.append({"name": "rrelu", "params": params,
                      "y": [float(v) for v in y.detach()],
                      "dy": [float(v) for v in x.grad]})
    doc = {
        "generator": "tests/reference/torch_rrelu.py",
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "x": [float(v) for v in x32],
        "cases": cases,
    }
    reference_output.write(doc, "torch_rrelu.json")


if __name__ == "__main__":
    main()
