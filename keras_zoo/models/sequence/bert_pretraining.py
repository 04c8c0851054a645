"""BERT pre-training on the embedded corpus (Devlin et al., BERT, NAACL 2019, section 3.1):
``BertPretrainer`` (masked LM + next-sentence prediction) over the corpus's WordPiece
vocabulary, trained by the ``masked_language_model`` task on docstring sentence pairs.

Its encoder's layer names and sizes are those of ``bert_wordpiece_classifier`` at the same
config, so the saved pre-trained model fine-tunes on text classification through the training
entry point::

    training.train("bert_pretraining", out="runs/bert_pretraining")
    training.train("bert_wordpiece_classifier",
                   from_checkpoint="runs/bert_pretraining/model.keras")
"""

from __future__ import annotations

from keras_zoo.models.registry import register
from keras_zoo.models.sequence.bert import BERT_BASE, BertPretrainer


def WordPieceBertPretrainer(vocabulary=None, max_tokens=1000, **kwargs):
    """``BertPretrainer`` over the WordPiece vocabulary of the docstring corpus unless
    ``vocabulary`` is given (the one ``bert_wordpiece_classifier`` learns, so the two share an
    embedding table).

    Args:
        vocabulary: a WordPiece token list (``subword.SPECIAL_TOKENS`` first).
        max_tokens: the size asked of the learned vocabulary.
        **kwargs: ``BertPretrainer`` arguments (``vocabulary_size`` follows the vocabulary).
    """
    from keras_zoo.data import subword

    if vocabulary is None:
        vocabulary = subword.corpus_wordpiece_vocabulary(max_tokens)
    if "vocabulary_size" in kwargs:
        raise ValueError("WordPieceBertPretrainer: vocabulary_size follows the vocabulary; "
                         "pass vocabulary= or max_tokens= instead.")
    return BertPretrainer(vocabulary=list(vocabulary), **kwargs)


register("bert_pretraining", task="masked_language_model", family="bert",
         tiny={"num_layers": 1, "hidden_dim": 16, "num_heads": 2, "intermediate_dim": 32,
               "max_sequence_length": 32, "sequence_length": 32, "num_predictions": 5,
               "dropout": 0.0},
         canonical={**{k: v for k, v in BERT_BASE.items() if k != "vocabulary_size"},
                    "sequence_length": 128, "num_predictions": 20},
         data="stdlib_docstrings", recipe="bert_pretraining",
         paper="Devlin et al., BERT: Pre-training of Deep Bidirectional Transformers for "
               "Language Understanding, NAACL 2019",
         notes="Masked LM (15%: 80% [MASK], 10% random, 10% kept) + next-sentence prediction "
               "on docstring sentence pairs; the encoder fine-tunes as "
               "bert_wordpiece_classifier (from_checkpoint=).")(WordPieceBertPretrainer)
