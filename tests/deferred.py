"""Paper-size models built for their parameter counts without drawing their weights."""

import contextlib

import keras


@contextlib.contextmanager
def deferred_weights():
    """Models built inside are built for real (the same layers and symbolic build, every
    variable created with its shape) in a ``keras.StatelessScope`` that defers the variables'
    initialization: a paper-size count without tens of millions of random draws. On leaving,
    the session is cleared, which forgets the deferred variables (never initialized); the
    models stay usable for counting."""
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        keras.backend.clear_session()


def assert_deferred(weights):
    """Deferred indeed: none of ``weights`` has a value allocated."""
    assert all(w._value is None for w in weights), "a weight was allocated"
