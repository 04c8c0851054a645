"""Argument checks and the text-vocabulary handling shared by the sequence models."""

from __future__ import annotations


def check_int(owner, name, value, minimum=1, optional=False):
    if optional and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        more = " or None" if optional else ""
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}{more}, got {value!r}.")


def check_choice(owner, name, value, choices):
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {tuple(choices)}, got {value!r}.")


def check_rate(owner, name, value):
    if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be a float in [0, 1), got {value!r}.")


def resolve_vocabulary(owner, vocabulary, vocabulary_size):
    """``(vocabulary list or None, size)``: a vocabulary (saved with the model) fixes the size."""
    if vocabulary is not None:
        vocabulary = [str(t) for t in vocabulary]
        if vocabulary[:2] != ["", "[UNK]"]:
            raise ValueError(f"{owner}: vocabulary must start with ['', '[UNK]'] (pad, OOV).")
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError(f"{owner}: vocabulary has duplicate tokens.")
        if vocabulary_size not in (None, len(vocabulary)):
            raise ValueError(f"{owner}: vocabulary_size={vocabulary_size} disagrees with the "
                             f"vocabulary's {len(vocabulary)} tokens.")
        return vocabulary, len(vocabulary)
    check_int(owner, "vocabulary_size", vocabulary_size, minimum=2)
    return None, vocabulary_size


#: Why a model that serves raw strings cannot pass the battery's TFLite checks.
STRING_TFLITE_DEBT = (
    "serving_default takes raw strings and tokenises in-graph with tf.strings ops and a hash "
    "table, which have no TFLite builtins (ai-edge-litert has no Flex delegate); the integer-"
    "token endpoint converts with builtin ops (tests/models/sequence/test_text_models.py, "
    "test_transformers.py)")
