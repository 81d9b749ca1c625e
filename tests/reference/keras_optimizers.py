"""Reference trajectories of Keras 3's optimizers, for trainbench's conformance tests.

A fixed float32 problem: two parameter tensors, "kernel" (2x3) and "bias" (3), and the loss
L = sum_i 0.5 * a_i * (theta_i - c_i)^2 over the 9 values (kernel row-major, then bias). At each of
25 steps the gradient g = a * (theta - c) is computed in float32 numpy from the current values
(closed loop) and applied with `optimizer.apply_gradients(zip(grads, variables))` to float32
`keras.Variable`s. The values after every step, the hyperparameters in effect (read back from
`optimizer.get_config()`) and the exact package versions are written to JSON.
tests/it/optimizer_conformance.rs replays the same problem with trainbench's optimizers.

Regenerate (from the repository root):
    python3 -m venv /tmp/kerasenv
    /tmp/kerasenv/bin/pip install -r tests/reference/requirements.txt
    KERAS_BACKEND=jax /tmp/kerasenv/bin/python tests/reference/keras_optimizers.py tests/reference/keras_optimizers.json
The output path defaults to keras_optimizers.json beside this script; "-" writes to stdout, so
`... keras_optimizers.py - > tests/reference/keras_optimizers.json` works too.
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_output  # noqa: E402

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

KERNEL0 = [[0.5, -1.5, 2.0], [-0.25, 1.0, 3.0]]
BIAS0 = [0.1, -0.2, 0.3]
A = [0.01, 0.1, 1.0, 10.0, 2.0, 0.5, 5.0, 0.05, 1.5]
C = [1.0, -1.0, 0.0, 0.5, -2.0, 2.0, 0.25, -0.5, 1.0]
STEPS = 25

O = keras.optimizers
CASES = [
    ("sgd", lambda: O.SGD()),
    ("momentum", lambda: O.SGD(momentum=0.9)),
    ("nesterov", lambda: O.SGD(momentum=0.9, nesterov=True)),
    ("adagrad", lambda: O.Adagrad()),
    ("rmsprop", lambda: O.RMSprop()),
    ("adam", lambda: O.Adam()),
    ("adamax", lambda: O.Adamax()),
    ("nadam", lambda: O.Nadam()),
    ("adamw", lambda: O.AdamW()),
    ("lion", lambda: O.Lion()),
    ("sgd_custom", lambda: O.SGD(learning_rate=0.1)),
    ("momentum_custom", lambda: O.SGD(learning_rate=0.05, momentum=0.5)),
    ("nesterov_custom", lambda: O.SGD(learning_rate=0.05, momentum=0.5, nesterov=True)),
    ("adagrad_custom", lambda: O.Adagrad(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-4)),
    ("rmsprop_custom", lambda: O.RMSprop(learning_rate=0.01, rho=0.8, epsilon=1e-4)),
    ("adam_custom", lambda: O.Adam(learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-4)),
    ("adamax_custom", lambda: O.Adamax(learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-4)),
    ("nadam_custom", lambda: O.Nadam(learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-4)),
    ("adamw_custom", lambda: O.AdamW(learning_rate=0.05, weight_decay=0.1, beta_1=0.8, beta_2=0.99, epsilon=1e-4)),
    ("lion_custom", lambda: O.Lion(learning_rate=0.01, beta_1=0.8, beta_2=0.95)),
]
# Hyperparameters every case's config must carry, by Keras class.
REQUIRED = {
    "SGD": ["learning_rate", "momentum"],
    "Adagrad": ["learning_rate", "initial_accumulator_value", "epsilon"],
    "RMSprop": ["learning_rate", "rho", "epsilon"],
    "Adam": ["learning_rate", "beta_1", "beta_2", "epsilon"],
    "Adamax": ["learning_rate", "beta_1", "beta_2", "epsilon"],
    "Nadam": ["learning_rate", "beta_1", "beta_2", "epsilon"],
    "AdamW": ["learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay"],
    "Lion": ["learning_rate", "beta_1", "beta_2"],
}
KEYS = ["learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho",
        "initial_accumulator_value", "weight_decay"]


def trajectory(optimizer):
    kernel = keras.Variable(np.array(KERNEL0, dtype=np.float32))
    bias = keras.Variable(np.array(BIAS0, dtype=np.float32))
    a = np.array(A, dtype=np.float32)
    c = np.array(C, dtype=np.float32)
    out = []
    for _ in range(STEPS):
        theta = np.concatenate([np.asarray(kernel.value).ravel(), np.asarray(bias.value)]).astype(np.float32)
        g = (a * (theta - c)).astype(np.float32)
        grads = [g[:6].reshape(2, 3), g[6:]]
        optimizer.apply_gradients(zip(grads, [kernel, bias]))
        after = np.concatenate([np.asarray(kernel.value).ravel(), np.asarray(bias.value)])
        out.append([float(np.float32(x)) for x in after])
    return out


def main():
    cases = []
    for name, make in CASES:
        optimizer = make()
        config = optimizer.get_config()
        kept = {k: config[k] for k in KEYS if k in config and config[k] is not None}
        missing = [k for k in REQUIRED[type(optimizer).__name__] if k not in kept]
        assert not missing, f"{name}: config lacks {missing}"
        cases.append({
            "name": name,
            "keras_class": type(optimizer).__name__,
            "config": kept,
            "trajectory": trajectory(optimizer),
        })
    backend = keras.backend.backend()
    backend_module = __import__(backend if backend != "tensorflow" else "tensorflow")
    doc = {
        "generator": "tests/reference/keras_optimizers.py",
        "versions": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "backend": backend,
            "backend_version": backend_module.__version__,
            "numpy": np.__version__,
        },
        "problem": {"kernel0": sum(KERNEL0, []), "bias0": BIAS0, "a": A, "c": C, "steps": STEPS},
        "cases": cases,
    }
    reference_output.write(doc, "keras_optimizers.json")


if __name__ == "__main__":
    main()
