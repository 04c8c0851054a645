"""Sentence pairs for BERT's pre-training (Devlin et al., BERT, NAACL 2019, section 3.1 and
appendix A.1): next-sentence pairs from the embedded docstring corpus, packed as
``[CLS] A [SEP] B [SEP]`` with segment ids, and masked for the masked-LM objective.

    pairs = next_sentence_pairs(text.corpus("train"), seed=0)     # [(a, b, is_next), ...]
    ids = pack_pair(a_ids, b_ids, 32, cls_id, sep_id)             # (tokens, segments, mask)

Truncation (BERT's ``truncate_seq_pair``): while ``len(A) + len(B) + 3`` exceeds the length, the
last token of the longer segment is dropped (of A on a tie), so both segments keep their
beginnings and neither is emptied while the other is long.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`'\"(])")


def sentences(text):
    """A document split into sentences (after ``.``, ``!`` or ``?`` and whitespace, before an
    upper-case letter, digit, quote or bracket); empty pieces dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def next_sentence_pairs(texts, seed=0):
    """BERT's next-sentence examples: for each pair of consecutive sentences (A, B) of a
    document, B is kept (``is_next = 1``) half of the time, else replaced by a random sentence of
    another document (``is_next = 0``). Returns a list of ``(a, b, is_next)``."""
    documents = [sentences(t) for t in texts]
    documents = [d for d in documents if d]
    if len(documents) < 2:
        raise ValueError(f"next_sentence_pairs needs at least 2 non-empty documents, got "
                         f"{len(documents)}.")
    rng = np.random.default_rng(seed)
    pairs = []
    for i, doc in enumerate(documents):
        for j in range(len(doc) - 1):
            if rng.random() < 0.5:
                pairs.append((doc[j], doc[j + 1], 1))
            else:
                k = int(rng.integers(len(documents) - 1))
                other = documents[k + (k >= i)]  # any document but this one
                pairs.append((doc[j], other[int(rng.integers(len(other)))], 0))
    return pairs


def truncate_pair(a, b, max_tokens):
    """``(a, b)`` cut to at most ``max_tokens`` tokens together: the last token of the longer
    list goes first (of ``a`` on a tie), as BERT's ``truncate_seq_pair``."""
    a, b = list(a), list(b)
    if max_tokens < 2:
        raise ValueError(f"truncate_pair: max_tokens must be >= 2, got {max_tokens!r}.")
    while len(a) + len(b) > max_tokens:
        if len(a) >= len(b):
            a.pop()
        else:
            b.pop()
    return a, b


def pack_pair(a, b, sequence_length, cls_id, sep_id):
    """``[CLS] A [SEP] B [SEP]`` padded with 0 to ``sequence_length``: int32 ``(token_ids,
    segment_ids (0 for [CLS] A [SEP], 1 for B [SEP]), padding_mask)``; an over-long pair is
    truncated (``truncate_pair``) to ``sequence_length - 3`` tokens."""
    if not isinstance(sequence_length, int) or sequence_length < 5:
        raise ValueError(f"pack_pair: sequence_length must be an int >= 5, got "
                         f"{sequence_length!r}.")
    a, b = truncate_pair(a, b, sequence_length - 3)
    tokens = [cls_id, *a, sep_id, *b, sep_id]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    out = np.zeros((3, sequence_length), np.int32)
    out[0, :len(tokens)] = tokens
    out[1, :len(segments)] = segments
    out[2, :len(tokens)] = 1
    return out[0], out[1], out[2]


def _alone(char):
    # BERT's basic tokenizer: ASCII non-alphanumerics, Unicode punctuation and CJK ideographs
    # are words of their own (subword.WordPieceTokenizer's rule).
    o = ord(char)
    return (33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126
            or unicodedata.category(char).startswith("P") or 0x4E00 <= o <= 0x9FFF
            or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF)


def wordpiece_ids(vocabulary, texts, lowercase=True, max_chars_per_word=24):
    """Each text's WordPiece ids (a list of lists, no ``[CLS]``/``[SEP]``, no limit on length):
    the rules of ``subword.WordPieceTokenizer`` (tested equal on the corpus) in plain Python,
    which prepares a corpus in milliseconds where the in-graph tokenizer first traces for
    seconds."""
    from keras_zoo.data import subword

    index = {t: i for i, t in enumerate(vocabulary) if i >= 2}
    out = []
    for t in texts:
        t = str(t).lower() if lowercase else str(t)
        t = "".join(f" {c} " if _alone(c) else c for c in t)
        ids = []
        for word in t.split():
            if len(word) > max_chars_per_word:
                ids.append(subword.UNK_ID)
                continue
            pieces, start = [], 0
            while start < len(word):
                end = len(word)
                while end > start and (("##" if start else "") + word[start:end]) not in index:
                    end -= 1
                if end == start:
                    pieces = [subword.UNK_ID]
                    break
                pieces.append(index[("##" if start else "") + word[start:end]])
                start = end
            ids.extend(pieces)
        out.append(ids)
    return out


def pretraining_arrays(texts, vocabulary, sequence_length, num_predictions, seed=0, n=None,
                       rate=0.15, dupe_factor=1):
    """Inputs and labels of ``BertPretrainer`` from raw documents: next-sentence pairs, packed,
    then masked (``keras_zoo.models``-free: the 80/10/10 rule is ``mask_tokens`` here).

    ``dupe_factor`` copies are made as BERT's ``create_pretraining_data.py`` makes them (with
    10): each copy draws its own next-sentence pairs (which pairs keep their true second
    sentence, and which random sentence replaces it otherwise) and its own masks. Re-using one
    draw of the pairs for every copy, as this function did before, let the tiny model memorise
    the negatives (next-sentence accuracy 1.00 on training, 0.58 on validation). With
    ``n``, each copy keeps its first ``n`` pairs.

    Returns ``(x, y)`` with ``x = {"token_ids", "segment_ids", "padding_mask",
    "mask_positions"}`` and ``y = {"mlm": the original ids at the masked positions (0 in unused
    slots), "nsp": is_next}``.
    """
    from keras_zoo.data import subword

    vocabulary = subword.check_vocabulary("pretraining_arrays", vocabulary)
    if not isinstance(dupe_factor, int) or isinstance(dupe_factor, bool) or dupe_factor < 1:
        raise ValueError(f"pretraining_arrays: dupe_factor must be an int >= 1, got "
                         f"{dupe_factor!r}.")
    cls_id, sep_id = vocabulary.index("[CLS]"), vocabulary.index("[SEP]")
    packed, is_next = [], []
    for copy in range(dupe_factor):
        # Copy 0 is the single-copy draw (seed), so dupe_factor=1 is unchanged.
        pairs = next_sentence_pairs(texts, seed + 7919 * copy)
        if n is not None:
            pairs = pairs[:n]
        firsts = wordpiece_ids(vocabulary, [a for a, _, _ in pairs])
        seconds = wordpiece_ids(vocabulary, [b for _, b, _ in pairs])
        packed += [pack_pair(a, b, sequence_length, cls_id, sep_id)
                   for a, b in zip(firsts, seconds, strict=True)]
        is_next += [label for _, _, label in pairs]
    masked, positions, labels, _ = mask_tokens(
        np.stack([p[0] for p in packed]), vocabulary.index("[MASK]"), len(vocabulary),
        num_predictions, rate, seed, first_maskable=len(subword.SPECIAL_TOKENS))
    x = {"token_ids": masked,
         "segment_ids": np.stack([p[1] for p in packed]),
         "padding_mask": np.stack([p[2] for p in packed]),
         "mask_positions": positions}
    return x, {"mlm": labels, "nsp": np.array(is_next, np.int32)}


def mask_tokens(token_ids, mask_id, vocabulary_size, num_predictions, rate=0.15, seed=0,
                first_maskable=3):
    """BERT's masking (section 3.1): choose ``rate`` of the real tokens (at least one, at most
    ``num_predictions``); replace 80% of them by ``[MASK]``, 10% by a random token, keep 10%.

    Returns ``(masked_ids, mask_positions [B, P], mask_ids [B, P], mask_weights [B, P])``;
    unused prediction slots have label 0 and weight 0. Ids below ``first_maskable`` (pad,
    [UNK], [CLS], [SEP], [MASK]) are never chosen.
    """
    rng = np.random.default_rng(seed)
    token_ids = np.asarray(token_ids)
    masked = token_ids.copy()
    batch = len(token_ids)
    positions = np.zeros((batch, num_predictions), np.int32)
    labels = np.zeros((batch, num_predictions), np.int32)
    weights = np.zeros((batch, num_predictions), np.float32)
    for b in range(batch):
        candidates = np.flatnonzero(token_ids[b] >= first_maskable)
        k = min(num_predictions, max(1, int(round(rate * len(candidates)))), len(candidates))
        chosen = np.sort(rng.choice(candidates, k, replace=False)) if k else []
        for j, p in enumerate(chosen):
            positions[b, j], labels[b, j], weights[b, j] = p, token_ids[b, p], 1.0
            u = rng.random()
            if u < 0.8:
                masked[b, p] = mask_id
            elif u < 0.9:
                masked[b, p] = rng.integers(first_maskable, vocabulary_size)
    return masked, positions, labels, weights
