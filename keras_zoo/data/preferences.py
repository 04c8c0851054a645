"""Synthetic preference data for RLHF at toy scale (no download, no human labellers).

A "text" is a prompt of ``prompt_length`` characters followed by a completion of
``completion_length`` characters over ``ALPHABET``. The preference that a labeller would express
is a function anyone can check: a completion is better the more of its characters are vowels
(``vowel_score``). Labels come from the Bradley-Terry model on that score: of two completions of
one prompt, the first is preferred with probability ``sigmoid(temperature * (s1 - s2))``
(``temperature=None``: always the higher-scoring one), so the pairs are as noisy as human ones
can be made. Demonstrations (for the supervised fine-tune) are texts whose completions copy the
prompt's letter mix: the preference is not what the demonstrations teach.

Token ids: ``PAD=0``, ``START=1`` then the alphabet from ``FIRST_SYMBOL=2`` on; every text
begins with ``START`` (the policy's first completion token then has a context).

    prompts = preferences.prompts(64, prompt_length=4)
    chosen, rejected = preferences.preference_pairs(512, prompt_length=4, completion_length=8)
"""

from __future__ import annotations

import numpy as np

PAD, START, FIRST_SYMBOL = 0, 1, 2
ALPHABET = "abcdefgh"
VOWELS = "ae"
#: The vocabulary: padding, the start token and the alphabet.
VOCABULARY_SIZE = FIRST_SYMBOL + len(ALPHABET)
_VOWEL_IDS = np.array([FIRST_SYMBOL + ALPHABET.index(v) for v in VOWELS])


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")


def split_lengths(sequence_length):
    """``(prompt_letters, completion_length)`` of texts ``sequence_length`` tokens long (the
    start token, then a third of the letters as the prompt, the rest the completion)."""
    _check_positive("sequence_length", sequence_length)
    letters = sequence_length - 1
    if letters < 2:
        raise ValueError(f"sequence_length={sequence_length} leaves no room for a prompt letter "
                         "and a completion (>= 3 tokens with the start token).")
    prompt = max(letters // 3, 1)
    return prompt, letters - prompt


def vowel_score(completions):
    """The checkable preference: the fraction of vowels (``VOWELS``) in each completion
    (int ids ``[n, L]``, padding not counted), float32 ``[n]``."""
    completions = np.asarray(completions)
    real = completions != PAD
    vowels = np.isin(completions, _VOWEL_IDS) & real
    return (vowels.sum(-1) / np.maximum(real.sum(-1), 1)).astype(np.float32)


def decode(tokens):
    """Token ids ``[L]`` -> the characters (``START`` and padding dropped)."""
    return "".join(ALPHABET[t - FIRST_SYMBOL] for t in np.asarray(tokens) if t >= FIRST_SYMBOL)


def prompts(n, prompt_length=4, seed=0):
    """``[n, 1 + prompt_length]`` int32: ``START`` then uniformly random letters."""
    _check_positive("n", n)
    _check_positive("prompt_length", prompt_length)
    rng = np.random.default_rng(seed)
    letters = rng.integers(FIRST_SYMBOL, VOCABULARY_SIZE, (n, prompt_length))
    return np.concatenate([np.full((n, 1), START), letters], 1).astype(np.int32)


def demonstrations(n, prompt_length=4, completion_length=8, seed=0):
    """Texts ``[n, 1 + prompt_length + completion_length]`` for the supervised fine-tune: each
    completion draws its letters from its prompt's (a continuation in the prompt's style)."""
    _check_positive("completion_length", completion_length)
    rng = np.random.default_rng(seed)
    start = prompts(n, prompt_length, seed=int(rng.integers(2 ** 31)))
    picks = rng.integers(1, 1 + prompt_length, (n, completion_length))
    return np.concatenate([start, np.take_along_axis(start, picks, 1)], 1).astype(np.int32)


def preference_pairs(n, prompt_length=4, completion_length=8, temperature=None, seed=0):
    """``(chosen, rejected)``, each int32 ``[n, 1 + prompt_length + completion_length]``: two
    random completions of one prompt, ordered by a Bradley-Terry draw on ``vowel_score``
    (``temperature=None``: by the score itself). Completions draw each letter as a vowel with a
    per-completion probability uniform in [0, 1], so scores cover the whole range; ties are
    redrawn."""
    _check_positive("n", n)
    _check_positive("completion_length", completion_length)
    rng = np.random.default_rng(seed)
    start = prompts(n, prompt_length, seed=int(rng.integers(2 ** 31)))

    def completions():
        rate = rng.uniform(size=(n, 1))
        vowel = rng.uniform(size=(n, completion_length)) < rate
        others = np.setdiff1d(np.arange(FIRST_SYMBOL, VOCABULARY_SIZE), _VOWEL_IDS)
        return np.where(vowel, rng.choice(_VOWEL_IDS, (n, completion_length)),
                        rng.choice(others, (n, completion_length)))

    first, second = completions(), completions()
    tied = vowel_score(first) == vowel_score(second)
    while tied.any():
        second[tied] = completions()[tied]
        tied = vowel_score(first) == vowel_score(second)
    margin = vowel_score(first) - vowel_score(second)
    if temperature is None:
        first_wins = margin > 0
    else:
        first_wins = rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-temperature * margin))
    chosen = np.where(first_wins[:, None], first, second)
    rejected = np.where(first_wins[:, None], second, first)
    return (np.concatenate([start, chosen], 1).astype(np.int32),
            np.concatenate([start, rejected], 1).astype(np.int32))
