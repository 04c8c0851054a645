"""Recipes for the sequence and language models (keras_zoo/models/sequence)."""

import dataclasses

from training.recipes import Recipe

SEQUENCE = Recipe(
    name="sequence",
    description="Any sequence model on its embedded synthetic task or text at its tiny "
                "config: Adam 3e-3, cosine decay.",
    epochs=10,
    batch_size=64,
    learning_rate=3e-3,
    preset="tiny",
    early_stopping_patience=5,
    # Measured 2026-12-04: `keras-zoo train lstm_classifier` end to end on 2 idle cores
    # (test accuracy 1.0); the others 2026-12-05, the same way, at load 1.1-1.4 from other
    # sessions (held-out accuracy: attentive_reader 0.396, bert_classifier 0.692, gpt_char_lm
    # 0.355 next-character, vqa_lstm_cnn 0.630).
    train_minutes={"lstm_classifier": 0.15, "attentive_reader": 0.19, "bert_classifier": 0.18,
                   "gpt_char_lm": 0.30, "vqa_lstm_cnn": 0.18},
)

RECIPES = [
    SEQUENCE,
    dataclasses.replace(
        SEQUENCE,
        name="sequence_seq2seq",
        description="The sequence recipe for the encoder-decoders (seq2seq, seq2seq_bahdanau, "
                    "seq2seq_luong) on 6-token reversals (their tiny configs have 3 tokens "
                    "since 2026-12-04, for the tests).",
        config={"source_length": 6, "target_length": 6},
        # Measured 2026-12-04 (as the sequence recipe, at 6 tokens): `keras-zoo train NAME`
        # end to end on 2 idle cores, exact match 1.0 for both attention models.
        train_minutes={"seq2seq_luong": 0.21, "seq2seq_bahdanau": 0.22},
    ),
    Recipe(
        name="transformer",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"transformer": 0.25},
        description="The Transformer on its embedded synthetic task at its tiny config, with the "
                    "paper's optimizer: Adam(0.9, 0.98, 1e-9) on lrate = d_model^-0.5 "
                    "min(step^-0.5, step warmup^-1.5) (section 5.3), warm-up shortened to the "
                    "tiny run, and label smoothing 0.1 (section 5.4), on variable-length "
                    "(padded) pairs.",
        epochs=10,
        batch_size=64,
        optimizer_factory="keras_zoo.models.sequence.transformer:transformer_optimizer",
        optimizer_options={"warmup_steps": 100},
        compile_options={"label_smoothing": 0.1},
        preset="tiny",
        early_stopping_patience=5,
    ),
    Recipe(
        name="bert_pretraining",
        description="BERT pre-training (masked LM + next-sentence prediction) on the docstring "
                    "corpus's sentence pairs, 10 copies each with its own next-sentence draw "
                    "and masks (as BERT's data preparation), at the tiny config: Adam 1e-3 "
                    "with 1 epoch of linear warm-up then cosine decay (the paper: Adam 1e-4, "
                    "10,000 warm-up steps, linear decay), stopped when the validation "
                    "masked-LM loss stops falling (best weights kept). The saved model.keras "
                    "fine-tunes as bert_wordpiece_classifier (from_checkpoint=, same config).",
        # The corpus is small (1,352 pairs): 20 epochs over 5 copies of one pair draw
        # memorised it (next-sentence accuracy train 1.00 / validation 0.58, masked-LM
        # validation 0.157 against 0.58 on training). The same number of steps over 10 copies
        # that each draw their own pairs and masks, stopped on the held-out masked-LM loss,
        # memorises less.
        data_options={"dupe_factor": 10},
        early_stopping_patience=2,
        monitor="val_mlm_loss",
        epochs=10,
        batch_size=32,
        learning_rate=1e-3,
        schedule="warmup_cosine",
        warmup_epochs=1,
        preset="tiny",
    ),
]
