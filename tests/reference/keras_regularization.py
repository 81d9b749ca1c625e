"""Reference values of Keras 3's weight regularization, for trainbench's
tests/it/regularization_conformance.rs: the l1, l2 and l1_l2 kernel regularizers (penalty, and its
gradient by JAX autodiff), the MaxNorm constraint, and the EarlyStopping callback driven by fixed
validation-loss sequences (when it stops, which epoch's weights it restores).

Regenerate (from the repository root, with the virtualenv of requirements.txt):
    KERAS_BACKEND=jax /tmp/kerasenv/bin/python tests/reference/keras_regularization.py
The output is keras_regularization.json beside this script ("-" as the first argument: stdout).
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_output  # noqa: E402

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

KERNEL = np.array([[0.5, -2.0, 0.0], [1.5, -0.25, 3.0], [-0.75, 0.1, -1.0], [2.0, 0.3, -0.6]],
                  np.float32)  # [fan_in 4, fan_out 3]


def regularizer_case(name, reg):
    penalty = float(np.float32(reg(KERNEL)))
    grad = jax.grad(lambda w: reg(w))(KERNEL)
    return {"name": name, "config": reg.get_config(), "penalty": penalty,
            "gradient": [float(x) for x in np.asarray(grad, np.float32).ravel()]}


def max_norm_case(r):
    out = keras.constraints.MaxNorm(max_value=r, axis=0)(KERNEL)
    return {"max_value": r, "constrained": [float(x) for x in np.asarray(out, np.float32).ravel()]}


def early_stopping_case(losses, patience, min_delta):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    cb = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                       restore_best_weights=True)
    cb.set_model(model)
    model.stop_training = False  # what fit() sets before the first epoch
    cb.on_train_begin()
    epochs_run = 0
    for epoch, loss in enumerate(losses):
        epochs_run += 1
        cb.on_epoch_end(epoch, {"val_loss": loss})
        if model.stop_training:
            break
    return {"losses": losses, "patience": patience, "min_delta": min_delta,
            "epochs_run": epochs_run, "best_epoch": cb.best_epoch + 1}


def main():
    doc = {
        "generator": "tests/reference/keras_regularization.py",
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "backend": keras.backend.backend(), "jax": jax.__version__,
                     "numpy": np.__version__},
        "kernel": {"shape": list(KERNEL.shape), "values": [float(x) for x in KERNEL.ravel()]},
        "regularizers": [
            regularizer_case("l1", keras.regularizers.L1(0.01)),
            regularizer_case("l2", keras.regularizers.L2(0.01)),
            regularizer_case("l1_l2", keras.regularizers.L1L2(l1=0.01, l2=0.01)),
            regularizer_case("l2_big", keras.regularizers.L2(0.5)),
        ],
        "max_norm": [max_norm_case(r) for r in (1.0, 2.0, 10.0)],
        "early_stopping": [
            early_stopping_case([1.0, 0.8, 0.9, 0.85, 0.7, 0.6], 2, 0.0),
            early_stopping_case([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], 2, 0.0),
            early_stopping_case([1.0, 0.95, 0.94, 0.93, 0.5, 0.4, 0.45, 0.41, 0.42], 3, 0.02),
            early_stopping_case([0.5, 0.6, 0.7], 1, 0.0),
        ],
    }
    reference_output.write(doc, "keras_regularization.json")


if __name__ == "__main__":
    main()
