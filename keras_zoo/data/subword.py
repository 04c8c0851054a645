"""WordPiece sub-word vocabularies learned on the embedded corpus, and a WordPiece tokeniser
made of plain TensorFlow ops (Schuster & Nakajima 2012; Wu et al. 2016; BERT, Devlin et al.
2019, section 3 and its ``tokenization.py``).

The vocabulary is learned with keras-hub (``keras_hub.tokenizers.compute_word_piece_vocabulary``,
which needs ``tensorflow-text``); tokenising needs neither keras-hub nor tensorflow-text:
``WordPieceTokenizer`` is ``tf.strings`` ops and a ``StringLookup`` table, so a SavedModel that
tokenises raw strings inside its graph loads in a process without them.

    vocabulary = corpus_wordpiece_vocabulary(1000)        # ["", "[UNK]", "[CLS]", ...]
    tokenizer = WordPieceTokenizer(vocabulary, sequence_length=64)
    tokenizer(["Return the sum of a and b."])             # [[2, ..., 3, 0, ...]]

Ids: 0 padding, 1 ``[UNK]``, 2 ``[CLS]``, 3 ``[SEP]``, 4 ``[MASK]``, then the learned pieces
(word-initial pieces bare, word-internal ones prefixed ``##``).
"""

from __future__ import annotations

import functools
import os

import keras
import tensorflow as tf

# Plain TF ops with explicit tf.while_loops: autograph would only add seconds of tracing.
_plain_tf = tf.autograph.experimental.do_not_convert

#: The special tokens at the head of every vocabulary (id = position).
SPECIAL_TOKENS = ("", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
SUFFIX = "##"

# BERT's basic tokenizer: every ASCII non-alphanumeric and every Unicode punctuation character
# is a token of its own, and so is every CJK ideograph.
_SPLIT_ALONE = (r"[!-/]|[:-@]|[\[-`]|[{-~]|\p{P}|[\x{4E00}-\x{9FFF}]|[\x{3400}-\x{4DBF}]"
                r"|[\x{F900}-\x{FAFF}]")


def learn_wordpiece_vocabulary(texts, vocabulary_size, lowercase=True):
    """A WordPiece vocabulary of at most ``vocabulary_size`` tokens learned on ``texts`` by
    keras-hub (needs ``tensorflow-text``), specials first (``SPECIAL_TOKENS``). A small corpus
    may give fewer tokens than asked.

    Args:
        texts: the training documents (a list of str).
        vocabulary_size: the largest vocabulary wanted, specials included.
        lowercase: learn on lower-cased text (BERT uncased).
    """
    import keras_hub

    if not isinstance(vocabulary_size, int) or vocabulary_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocabulary_size must be an int > {len(SPECIAL_TOKENS)}, got "
                         f"{vocabulary_size!r}.")
    reserved = ["[PAD]", *SPECIAL_TOKENS[1:]]
    learned = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(list(texts)).batch(1024), vocabulary_size,
        lowercase=lowercase, reserved_tokens=reserved, suffix_indicator=SUFFIX)
    return list(SPECIAL_TOKENS) + [t for t in learned if t not in reserved]


def _cache_dir():
    return os.environ.get("KERAS_ZOO_CACHE",
                          os.path.join(os.path.expanduser("~"), ".cache", "keras_zoo"))


@functools.lru_cache(maxsize=4)
def corpus_wordpiece_vocabulary(vocabulary_size=1000):
    """The WordPiece vocabulary of the embedded docstring corpus's training split (the text
    classification split, ``text.labelled_corpus("train")``).

    Learning takes ~10 s, so the result is cached in ``$KERAS_ZOO_CACHE`` (default
    ``~/.cache/keras_zoo``) under the corpus fingerprint; a model keeps its own copy in its
    config, so a saved model never depends on the cache.
    """
    from keras_zoo.data import text

    key = text.corpus_fingerprint().replace(":", "-")
    path = os.path.join(_cache_dir(), f"wordpiece-{key}-{vocabulary_size}.txt")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            vocabulary = f.read().split("\n")
        if tuple(vocabulary[:len(SPECIAL_TOKENS)]) == SPECIAL_TOKENS:
            return tuple(vocabulary)
    vocabulary = learn_wordpiece_vocabulary(text.labelled_corpus("train")[0], vocabulary_size)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(vocabulary))
    os.replace(tmp, path)  # atomic: concurrent test workers never read half a file
    return tuple(vocabulary)


def check_vocabulary(owner, vocabulary):
    vocabulary = [str(t) for t in vocabulary]
    if tuple(vocabulary[:len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
        raise ValueError(f"{owner}: vocabulary must start with {list(SPECIAL_TOKENS)}.")
    if len(set(vocabulary)) != len(vocabulary):
        raise ValueError(f"{owner}: vocabulary has duplicate tokens.")
    return vocabulary


@keras.saving.register_keras_serializable(package="keras_zoo")
class WordPieceTokenizer(keras.layers.Layer):
    """Raw strings ``[B]`` -> WordPiece ids ``[B, sequence_length]`` with plain TF ops.

    BERT's tokenisation: lower-case (``lowercase``), split on whitespace, every punctuation
    character and CJK ideograph a word of its own, then each word greedily into the longest
    vocabulary pieces from the left (word-internal pieces carry ``##``). A word that cannot be
    covered, or longer than ``max_chars_per_word`` characters, becomes one ``[UNK]``.
    The output is ``[CLS] pieces [SEP]`` padded with 0; **over-long inputs are truncated**: only
    the first ``sequence_length - 2`` pieces are kept, ``[SEP]`` still closes the sequence. An
    empty string gives ``[CLS] [SEP]``.

    Args:
        vocabulary: tokens starting with ``SPECIAL_TOKENS`` (``corpus_wordpiece_vocabulary``).
        sequence_length: the fixed output length (>= 2).
        lowercase: lower-case the input first (the vocabulary's convention).
        max_chars_per_word: longer words are ``[UNK]`` (BERT uses 100; the cost of the greedy
            match grows with its square).
    """

    def __init__(self, vocabulary, sequence_length, lowercase=True, max_chars_per_word=24,
                 **kwargs):
        kwargs.setdefault("trainable", False)
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        self.vocabulary = check_vocabulary("WordPieceTokenizer", vocabulary)
        for arg, value, low in (("sequence_length", sequence_length, 2),
                                ("max_chars_per_word", max_chars_per_word, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"WordPieceTokenizer: {arg} must be an int >= {low}, got "
                                 f"{value!r}.")
        self.sequence_length, self.lowercase = sequence_length, bool(lowercase)
        self.max_chars_per_word = max_chars_per_word
        # "" is the mask token (id 0), "[UNK]" the single OOV bucket (id 1): our convention.
        self.lookup = keras.layers.StringLookup(
            vocabulary=self.vocabulary[2:], mask_token="", oov_token="[UNK]",
            num_oov_indices=1, output_mode="int", name="wordpiece_lookup")

    @_plain_tf
    def words(self, text):
        """BERT's basic tokenisation: ``[B]`` strings -> ragged words ``[B, (W)]``."""
        text = tf.convert_to_tensor(text, tf.string)
        if self.lowercase:
            text = tf.strings.lower(text, encoding="utf-8")
        text = tf.strings.regex_replace(text, _SPLIT_ALONE, r" \0 ")
        return tf.strings.split(text)

    @functools.cached_property
    def _longest_piece(self):
        """Characters of the longest vocabulary piece (without ``##``): no longer match can
        exist, so no longer substring is looked up."""
        pieces = [t[len(SUFFIX):] if t.startswith(SUFFIX) else t
                  for t in self.vocabulary[len(SPECIAL_TOKENS):]]
        return max(1, min(self.max_chars_per_word, max((len(p) for p in pieces), default=1)))

    @_plain_tf
    def _best_pieces(self, chars, lengths):
        """For each word and start, the longest vocabulary piece: ``(length, id)`` ``[N, C]``
        (length 0 where none)."""
        c, longest = self.max_chars_per_word, self._longest_piece
        # pieces[l - 1][:, s] = chars[s : s + l]: each length joins the next character on.
        # tf.while_loop (not a Python loop) keeps the traced graph small.
        padded = tf.pad(chars, [[0, 0], [0, longest]])

        def grow(length, piece, pieces):
            piece = tf.strings.join([piece, padded[:, length - 1:length - 1 + c]])
            return length + 1, piece, pieces.write(length - 1, piece)

        _, _, pieces = tf.while_loop(
            lambda length, *_: length <= longest, grow,
            (tf.constant(1), tf.fill(tf.shape(chars), ""),
             tf.TensorArray(tf.string, size=longest, element_shape=[None, c])))
        keys = tf.transpose(pieces.stack(), [1, 2, 0])  # [N, C, longest]
        start = tf.range(c)[None, :, None]
        span = tf.range(1, longest + 1)[None, None, :]
        # Only substrings inside the word are looked up (the padding would alias shorter ones).
        fits = tf.broadcast_to(start + span <= lengths[:, None, None], tf.shape(keys))
        where = tf.where(fits)
        keys = tf.gather_nd(keys, where)
        keys = tf.where(where[:, 1] > 0, tf.strings.join([SUFFIX, keys]), keys)
        ids = tf.scatter_nd(where, tf.cast(self.lookup(keys), tf.int32),
                            tf.shape(fits, out_type=tf.int64))
        found = ids > UNK_ID
        best_len = tf.reduce_max(tf.where(found, span, 0), axis=2)
        best_id = tf.gather(ids, tf.maximum(best_len - 1, 0)[..., None], batch_dims=2)[..., 0]
        return best_len, best_id

    @_plain_tf
    def word_pieces(self, words):
        """Flat words ``[N]`` -> ragged piece ids ``[N, (k)]`` (greedy longest match)."""
        c = self.max_chars_per_word
        chars = tf.strings.unicode_split(words, "UTF-8")
        lengths = tf.cast(chars.row_lengths(), tf.int32)
        chars = chars.to_tensor(default_value="", shape=[None, c])
        best_len, best_id = self._best_pieces(chars, lengths)
        words_n = tf.shape(lengths)[0]

        def walk(step_index, position, covered, pieces):
            active = position < lengths
            at = tf.minimum(position, c - 1)
            step = tf.gather(best_len, at, batch_dims=1)
            covered &= ~(active & (step == 0))
            emit = active & (step > 0)
            piece = tf.where(emit, tf.gather(best_id, at, batch_dims=1), -1)
            position = tf.where(active, position + tf.maximum(step, 1), position)
            return step_index + 1, position, covered, pieces.write(step_index, piece)

        # At most one piece per character.
        _, _, covered, pieces = tf.while_loop(
            lambda i, *_: i < c, walk,
            (tf.constant(0), tf.zeros_like(lengths), lengths <= c,
             tf.TensorArray(tf.int32, size=c, element_shape=[None])))
        pieces = tf.transpose(pieces.stack())  # [N, C]
        unknown = tf.concat([tf.fill([words_n, 1], UNK_ID), tf.fill([words_n, c - 1], -1)],
                            axis=1)
        pieces = tf.where(covered[:, None], pieces, unknown)
        return tf.ragged.boolean_mask(pieces, pieces >= 0)

    @_plain_tf
    def call(self, text):
        # Eagerly, hundreds of small ops per call: one traced function runs them fast.
        if tf.executing_eagerly():
            return self._traced(tf.convert_to_tensor(text, tf.string))
        return self.tokenize(text)

    @functools.cached_property
    def _traced(self):
        return tf.function(self.tokenize, input_signature=[tf.TensorSpec([None], tf.string)],
                           autograph=False)

    @_plain_tf
    def tokenize(self, text):
        """The graph of ``call``: strings ``[B]`` -> ids ``[B, sequence_length]``."""
        words = self.words(text)
        pieces = self.word_pieces(words.flat_values)
        batch = tf.shape(text, out_type=tf.int64)[0]
        # Dense assembly (cheaper to trace than ragged concatenation): each piece's sentence
        # and its place in it; pieces past sequence_length - 2 are dropped.
        sentence = tf.gather(words.value_rowids(), pieces.value_rowids())
        counts = tf.math.unsorted_segment_sum(tf.ones_like(sentence), sentence, batch)
        first = tf.cumsum(counts, exclusive=True)
        place = tf.range(tf.size(sentence, out_type=tf.int64)) - tf.gather(first, sentence) + 1
        keep = place <= self.sequence_length - 2
        rows = tf.range(batch)
        kept = tf.minimum(counts, self.sequence_length - 2)
        indices = tf.concat([
            tf.stack([tf.boolean_mask(sentence, keep), tf.boolean_mask(place, keep)], 1),
            tf.stack([rows, tf.zeros_like(rows)], 1),
            tf.stack([rows, kept + 1], 1)], axis=0)
        updates = tf.concat([tf.boolean_mask(pieces.flat_values, keep),
                             tf.fill([batch], CLS_ID), tf.fill([batch], SEP_ID)], axis=0)
        return tf.scatter_nd(indices, updates,
                             tf.stack([batch, tf.constant(self.sequence_length, tf.int64)]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.sequence_length)

    def get_config(self):
        return {**super().get_config(), "vocabulary": self.vocabulary,
                "sequence_length": self.sequence_length, "lowercase": self.lowercase,
                "max_chars_per_word": self.max_chars_per_word}
