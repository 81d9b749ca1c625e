"""Reference values of Keras 3's gradient clipping and learning-rate schedules, for trainbench's
tests/it/clip_schedule_conformance.rs.

Clipping: for each case, one SGD step with learning_rate 1.0 from zero-valued float32 variables,
with the optimizer's `clipvalue`, `clipnorm` or `global_clipnorm`; the variables afterwards are
minus the clipped gradients Keras applied.

Schedules: Keras's own ExponentialDecay, InverseTimeDecay (the power schedule with c = 1) and
PiecewiseConstantDecay evaluated at given steps; the ReduceLROnPlateau callback driven by a fixed
sequence of validation losses (the learning rate after each epoch); and the textbook's
OneCycleScheduler callback (Geron, Hands-On Machine Learning, chapter 11) run on a tiny model
through `fit`, recording the learning rate of every batch.

Regenerate (from the repository root):
    python3 -m venv /tmp/kerasenv
    /tmp/kerasenv/bin/pip install -r tests/reference/requirements.txt
    KERAS_BACKEND=jax /tmp/kerasenv/bin/python tests/reference/keras_clip_schedules.py
The output is keras_clip_schedules.json beside this script ("-" as the first argument: stdout).
"""

import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_output  # noqa: E402

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

GRADS = [
    ("chapter_example", [[0.9, 100.0]]),
    ("two_tensors", [[3.0, -4.0, 0.5, 0.25, -1.5, 2.0], [0.1, -0.2, 12.0]]),
    ("small", [[0.01, -0.02, 0.03], [0.001]]),
]
CLIPS = [("clip_value", "clipvalue", 1.0), ("clip_norm", "clipnorm", 1.0),
         ("global_clip_norm", "global_clipnorm", 1.0), ("clip_norm_2_5", "clipnorm", 2.5),
         ("global_clip_norm_2_5", "global_clipnorm", 2.5), ("clip_value_0_05", "clipvalue", 0.05)]


def clipped(keras_arg, threshold, grads):
    variables = [keras.Variable(np.zeros(len(g), np.float32)) for g in grads]
    opt = keras.optimizers.SGD(learning_rate=1.0, **{keras_arg: threshold})
    opt.apply_gradients(zip([np.asarray(g, np.float32) for g in grads], variables))
    return [[float(-np.float32(x)) for x in np.asarray(v.value)] for v in variables]


def schedule_values(schedule, steps):
    return [float(np.float32(schedule(s))) for s in steps]


class OneCycleScheduler(keras.callbacks.Callback):
    """The textbook's 1cycle callback, as printed (learning rate only)."""

    def __init__(self, iterations, max_lr=1e-3, start_lr=None, last_iterations=None, last_lr=None):
        super().__init__()
        self.iterations = iterations
        self.max_lr = max_lr
        self.start_lr = start_lr or max_lr / 10
        self.last_iterations = last_iterations or iterations // 10 + 1
        self.half_iteration = (iterations - self.last_iterations) // 2
        self.last_lr = last_lr or self.start_lr / 1000
        self.iteration = 0
        self.seen = []

    def _interpolate(self, iter1, iter2, lr1, lr2):
        return (lr2 - lr1) * (self.iteration - iter1) / (iter2 - iter1) + lr1

    def on_batch_begin(self, batch, logs=None):
        if self.iteration < self.half_iteration:
            lr = self._interpolate(0, self.half_iteration, self.start_lr, self.max_lr)
        elif self.iteration < 2 * self.half_iteration:
            lr = self._interpolate(self.half_iteration, 2 * self.half_iteration, self.max_lr, self.start_lr)
        else:
            lr = self._interpolate(2 * self.half_iteration, self.iterations, self.start_lr, self.last_lr)
        self.iteration += 1
        self.model.optimizer.learning_rate.assign(lr)
        self.seen.append(float(np.float32(self.model.optimizer.learning_rate.numpy())))


def one_cycle(iterations, max_lr):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=max_lr / 10), loss="mse")
    x = np.zeros((iterations, 2), np.float32)
    y = np.zeros((iterations, 1), np.float32)
    cb = OneCycleScheduler(iterations, max_lr=max_lr)
    model.fit(x, y, batch_size=1, epochs=1, callbacks=[cb], verbose=0, shuffle=False)
    return cb.seen


def plateau(losses, **kwargs):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    out = []
    for epoch, loss in enumerate(losses):
        cb.on_epoch_end(epoch, {"val_loss": loss})
        out.append(float(np.float32(model.optimizer.learning_rate.numpy())))
    return out


def main():
    clip_cases = []
    for gname, grads in GRADS:
        for cname, arg, threshold in CLIPS:
            rule = {"clipvalue": "clip_value", "clipnorm": "clip_norm",
                    "global_clipnorm": "global_clip_norm"}[arg]
            clip_cases.append({"name": f"{cname}/{gname}", "rule": rule, "keras_arg": arg,
                               "threshold": threshold, "grads": grads,
                               "clipped": clipped(arg, threshold, grads)})
    steps = list(range(0, 40))
    losses = [1.0, 0.9, 0.95, 0.9, 0.8, 0.8, 0.80005, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69, 0.7, 0.7, 0.7]
    doc = {
        "generator": "tests/reference/keras_clip_schedules.py",
        "versions": {"python": platform.python_version(), "keras": keras.__version__,
                     "backend": keras.backend.backend(), "numpy": np.__version__},
        "clipping": clip_cases,
        "schedules": {
            "steps": steps,
            "exponential": {"initial_learning_rate": 0.01, "decay_steps": 10, "decay_rate": 0.1,
                            "values": schedule_values(keras.optimizers.schedules.ExponentialDecay(
                                0.01, decay_steps=10, decay_rate=0.1), steps)},
            "power": {"initial_learning_rate": 0.01, "decay_steps": 5,
                      "values": schedule_values(keras.optimizers.schedules.InverseTimeDecay(
                          0.01, decay_steps=5, decay_rate=1.0), steps)},
            "piecewise_constant": {"boundaries": [5, 15], "values": [0.01, 0.005, 0.001],
                                   "epochs": list(range(1, 21)),
                                   "by_epoch": schedule_values(
                                       keras.optimizers.schedules.PiecewiseConstantDecay(
                                           [5, 15], [0.01, 0.005, 0.001]), range(1, 21))},
            "performance": {"initial_learning_rate": 0.1, "losses": losses,
                            "default": {"factor": 0.1, "patience": 10, "min_delta": 1e-4,
                                        "cooldown": 0, "min_lr": 0.0,
                                        "values": plateau(losses)},
                            "chapter": {"factor": 0.5, "patience": 2, "min_delta": 1e-4,
                                        "cooldown": 1, "min_lr": 0.02,
                                        "values": plateau(losses, factor=0.5, patience=2,
                                                          cooldown=1, min_lr=0.02)}},
            "one_cycle": {"iterations": 100, "max_learning_rate": 0.1,
                          "values": one_cycle(100, 0.1)},
        },
    }
    reference_output.write(doc, "keras_clip_schedules.json")


if __name__ == "__main__":
    main()
