"""The synthetic preference data of RLHF (keras_zoo.data.preferences)."""

from __future__ import annotations

import numpy as np
import pytest

from keras_zoo.data import preferences


def test_preference_pairs_prefer_the_higher_vowel_score_and_share_the_prompt():
    chosen, rejected = preferences.preference_pairs(200, prompt_length=3, completion_length=6)
    assert chosen.shape == rejected.shape == (200, 10)
    assert (chosen[:, 0] == preferences.START).all()
    np.testing.assert_array_equal(chosen[:, :4], rejected[:, :4])
    assert (preferences.vowel_score(chosen[:, 4:]) > preferences.vowel_score(rejected[:, 4:])).all()
    # With Bradley-Terry label noise some pairs go the other way, fewer as the margin grows.
    noisy_c, noisy_r = preferences.preference_pairs(2000, 3, 6, temperature=3.0, seed=1)
    flipped = preferences.vowel_score(noisy_c[:, 4:]) < preferences.vowel_score(noisy_r[:, 4:])
    assert 0.05 < flipped.mean() < 0.45
    assert preferences.vowel_score([[2, 6, 3, 0]]) == pytest.approx(2 / 3)  # a, e of a, e, b
    assert preferences.decode([1, 2, 6, 3, 0]) == "aeb"


def test_demonstrations_continue_in_the_prompt_letters_and_split_lengths():
    texts = preferences.demonstrations(50, prompt_length=3, completion_length=5)
    assert texts.shape == (50, 9)
    for text in texts:
        assert set(text[4:]) <= set(text[1:4])
    assert preferences.split_lengths(13) == (4, 8)
    assert preferences.split_lengths(6) == (1, 4)
    with pytest.raises(ValueError, match="no room"):
        preferences.split_lengths(2)
    with pytest.raises(ValueError, match="n must be a positive int"):
        preferences.preference_pairs(0)
