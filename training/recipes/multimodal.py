"""Recipes for the audio and contrastive multimodal models on embedded data: AST on synthetic
audio (keras_zoo.data.audio), MuLan on audio-caption pairs, CLIP on shapes captions with
colour-shape pairs held out of training, VATT on captioned clips with their sounds."""

from training.recipes import Recipe

#: A small AST-like width for a CPU run (the tiny config's 16 is for the tests).
_AUDIO = {"num_mel_bins": 16, "patch_size": 4, "patch_stride": 4}

RECIPES = [
    Recipe(
        name="ast_synthetic_audio",
        description="AST on 1000 synthetic clips (10 classes: tone, rising/falling chirp, slow/"
                    "fast beat, low/high), raw 8 kHz waveforms, log-mel in the graph; the bar "
                    "is test accuracy.",
        epochs=15,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        config={**_AUDIO, "hidden_dim": 32, "num_layers": 2, "num_heads": 2, "mlp_dim": 64},
        monitor="val_accuracy",
        min_test_accuracy=0.9,
    ),
    Recipe(
        name="mulan_audio_captions",
        description="MuLan on 1024 (synthetic clip, caption) pairs; the bar is recall@1 between "
                    "audio and captions on the test split (a clip of the caption's class counts).",
        epochs=15,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        config={"audio_width": 32, "audio_layers": 2, "text_width": 32, "embed_dim": 32},
        monitor="val_loss",
        min_test_metric=("recall_at_1", 0.5),
    ),
    Recipe(
        name="clip_shapes_captions",
        description="CLIP on 1024 captioned 32 px shapes images, green triangles, red squares "
                    "and blue circles never drawn in training; the bar is zero-shot accuracy over "
                    "the 12 colour-shape names on images of those held-out pairs only.",
        epochs=20,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        # 32 px: at 16 px a small shape is 2-3 pixels across and the shapes are hardly told
        # apart (measured: zero-shot 0.41 on all pairs). A bag-of-words text encoder (0 layers)
        # composes an unseen colour-shape name from its words. The bar is not met (0.35): the
        # image tower's features are conjunctive (colour x shape), measured in
        # tests/models/multimodal/test_contrastive.py; more pairs learn shape on seen pairs only.
        config={"input_shape": (32, 32, 3), "patch_size": 4, "vision_width": 32,
                "vision_layers": 2, "text_width": 32, "text_layers": 0, "embed_dim": 32},
        monitor="val_loss",
        min_test_metric=("zero_shot_accuracy", 0.8),
    ),
    Recipe(
        name="vatt_clips_audio",
        description="VATT on 1024 (clip, sound, caption) triples; the bar is recall@1 between "
                    "captions and clips on the test split.",
        epochs=15,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        config={"width": 32, "layers": 2, "va_dim": 32, "vt_dim": 32},
        monitor="val_loss",
        min_test_metric=("recall_at_1", 0.5),
    ),
]
