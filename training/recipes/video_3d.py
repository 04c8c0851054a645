"""Recipes of the video classifiers that miss the "video" recipe's bar at their tiny config
(issue 19): SlowFast, R3D and MViT on the embedded synthetic clips (4 classes: square/circle x
left/right; 512 training clips, 128 validation, 128 held out).

Figures: ``train(NAME, seed=S)`` held-out accuracy; "re-estimated" is the saved model's test
accuracy with its BatchNormalization moving statistics recomputed on the 512 un-augmented
training clips (same weights); CPU seconds are the whole training process's (user + system,
``resource.getrusage``), measured on 2 shared cores, 2026-12-04. X3D-L (not run before)
reaches the bar by the "video" recipe as it is, and keeps it: 0.969 at seed 0 (29 CPU s),
0.938 at seed 1 (28 CPU s); its tiny network is X3D-M's."""

import dataclasses

from training.recipes.video import RECIPES as _VIDEO_RECIPES

#: The "video" recipe as registered (25 epochs, Adam 3e-3 cosine, BN momentum 0.9, vertical
#: flips and shifts of whole clips).
_VIDEO = next(r for r in _VIDEO_RECIPES if r.name == "video")
#: The "vivit" recipe (30 epochs, AdamW 3e-3 with weight decay 0.05, 5-epoch warm-up then
#: cosine, 2,048 training clips, no augmentation).
_VIVIT = next(r for r in _VIDEO_RECIPES if r.name == "vivit")

RECIPES = [
    # SlowFast-R50 (tiny: slow pathway width 2, fast 1) by the "video" recipe: 0.711 held out
    # (seed 0) with training accuracy 0.787 at the last epoch (loss 0.54): it under-fits.
    # The BN statistics are a smaller part (the model and the recipe both set momentum 0.9):
    # re-estimated, the same weights give 0.867, still under the bar. At width 8 (6,824
    # parameters instead of 1,343; the width test_3d_networks_reach_090_on_held_out_clips
    # fits to 0.969), the recipe otherwise unchanged: 0.953 at seed 0 (training accuracy
    # 0.98; 22 CPU s), 0.969 at seed 1 (21 CPU s), 0.977 at seed 2 (25 CPU s).
    dataclasses.replace(
        _VIDEO,
        name="slowfast",
        description="SlowFast (tiny, slow pathway width 8 instead of 2: the width-2 network "
                    "under-fits) on the embedded clips; otherwise the video recipe.",
        config={"width": 8},
        # Measured 2026-12-04: `keras-zoo train NAME` end to end on 2 idle cores.
        train_minutes={"slowfast_r50": 0.42},
    ),
    # R3D-18 (tiny: 4 and 8 channels, 5,432 parameters) by the "video" recipe: 0.750 held out
    # (seed 0), training accuracy 0.887 at the last epoch and still rising; re-estimated BN
    # statistics give 0.789 (under-fitting, not the statistics). R(2+1)D-18 on the same
    # widths (5,637 parameters) reaches 0.953: its factorisation doubles the nonlinearities
    # (Tran et al. 2018, section 3.5). Measured, seed 0 unless said: 40 epochs at the tiny
    # widths 0.797 (training 0.96, validation 0.914); twice the widths (8 and 16 channels,
    # 17,836 parameters) in 25 epochs 0.961, but 0.906 at seed 1 (its training accuracy
    # stayed at 0.55, the shape only, for 7 epochs and was 0.93 at the end); four times the
    # widths at seed 1 0.734 (training 0.92; re-estimated statistics 0.953: the wider network's
    # moving statistics lag); twice the widths and 40 epochs: 0.977 at seed 0 (29 CPU s),
    # 0.992 at seed 1 (30 CPU s), 0.977 at seed 2 (29 CPU s).
    dataclasses.replace(
        _VIDEO,
        name="r3d",
        description="R3D (tiny at twice its widths: 8 and 16 channels, stem 8) on the "
                    "embedded clips for 40 epochs (the tiny network under-fits); otherwise "
                    "the video recipe.",
        epochs=40,
        config={"filters": (8, 16), "stem_filters": 8},
        # Measured 2026-12-04: `keras-zoo train NAME` end to end on 2 idle cores.
        train_minutes={"r3d_18": 0.49},
    ),
    # MViT-B (tiny: one block, 8 channels, 4 x 8 x 8 tokens) by the "video" recipe: 0.461
    # held out; its training loss stays at ln 4 (chance) for 17 epochs and ends at 1.372
    # (training accuracy 0.40): it does not start to learn. Ablations (seed 0, 25 epochs):
    # without the flips and shifts 0.508 (the same stall); AdamW with a 5-epoch warm-up then
    # cosine, 512 clips, 0.625 (leaves chance at epoch 5, then learns one of the two halves of
    # the label: training 0.68); Adam on 2,048 clips 0.578 (the same, training 0.55). The
    # "vivit" recipe's settings for a transformer together (2,048 clips, AdamW weight decay
    # 0.05, 5-epoch warm-up then cosine, 30 epochs, no augmentation; MViT has no tubelet
    # option and keeps its own 2x2x2 cube embedding): 0.992 at seed 0 (training accuracy 1.0
    # from epoch 18; 64 CPU s), 0.961 at seed 1 (training 1.0 from epoch 13; 72 CPU s),
    # 0.961 at seed 2 (75 CPU s); with the video recipe's flips and shifts added, 0.969 at
    # seed 0 (75 CPU s): neither the warm-up nor the data alone is enough, and the
    # augmentation does not matter.
    dataclasses.replace(
        _VIVIT,
        name="mvit",
        description="MViT (tiny) on the embedded clips with the transformer's recipe (as "
                    "ViViT's): AdamW (weight decay 0.05) with a 5-epoch linear warm-up then "
                    "cosine, and 2,048 training clips.",
        config={},  # ViViT's tubelet option: MViT keeps its own 2x2x2 cube embedding
        # Measured 2026-12-04: `keras-zoo train NAME` end to end on 2 idle cores.
        train_minutes={"mvit_b": 0.97},
    ),
]
