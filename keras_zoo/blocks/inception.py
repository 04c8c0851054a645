"""Inception modules (GoogLeNet, BN-Inception, Inception v3): parallel branches concatenated
along the channels.

A module is a list of branches; a branch is a list of steps made by ``conv``, ``pool`` and
``split`` (a fork whose sub-branches are concatenated, Inception v3's 1x3 / 3x1 pairs). The
convolution unit is chosen by the model: ``conv_relu`` (GoogLeNet: bias + ReLU), ``conv_bn_relu``
(BN-Inception) or ``conv_bn_relu_v3`` (Inception v3: BN without scale, as keras.applications).
"""

import keras


def check_modules(name, modules, known):
    """``modules`` must be a non-empty subset of the paper's module names ``known``."""
    unknown = [m for m in modules if m not in known]
    if unknown or not modules:
        raise ValueError(f"{name}: modules must be a non-empty subset of {list(known)}, "
                         f"got {modules!r}.")


def conv(filters, kernel_size, strides=1, padding="same", name=None):
    """A convolution step (``kernel_size`` an int or ``(height, width)``)."""
    return ("conv", filters, kernel_size, strides, padding, name)


def pool(kind, size=3, strides=1, padding="same", name=None):
    """A pooling step, ``kind`` "avg" or "max"."""
    if kind not in ("avg", "max"):
        raise ValueError(f"pool: kind must be 'avg' or 'max', got {kind!r}.")
    return (kind, size, strides, padding, name)


def split(*branches, name=None):
    """A fork: each sub-branch runs on the current tensor, the results are concatenated."""
    return ("split", branches, name)


def conv_relu(x, filters, kernel_size, strides, padding, name):
    """GoogLeNet's unit: a convolution with bias followed by ReLU."""
    return keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                               activation="relu", name=name)(x)


def conv_bn_relu(x, filters, kernel_size, strides, padding, name, scale=True, epsilon=1e-3):
    """BN-Inception's unit: convolution without bias, batch normalisation, ReLU."""
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                            use_bias=False, name=name)(x)
    x = keras.layers.BatchNormalization(scale=scale, epsilon=epsilon, name=f"{name}_bn")(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def conv_bn_relu_v3(x, filters, kernel_size, strides, padding, name):
    """Inception v3's unit as keras.applications builds it: BN has no scale (gamma), since a
    ReLU follows and the next convolution can absorb it."""
    return conv_bn_relu(x, filters, kernel_size, strides, padding, name, scale=False)


def run_branch(x, steps, unit, prefix):
    """Applies the steps of one branch; layers are named ``{prefix}_{step name}``."""
    for j, step in enumerate(steps, start=1):
        kind = step[0]
        if kind == "conv":
            _, filters, kernel_size, strides, padding, name = step
            x = unit(x, filters, kernel_size, strides, padding, f"{prefix}_{name or f'conv{j}'}")
        elif kind in ("avg", "max"):
            _, size, strides, padding, name = step
            layer = keras.layers.AveragePooling2D if kind == "avg" else keras.layers.MaxPooling2D
            x = layer(size, strides=strides, padding=padding,
                      name=f"{prefix}_{name or f'{kind}pool{j}'}")(x)
        elif kind == "split":
            _, branches, name = step
            label = name or f"split{j}"
            outs = [run_branch(x, b, unit, f"{prefix}_{label}_{k}")
                    for k, b in enumerate(branches, start=1)]
            x = keras.layers.Concatenate(axis=-1, name=f"{prefix}_{label}")(outs)
        else:
            raise ValueError(f"inception: unknown step {step!r}.")
    return x


def inception_module(x, branches, unit, name, branch_names=None):
    """Runs every branch on ``x`` and concatenates the results (in branch order) as ``name``.

    Args:
        x: the input tensor.
        branches: a list of branches, each a list of steps (``conv``, ``pool``, ``split``).
        unit: the convolution unit ``unit(x, filters, kernel_size, strides, padding, name)``.
        name: the module's name, also the name of its Concatenate layer.
        branch_names: optional prefix of each branch's layer names (default
            ``{name}_branch{i}``).
    """
    if branch_names is None:
        branch_names = [f"{name}_branch{i}" for i in range(1, len(branches) + 1)]
    outs = [run_branch(x, steps, unit, prefix)
            for steps, prefix in zip(branches, branch_names, strict=True)]
    return keras.layers.Concatenate(axis=-1, name=name)(outs)
