"""Reference values of learned activations -- Keras 3's PReLU layer and a learned swish -- alone and
trained inside small networks, for trainbench's learned-activation conformance tests. All in
float32.

Keras has no learned swish, so `LearnedSwish` below is a minimal custom Keras layer for the
TECHNIQUES.md definition swish(β) = z·σ(βz) with a trainable per-unit β of shape [units], written
with keras.ops. `keras.layers.PReLU()` (default arguments: per-unit alpha of shape [units], alpha
initialised to zeros) computes relu(z) - alpha * relu(-z), i.e. z for z > 0 and alpha·z otherwise.

layer_cases: each layer on a fixed 4x3 batch x with a given parameter (PReLU alpha
[0.0, 0.25, -0.1], swish beta [1.0, 0.6, 1.5]); the output y and the gradients of sum(y * u), for a
fixed upstream u, with respect to x and the parameter, by JAX autodiff (jax.grad, not jitted) of
`layer.stateless_call` -- the layer's own code.

training_cases: Input(4) -> Dense(3) -> PReLU() -> Dense(2) with alpha initialised to zeros (the
Keras default, "prelu") and to 0.1 ("prelu_alpha0.1"), and Input(4) -> Dense(3) -> LearnedSwish(beta
initialised to 1.0) -> Dense(2) ("swish_learned"); kernels drawn from a seeded numpy rng as
uniform(-0.7, 0.7) ([fan_in, fan_out]), biases zero. Each is compiled with the mean sparse
categorical cross-entropy from logits (`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`,
Keras's default compile settings, so the train step is jitted by XLA) and one of SGD,
SGD(momentum=0.9), SGD(momentum=0.9, nesterov=True), Adagrad, RMSprop, Adam, Adamax, Nadam, AdamW,
all with their Keras defaults except learning_rate=0.05, and trained 3 steps with
`model.train_on_batch(x, labels)` on one fixed batch of 6. Recorded: the hyperparameters in effect
(read back from `optimizer.get_config()`), every weight (model.weights order) at the start and
after each step. AdamW's weight decay (default 0.004) applies to every trainable variable, the
biases, PReLU alpha and swish beta included: Keras excludes nothing unless told to.

Regenerate (from the repository root, with the virtualenv of requirements.txt):
    KERAS_BACKEND=jax /tmp/kerasenv/bin/python tests/reference/keras_learned_activations.py
The output is keras_learned_activations.json beside this script ("-" as the first argument: stdout).
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
O = keras.optimizers


class LearnedSwish(L.Layer):
    """y = x * sigmoid(beta * x), with a trainable beta of shape [units]."""

    def __init__(self, beta_initializer=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta_initializer = beta_initializer

    def build(self, input_shape):
        self.beta = self.add_weight(shape=(input_shape[-1],), name="beta",
                                    initializer=keras.initializers.Constant(self.beta_initializer))

    def call(self, inputs):
        return inputs * keras.ops.sigmoid(self.beta * inputs)


# layer_cases
LAYER_X = np.array([[-2.0, -0.5, 1.0], [0.3, -1.2, -3.0], [2.5, -0.01, 0.7], [-4.0, 0.2, -0.8]],
                   np.float32)
LAYER_U = np.random.default_rng(4).normal(0.0, 1.0, (4, 3)).astype(np.float32)
LAYER_CASES = [
    ("prelu", lambda: L.PReLU(), "alpha", [0.0, 0.25, -0.1]),
    ("swish_learned", lambda: LearnedSwish(), "beta", [1.0, 0.6, 1.5]),
]

# training_cases
TRAIN_X = np.random.default_rng(3).normal(0.0, 1.0, (6, 4)).astype(np.float32)
TRAIN_LABELS = np.array([0, 1, 1, 0, 1, 0], np.int32)
KERNEL_SEED = 11
KERNEL_SCALE = 0.7
STEPS = 3
LEARNING_RATE = 0.05
MODELS = {
    "prelu": lambda: L.PReLU(),
    "prelu_alpha0.1": lambda: L.PReLU(alpha_initializer=keras.initializers.Constant(0.1)),
    "swish_learned": lambda: LearnedSwish(1.0),
}
OPTIMIZERS = [
    ("sgd", lambda: O.SGD(learning_rate=LEARNING_RATE)),
    ("momentum", lambda: O.SGD(learning_rate=LEARNING_RATE, momentum=0.9)),
    ("nesterov", lambda: O.SGD(learning_rate=LEARNING_RATE, momentum=0.9, nesterov=True)),
    ("adagrad", lambda: O.Adagrad(learning_rate=LEARNING_RATE)),
    ("rmsprop", lambda: O.RMSprop(learning_rate=LEARNING_RATE)),
    ("adam", lambda: O.Adam(learning_rate=LEARNING_RATE)),
    ("adamax", lambda: O.Adamax(learning_rate=LEARNING_RATE)),
    ("nadam", lambda: O.Nadam(learning_rate=LEARNING_RATE)),
    ("adamw", lambda: O.AdamW(learning_rate=LEARNING_RATE)),
]
# The hyperparameters recorded where the optimizer's config has them (and they are not None).
KEYS = ["learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho", "centered",
        "amsgrad", "initial_accumulator_value", "weight_decay"]


def flat(a):
    return [float(v) for v in np.asarray(a, np.float32).ravel()]


def layer_case(name, make, param_name, param):
    layer = make()
    layer.build((None, 3))
    assert [v.name for v in layer.weights] == [param_name]
    variable = layer.weights[0]
    variable.assign(np.array(param, np.float32))
    u = jnp.asarray(LAYER_U)

    def objective(x, params):
        y, _ = layer.stateless_call(params, [], x)
        return jnp.sum(y * u), y

    (dx, (dparam,)), y = jax.grad(objective, argnums=(0, 1), has_aux=True)(
        jnp.asarray(LAYER_X), [jnp.asarray(variable.value)])
    assert np.array_equal(np.asarray(layer(LAYER_X), np.float32), np.asarray(y, np.float32))
    return {
        "name": name,
        "x": flat(LAYER_X),
        "shape": list(LAYER_X.shape),
        "param": param,
        "upstream": flat(LAYER_U),
        "y": flat(y),
        "dx": flat(dx),
        "dparam": flat(dparam),
    }


KINDS = {L.Dense: ("dense", ("kernel", "bias")), L.PReLU: ("prelu", ("alpha",)),
         LearnedSwish: ("swish", ("beta",))}


def weights(model):
    """Every variable of the model, in model.weights order, tagged with its layer."""
    owner = {}
    for index, layer in enumerate(model.layers):
        for v in layer.weights:
            owner[id(v)] = (index, layer)
    out = []
    for v in model.weights:
        index, layer = owner[id(v)]
        kind, names = KINDS[type(layer)]
        assert v.name in names, (kind, v.name)
        out.append({"layer": index, "kind": kind, "name": v.name, "shape": list(v.shape),
                    "values": flat(v.value)})
    return out


def build(model_name):
    model = keras.Sequential([keras.Input((4,)), L.Dense(3), MODELS[model_name](), L.Dense(2)])
    rng = np.random.default_rng(KERNEL_SEED)
    for layer in model.layers:
        if isinstance(layer, L.Dense):
            fan_in, fan_out = layer.kernel.shape
            layer.kernel.assign(rng.uniform(-KERNEL_SCALE, KERNEL_SCALE, (fan_in, fan_out)).astype(np.float32))
            layer.bias.assign(np.zeros(fan_out, np.float32))
    return model


def training_case(model_name, opt_case, make_optimizer):
    model = build(model_name)
    initial = weights(model)
    optimizer = make_optimizer()
    config = optimizer.get_config()
    described = {"name": type(optimizer).__name__.lower()}
    described.update({k: config[k] for k in KEYS if k in config and config[k] is not None})
    assert described["learning_rate"] == float(np.float32(LEARNING_RATE)), described
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    steps = []
    for _ in range(STEPS):
        model.train_on_batch(TRAIN_X, TRAIN_LABELS)
        steps.append(weights(model))
    return {
        "case": f"{model_name}/{opt_case}",
        "model": model_name,
        "optimizer": described,
        "x": flat(TRAIN_X),
        "labels": [int(v) for v in TRAIN_LABELS],
        "initial": initial,
        "steps": steps,
    }


def main():
    keras.utils.set_random_seed(0)
    doc = {
        "generator": "tests/reference/keras_learned_activations.py",
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "backend": keras.backend.backend(), "jax": jax.__version__,
                     "numpy": np.__version__},
        "layer_cases": [layer_case(*case) for case in LAYER_CASES],
        "training_cases": [training_case(m, *opt) for m in MODELS for opt in OPTIMIZERS],
    }
    reference_output.write(doc, "keras_learned_activations.json")


if __name__ == "__main__":
    main()
