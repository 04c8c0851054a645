"""BERT pre-training: masked language modelling and next-sentence prediction on sentence pairs."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import ArraysTask

_INPUTS = ("token_ids", "segment_ids", "padding_mask", "mask_positions")


@keras.saving.register_keras_serializable(package="keras_zoo")
class UnpaddedAccuracy(keras.metrics.SparseCategoricalAccuracy):
    """Accuracy over the non-padding labels only (label 0 marks padding, or an unused
    masked-LM prediction slot)."""

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        used = keras.ops.cast(keras.ops.not_equal(keras.ops.cast(y_true, "int32"), 0), "float32")
        if sample_weight is not None:
            used = used * keras.ops.cast(sample_weight, "float32")
        return super().update_state(y_true, y_pred, sample_weight=used)


class MaskedLanguageModelTask(ArraysTask):
    """BERT's two pre-training objectives (Devlin et al. 2019, section 3.1).

    Model inputs ``token_ids``, ``segment_ids``, ``padding_mask`` ``[B, T]`` and
    ``mask_positions`` ``[B, P]``; outputs ``{"mlm": [B, P, V] logits, "nsp": [B, 2] logits}``
    and an attribute ``vocabulary`` (WordPiece, ``keras_zoo.data.subword``).
    Embedded data: ``"stdlib_docstrings"``: consecutive docstring sentences, half of them with
    the second sentence replaced by one of another docstring (``keras_zoo.data.sentence_pairs``;
    an over-long pair is truncated, the longer segment first), 15% of the pieces chosen for
    prediction (80% ``[MASK]``, 10% random, 10% kept). The masking is drawn once per split
    (static, as BERT's own data preparation). The MLM loss and accuracy skip unused slots
    (label 0). Serving takes the same four int32 inputs and returns the masked-token
    distribution and argmax and the next-sentence probabilities.
    """

    name = "masked_language_model"
    data_names = ("stdlib_docstrings",)

    @staticmethod
    def _length(model, name):
        for tensor in model.inputs:
            if tensor.name == name:
                return int(tensor.shape[1])
        raise ValueError(f"{model.name}: a masked language model needs an input named {name!r} "
                         f"with a fixed length; it has {[t.name for t in model.inputs]}.")

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, data=None,
                dupe_factor=1):
        """``dupe_factor`` (training split): that many independently masked copies of the
        pairs."""
        from keras_zoo.tasks.base import array_dataset

        x, y = self._arrays(model, entry, split, n, data, dupe_factor)
        return array_dataset(x, y, split, batch_size, seed)

    def _arrays(self, model, entry, split, n=None, data=None, dupe_factor=1):
        from keras_zoo.data import sentence_pairs, text

        vocabulary = getattr(model, "vocabulary", None)
        if vocabulary is None:
            raise ValueError(f"{model.name}: the {self.name} task needs a model built with a "
                             "WordPiece vocabulary.")
        seed = {"train": 0, "validation": 1, "test": 2}[split]
        texts = text.corpus("validation" if split == "test" else split)
        return sentence_pairs.pretraining_arrays(
            texts, vocabulary, self._length(model, "token_ids"),
            self._length(model, "mask_positions"), seed=seed, n=n, dupe_factor=dupe_factor)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        model.compile(
            optimizer=optimizer or keras.optimizers.Adam(learning_rate),
            # Unused prediction slots carry label 0 (padding): no loss there.
            loss={"mlm": keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                    ignore_class=0),
                  "nsp": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
            metrics={"mlm": [UnpaddedAccuracy()],
                     "nsp": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]})

    def serving_fn(self, model):
        t, p = self._length(model, "token_ids"), self._length(model, "mask_positions")
        specs = [tf.TensorSpec([None, p if k == "mask_positions" else t], tf.int32, name=k)
                 for k in _INPUTS]

        @tf.function(input_signature=specs)
        def serve(token_ids, segment_ids, padding_mask, mask_positions):
            out = model({"token_ids": token_ids, "segment_ids": segment_ids,
                         "padding_mask": padding_mask, "mask_positions": mask_positions},
                        training=False)
            mlm = tf.nn.softmax(out["mlm"], axis=-1)
            return {"mlm_probabilities": mlm,
                    "mlm_tokens": tf.argmax(mlm, axis=-1, output_type=tf.int32),
                    "nsp_probabilities": tf.nn.softmax(out["nsp"], axis=-1)}

        return serve

    def int8_agreement(self, reference, quantized):
        return float(np.mean(np.asarray(reference["mlm_tokens"])
                             == np.asarray(quantized["mlm_tokens"])))

    def int8_check(self, reference, quantized):
        p = np.asarray(reference["mlm_probabilities"])
        q = np.asarray(quantized["mlm_probabilities"])
        top2 = np.sort(p, axis=-1)[..., -2:]
        confident = (top2[..., 1] - top2[..., 0]) >= 0.2
        agree = (np.argmax(p, -1) == np.argmax(q, -1))[confident]
        agreement = float(agree.mean()) if agree.size else 1.0
        nsp = float(np.mean(np.abs(np.asarray(reference["nsp_probabilities"])
                                   - np.asarray(quantized["nsp_probabilities"]))))
        ok = agreement >= 0.9 and nsp <= 0.05
        return ok, (f"masked-token agreement {agreement:.3f} on {int(confident.sum())} confident "
                    f"slots (>= 0.9); next-sentence mean |dp| {nsp:.4f} (<= 0.05)")
