"""Reference values of Keras 3's Conv2D and MaxPooling2D layers for trainbench's convolution
conformance tests (tests/it/conv_conformance.rs). All in float32, channels_last.

conv_cases: `keras.layers.Conv2D` with a fixed kernel [kh, kw, c_in, c_out] and bias on a fixed
batch of 2 images, for valid and same padding at strides 1 and 2 (even and odd sizes, so
TensorFlow's convention of putting the odd padding row/column below/right is exercised).
pool_cases: `keras.layers.MaxPooling2D` (2x2 stride 2 valid; 2x2 stride 2 same on an odd size;
3x3 stride 1 valid). Recorded for each: the input, the weights, the output of the layer's call,
and the gradients of sum(y * u), for a fixed upstream u, with respect to the input (and the
kernel and bias) by JAX autodiff (jax.grad, not jitted) of `layer.stateless_call(...)` -- the
layer's own code, not a re-implementation. Inputs are continuous random values, so no window has
tied maxima.

Regenerate (from the repository root, with the virtualenv of requirements.txt):
    KERAS_BACKEND=jax /tmp/kerasenv/bin/python tests/reference/keras_conv.py
The output is keras_conv.json beside this script ("-" as the first argument: stdout).
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

L = keras.layers

# (name, height, width, c_in, c_out, kernel, stride, padding)
CONV_CASES = [
    ("valid_3x3_s1", 6, 5, 2, 3, 3, 1, "valid"),
    ("same_3x3_s1", 6, 5, 2, 3, 3, 1, "same"),
    ("valid_3x3_s2", 7, 6, 2, 3, 3, 2, "valid"),
    ("same_2x2_s2_odd", 5, 5, 1, 2, 2, 2, "same"),
    ("lenet_5x5", 8, 8, 1, 4, 5, 1, "valid"),
]
# (name, height, width, channels, pool, stride, padding)
POOL_CASES = [
    ("pool_2x2_s2", 6, 6, 3, 2, 2, "valid"),
    ("pool_2x2_s2_same_odd", 5, 5, 2, 2, 2, "same"),
    ("pool_3x3_s1", 5, 6, 2, 3, 1, "valid"),
]
BATCH = 2


def flat(a):
    return [float(v) for v in np.asarray(a, np.float32).reshape(-1)]


def conv_case(i, name, h, w, cin, cout, k, stride, padding):
    rng = np.random.default_rng(100 + i)
    x = rng.normal(0.0, 1.0, (BATCH, h, w, cin)).astype(np.float32)
    kernel = rng.uniform(-0.5, 0.5, (k, k, cin, cout)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, (cout,)).astype(np.float32)
    layer = L.Conv2D(cout, k, strides=stride, padding=padding)
    layer.build((None, h, w, cin))
    layer.set_weights([kernel, bias])
    y = np.asarray(layer(x))
    u = rng.normal(0.0, 1.0, y.shape).astype(np.float32)

    def loss(xx, kk, bb):
        out, _ = layer.stateless_call([kk, bb], [], xx)
        return jnp.sum(out * u)

    gx, gk, gb = jax.grad(loss, argnums=(0, 1, 2))(
        jnp.asarray(x), jnp.asarray(kernel), jnp.asarray(bias)
    )
    return {
        "name": name,
        "height": h,
        "width": w,
        "channels": cin,
        "filters": cout,
        "kernel_size": k,
        "stride": stride,
        "padding": padding,
        "batch": BATCH,
        "x": flat(x),
        "kernel": flat(kernel),
        "bias": flat(bias),
        "y_shape": list(y.shape),
        "y": flat(y),
        "upstream": flat(u),
        "grad_x": flat(gx),
        "grad_kernel": flat(gk),
        "grad_bias": flat(gb),
    }


def pool_case(i, name, h, w, c, pool, stride, padding):
    rng = np.random.default_rng(200 + i)
    x = rng.normal(0.0, 1.0, (BATCH, h, w, c)).astype(np.float32)
    layer = L.MaxPooling2D(pool, strides=stride, padding=padding)
    y = np.asarray(layer(x))
    u = rng.normal(0.0, 1.0, y.shape).astype(np.float32)

    def loss(xx):
        out, _ = layer.stateless_call([], [], xx)
        return jnp.sum(out * u)

    gx = jax.grad(loss)(jnp.asarray(x))
    return {
        "name": name,
        "height": h,
        "width": w,
        "channels": c,
        "pool_size": pool,
        "stride": stride,
        "padding": padding,
        "batch": BATCH,
        "x": flat(x),
        "y_shape": list(y.shape),
        "y": flat(y),
        "upstream": flat(u),
        "grad_x": flat(gx),
    }


def main():
    doc = {
        "about": __doc__.strip().splitlines()[0],
        "versions": {
            "keras": keras.__version__,
            "jax": jax.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "backend": keras.backend.backend(),
        },
        "conv_cases": [conv_case(i, *c) for i, c in enumerate(CONV_CASES)],
        "pool_cases": [pool_case(i, *c) for i, c in enumerate(POOL_CASES)],
    }
    reference_output.write(doc, "keras_conv.json")


if __name__ == "__main__":
    main()
