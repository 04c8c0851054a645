"""BERT classifying raw text with a WordPiece vocabulary learned on the embedded corpus
(Devlin et al. 2019; WordPiece: Wu et al., Google's Neural Machine Translation System, 2016).

The vocabulary is learned by keras-hub (``keras_zoo.data.subword``; needs tensorflow-text, once,
then cached) and saved in the model's config; serving tokenises raw strings in the graph with
plain TF ops, so the SavedModel needs neither tensorflow-text nor keras_zoo.
"""

from __future__ import annotations

from keras_zoo.models.registry import register
from keras_zoo.models.sequence._common import STRING_TFLITE_DEBT
from keras_zoo.models.sequence.bert import BERT_BASE, BertClassifier


def WordPieceBertClassifier(vocabulary=None, max_tokens=1000, classes=3, **kwargs):
    """``BertClassifier`` over the WordPiece vocabulary of the docstring corpus (3 classes:
    module, class, function docstrings) unless ``vocabulary`` is given.

    Args:
        vocabulary: a WordPiece token list (``subword.SPECIAL_TOKENS`` first).
        max_tokens: the size asked of the learned vocabulary (the corpus gives at most ~960).
        classes: number of classes.
        **kwargs: ``BertClassifier`` arguments (``vocabulary_size`` follows the vocabulary).
    """
    from keras_zoo.data import subword

    if vocabulary is None:
        vocabulary = subword.corpus_wordpiece_vocabulary(max_tokens)
    kwargs.pop("vocabulary_size", None)
    return BertClassifier(vocabulary=list(vocabulary), classes=classes, **kwargs)


register("bert_wordpiece_classifier", task="text_classification", family="bert",
         tiny={"num_layers": 1, "hidden_dim": 16, "num_heads": 2, "intermediate_dim": 32,
               "max_sequence_length": 32, "sequence_length": 32, "dropout": 0.0},
         canonical={**{k: v for k, v in BERT_BASE.items() if k != "vocabulary_size"},
                    "sequence_length": 128},
         data="stdlib_docstrings", recipe="sequence",
         paper="Devlin et al., BERT: Pre-training of Deep Bidirectional Transformers for "
               "Language Understanding, NAACL 2019",
         debts={"tflite": STRING_TFLITE_DEBT, "int8": STRING_TFLITE_DEBT},
         notes="Raw strings in: WordPiece (learned by keras-hub on the corpus) in plain TF ops; "
               "[CLS] + the first sequence_length - 2 pieces + [SEP] (truncated).")(
             WordPieceBertClassifier)
