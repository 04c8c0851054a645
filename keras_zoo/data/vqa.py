"""A synthetic visual question answering set over ``keras_zoo.data.shapes`` images.

Questions (fixed templates, word tokens of ``QUESTION_VOCABULARY``, padded to ``QUESTION_LENGTH``):

- "how many circles ?" / "how many squares ?" / "how many triangles ?" -> "0" .. "3"
- "what colour is the circle ?" (square, triangle), asked only when exactly one such shape is
  visible -> "cyan", "magenta" or "yellow"

The answer is computed from the drawn pixels: a count of the visible instances of the class,
and the colour name of the one instance (shapes are drawn with one RGB channel low: a low blue
is "yellow", a low green "magenta", a low red "cyan"). Everything is a function of the seed.
"""

from __future__ import annotations

import numpy as np

from keras_zoo.data import shapes

QUESTION_VOCABULARY = ("", "[UNK]", "how", "many", "circles", "squares", "triangles", "what",
                       "colour", "is", "the", "circle", "square", "triangle", "?")
ANSWERS = ("0", "1", "2", "3", "cyan", "magenta", "yellow")
QUESTION_LENGTH = 6
_PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles"}
_COLOUR_OF_LOW_CHANNEL = ("cyan", "magenta", "yellow")  # low R, low G, low B


def encode_question(question):
    """A question string -> int32 ids ``[QUESTION_LENGTH]`` (OOV -> 1, padded with 0; longer
    questions are refused with a ValueError)."""
    index = {w: i for i, w in enumerate(QUESTION_VOCABULARY)}
    words = question.lower().replace("?", " ?").split()
    if len(words) > QUESTION_LENGTH:
        raise ValueError(f"question has {len(words)} words, at most {QUESTION_LENGTH} allowed.")
    ids = [index.get(w, 1) for w in words]
    return np.array(ids + [0] * (QUESTION_LENGTH - len(ids)), np.int32)


def generate(n, image_size=(32, 32), max_objects=3, seed=0):
    """``n`` (image, question, answer) triples.

    Returns a dict: ``images`` uint8 ``[n, H, W, 3]``, ``questions`` int32
    ``[n, QUESTION_LENGTH]``, ``question_text`` (list of str), ``answers`` int32 ``[n]``
    (indices of ``ANSWERS``).
    """
    if not isinstance(max_objects, int) or not 1 <= max_objects <= 3:
        raise ValueError(f"max_objects must be an int in [1, 3] (answers go to 3), "
                         f"got {max_objects!r}.")
    data = shapes.generate(n, image_size=image_size, min_objects=1, max_objects=max_objects,
                           max_overlap=0.0, seed=seed)
    rng = np.random.default_rng(seed + 7919)
    questions, texts, answers = [], [], []
    for i in range(n):
        visible = [(int(k), data["masks"][i, j].astype(bool))
                   for j, k in enumerate(data["classes"][i]) if k >= 0]
        single = [c for c in range(len(shapes.CLASSES))
                  if sum(k == c for k, _ in visible) == 1]
        if single and rng.random() < 0.5:
            c = int(rng.choice(single))
            mask = next(m for k, m in visible if k == c)
            colour = data["images"][i][mask].mean(axis=0)
            text = f"what colour is the {shapes.CLASSES[c]} ?"
            answer = ANSWERS.index(_COLOUR_OF_LOW_CHANNEL[int(np.argmin(colour))])
        else:
            c = int(rng.integers(len(shapes.CLASSES)))
            text = f"how many {_PLURAL[shapes.CLASSES[c]]} ?"
            answer = sum(k == c for k, _ in visible)
        texts.append(text)
        questions.append(encode_question(text))
        answers.append(answer)
    return {"images": data["images"], "questions": np.stack(questions), "question_text": texts,
            "answers": np.array(answers, np.int32)}
