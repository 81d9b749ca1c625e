"""Reference values of the chapter's activations and their derivatives, for trainbench's
tests/it/activation_conformance.rs: Keras 3's own activations where Keras has them (relu, sigmoid,
tanh, leaky_relu, elu, selu, gelu_tanh = gelu with approximate=True, gelu = the exact z·Φ(z) with
approximate=False, silu, mish, linear; prelu at its initial alpha as leaky_relu), the TECHNIQUES.md formulas in JAX where it has not (gelu_sigmoid
z·σ(1.702z), swish(β) z·σ(βz)); derivatives by JAX autodiff of the same functions, all in float32.

Regenerate (from the repository root, with the virtualenv of requirements.txt):
    KERAS_BACKEND=jax /tmp/kerasenv/bin/python tests/reference/keras_activations.py
The output is keras_activations.json beside this script ("-" as the first argument: stdout).

"at_zero" holds the same cases at z = +0 and -0, the kink of every piecewise activation, where
Keras on JAX defines elu'(0) = alpha, selu'(0) = lambda*alpha, leaky_relu'(0) = 1, relu'(0) = 0:
trainbench's numerics version 2 follows them (issue 11 item 7), version 1 keeps dfdx's 0 for elu
and selu.
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_output  # noqa: E402

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

A = keras.activations
# Points away from the kinks at 0, from saturation to large values.
X = np.array([-20.0, -8.0, -4.5, -3.0, -2.0, -1.5, -1.0, -0.7, -0.3, -0.05, -1e-3, 1e-3, 0.05, 0.3,
              0.7, 1.0, 1.5, 2.0, 3.0, 4.5, 8.0, 20.0], np.float32)

CASES = [
    ("relu", {}, lambda x: A.relu(x)),
    ("sigmoid", {}, lambda x: A.sigmoid(x)),
    ("tanh", {}, lambda x: A.tanh(x)),
    ("leaky_relu", {"alpha": 0.2}, lambda x: A.leaky_relu(x, negative_slope=0.2)),
    ("leaky_relu", {"alpha": 0.01}, lambda x: A.leaky_relu(x, negative_slope=0.01)),
    ("elu", {"alpha": 1.0}, lambda x: A.elu(x, alpha=1.0)),
    ("elu", {"alpha": 0.5}, lambda x: A.elu(x, alpha=0.5)),
    ("selu", {}, lambda x: A.selu(x)),
    ("gelu_tanh", {}, lambda x: A.gelu(x, approximate=True)),
    ("gelu", {}, lambda x: A.gelu(x, approximate=False)),
    ("gelu_sigmoid", {}, lambda x: x * jax.nn.sigmoid(jnp.float32(1.702) * x)),
    ("swish", {"beta": 0.6}, lambda x: x * jax.nn.sigmoid(jnp.float32(0.6) * x)),
    ("silu", {}, lambda x: A.silu(x)),
    ("mish", {}, lambda x: A.mish(x)),
    ("linear", {}, lambda x: A.linear(x)),
    # PReLU before training, at its initial alpha (tests/it/learned_activation_conformance.rs checks
    # the learned alpha against Keras's PReLU layer): Keras's leaky_relu with that slope.
    ("prelu", {"alpha": 0.25}, lambda x: A.leaky_relu(x, negative_slope=0.25)),
]


# The kink of every piecewise activation, from both sides of the sign.
AT_ZERO = np.array([0.0, -0.0], np.float32)


def evaluate(x):
    """Every case's values and derivatives at the points x."""
    cases = []
    for name, params, f in CASES:
        y = np.asarray(f(jnp.asarray(x)), np.float32)
        dy = np.asarray(jax.vmap(jax.grad(lambda v: f(v)))(jnp.asarray(x)), np.float32)
        cases.append({"name": name, "params": params, "y": [float(v) for v in y],
                      "dy": [float(v) for v in dy]})
    return cases


def main():
    cases = evaluate(X)
    doc = {
        "generator": "tests/reference/keras_activations.py",
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "backend": keras.backend.backend(), "jax": jax.__version__,
                     "numpy": np.__version__},
        "x": [float(v) for v in X],
        "cases": cases,
        "at_zero": {"x": [float(v) for v in AT_ZERO], "cases": evaluate(AT_ZERO)},
    }
    reference_output.write(doc, "keras_activations.json")


if __name__ == "__main__":
    main()
