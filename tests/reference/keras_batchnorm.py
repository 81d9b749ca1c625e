"""Reference values of Keras 3's BatchNormalization layer, alone and inside small trained networks,
for trainbench's batch-norm conformance tests. All in float32.

layer_cases: `keras.layers.BatchNormalization` (momentum 0.99/epsilon 0.001, the Keras defaults,
and momentum 0.9/epsilon 0.01) on a fixed 6x4 batch, with non-trivial gamma, beta and initial
moving statistics. Recorded: the output of one eager call with training=True, the moving
statistics after it, the output of a training=False call on the same batch afterwards (so with the
updated moving statistics), and the gradients of sum(y_train * u), for a fixed upstream u, with
respect to x, gamma and beta, by JAX autodiff (jax.grad, not jitted) of `layer.stateless_call(...,
training=True)` -- the layer's own code, not a re-implementation. Keras normalizes with the biased
batch variance (jnp.var, divisor N) and also feeds that biased variance into the moving variance
(moving = moving * momentum + batch * (1 - momentum)); the output is x * inv + (beta - mean * inv)
with inv = rsqrt(variance + epsilon) * gamma.

network_cases: two Sequential models, Input(6) -> BatchNormalization -> Dense(5, relu) ->
BatchNormalization -> Dense(3) ("bn_after_activation") and Input(6) -> BatchNormalization ->
Dense(5, use_bias=False) -> BatchNormalization -> Activation(relu) -> Dense(3)
("bn_before_activation"), BN with Keras defaults, kernels drawn from a seeded numpy rng as
uniform(-0.5, 0.5) ([fan_in, fan_out]), biases and beta zero, gamma one, moving mean 0 and moving
variance 1. Each is compiled with the mean sparse categorical cross-entropy from logits
(`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`, Keras's default compile
settings, so the train step is jitted by XLA) and SGD(learning_rate=0.1) or Adam(learning_rate=0.01)
(other arguments default), and trained 3 steps with `model.train_on_batch(x, labels)` on one fixed
batch of 8. Recorded: every weight (model.weights order, moving statistics included) at the start
and after each step, the training=True logits before any step (by `model.stateless_call`, which
leaves the moving statistics alone) and the training=False logits after the 3 steps.

Regenerate (from the repository root, with the virtualenv of requirements.txt):
    KERAS_BACKEND=jax /tmp/kerasenv/bin/python tests/reference/keras_batchnorm.py
The output is keras_batchnorm.json beside this script ("-" as the first argument: stdout).
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

# layer_cases
LAYER_X = np.random.default_rng(0).normal(2.0, 3.0, (6, 4)).astype(np.float32)
LAYER_U = np.random.default_rng(1).normal(0.0, 1.0, (6, 4)).astype(np.float32)
GAMMA = [0.5, 1.0, 1.5, 2.0]
BETA = [-1.0, 0.0, 0.5, 1.0]
MOVING_MEAN = [0.1, -0.2, 0.3, 0.0]
MOVING_VARIANCE = [1.0, 2.0, 0.5, 1.5]
LAYER_CASES = [(0.99, 0.001), (0.9, 0.01)]

# network_cases
NET_X = np.random.default_rng(2).normal(0.0, 1.0, (8, 6)).astype(np.float32)
NET_LABELS = np.array([0, 1, 2, 0, 1, 2, 1, 0], np.int32)
KERNEL_SEED = 10
KERNEL_SCALE = 0.5
STEPS = 3
ARCHITECTURES = {
    "bn_after_activation": lambda: [L.BatchNormalization(), L.Dense(5, activation="relu"),
                                    L.BatchNormalization(), L.Dense(3)],
    "bn_before_activation": lambda: [L.BatchNormalization(), L.Dense(5, use_bias=False),
                                     L.BatchNormalization(), L.Activation("relu"), L.Dense(3)],
}
OPTIMIZERS = [
    ("sgd", 0.1, lambda: keras.optimizers.SGD(learning_rate=0.1)),
    ("adam", 0.01, lambda: keras.optimizers.Adam(learning_rate=0.01)),
]


def flat(a):
    return [float(v) for v in np.asarray(a, np.float32).ravel()]


def f32(a):
    return np.asarray(a, np.float32)


def layer_case(momentum, epsilon):
    layer = L.BatchNormalization(momentum=momentum, epsilon=epsilon)
    layer.build((None, 4))
    layer.gamma.assign(f32(GAMMA))
    layer.beta.assign(f32(BETA))
    layer.moving_mean.assign(f32(MOVING_MEAN))
    layer.moving_variance.assign(f32(MOVING_VARIANCE))
    assert [v.name for v in layer.trainable_variables] == ["gamma", "beta"]
    trainable = [jnp.asarray(v.value) for v in layer.trainable_variables]
    non_trainable = [jnp.asarray(v.value) for v in layer.non_trainable_variables]
    u = jnp.asarray(LAYER_U)

    def objective(x, params):
        y, _ = layer.stateless_call(params, non_trainable, x, training=True)
        return jnp.sum(y * u), y

    (dx, (dgamma, dbeta)), y_grad = jax.grad(objective, argnums=(0, 1), has_aux=True)(
        jnp.asarray(LAYER_X), trainable)

    y_train = f32(layer(LAYER_X, training=True))
    assert np.array_equal(y_train, f32(y_grad)), "stateless_call and eager call disagree"
    moving_mean_after = f32(layer.moving_mean.value)
    moving_variance_after = f32(layer.moving_variance.value)
    y_infer = f32(layer(LAYER_X, training=False))
    return {
        "momentum": momentum,
        "epsilon": epsilon,
        "x": flat(LAYER_X),
        "shape": list(LAYER_X.shape),
        "gamma": GAMMA,
        "beta": BETA,
        "moving_mean": MOVING_MEAN,
        "moving_variance": MOVING_VARIANCE,
        "y_train": flat(y_train),
        "moving_mean_after": flat(moving_mean_after),
        "moving_variance_after": flat(moving_variance_after),
        "y_infer": flat(y_infer),
        "upstream": flat(LAYER_U),
        "dx": flat(dx),
        "dgamma": flat(dgamma),
        "dbeta": flat(dbeta),
    }


KINDS = {L.Dense: "dense", L.BatchNormalization: "batch_norm"}
NAMES = {"dense": ("kernel", "bias"),
         "batch_norm": ("gamma", "beta", "moving_mean", "moving_variance")}


def weights(model):
    """Every variable of the model, in model.weights order, tagged with its layer."""
    owner = {}
    for index, layer in enumerate(model.layers):
        for v in layer.weights:
            owner[id(v)] = (index, KINDS[type(layer)])
    out = []
    for v in model.weights:
        index, kind = owner[id(v)]
        assert v.name in NAMES[kind], (kind, v.name)
        out.append({"layer": index, "kind": kind, "name": v.name, "shape": list(v.shape),
                    "values": flat(v.value)})
    return out


def build(architecture):
    model = keras.Sequential([keras.Input((6,))] + ARCHITECTURES[architecture]())
    rng = np.random.default_rng(KERNEL_SEED)
    for layer in model.layers:
        if isinstance(layer, L.Dense):
            fan_in, fan_out = layer.kernel.shape
            layer.kernel.assign(rng.uniform(-KERNEL_SCALE, KERNEL_SCALE, (fan_in, fan_out)).astype(np.float32))
            if layer.bias is not None:
                layer.bias.assign(np.zeros(fan_out, np.float32))
        elif isinstance(layer, L.BatchNormalization):
            n = layer.gamma.shape[0]
            # The Keras initial values, set explicitly.
            layer.gamma.assign(np.ones(n, np.float32))
            layer.beta.assign(np.zeros(n, np.float32))
            layer.moving_mean.assign(np.zeros(n, np.float32))
            layer.moving_variance.assign(np.ones(n, np.float32))
    return model


def network_case(architecture, opt_name, learning_rate, make_optimizer):
    model = build(architecture)
    initial = weights(model)
    logits_train_first, _ = model.stateless_call(
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables], NET_X, training=True)
    assert weights(model) == initial
    optimizer = make_optimizer()
    config = optimizer.get_config()
    assert type(optimizer).__name__.lower() == opt_name
    assert config["learning_rate"] == float(np.float32(learning_rate)), config
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    steps = []
    for _ in range(STEPS):
        model.train_on_batch(NET_X, NET_LABELS)
        steps.append(weights(model))
    logits_infer = model(NET_X, training=False)
    return {
        "architecture": architecture,
        "optimizer": {"name": opt_name, "learning_rate": config["learning_rate"]},
        "x": flat(NET_X),
        "labels": [int(v) for v in NET_LABELS],
        "initial": initial,
        "steps": steps,
        "logits_infer": flat(logits_infer),
        "logits_train_first": flat(logits_train_first),
    }


def main():
    keras.utils.set_random_seed(0)
    doc = {
        "generator": "tests/reference/keras_batchnorm.py",
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "backend": keras.backend.backend(), "jax": jax.__version__,
                     "numpy": np.__version__},
        "layer_cases": [layer_case(m, e) for m, e in LAYER_CASES],
        "network_cases": [network_case(arch, *opt) for arch in ARCHITECTURES for opt in OPTIMIZERS],
    }
    reference_output.write(doc, "keras_batchnorm.json")


if __name__ == "__main__":
    main()
