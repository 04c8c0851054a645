"""``keras-zoo predict MODEL IMAGE``: a model's prediction for one image, printed and drawn.

The model's task says what to print and draw (``Task.describe_prediction``,
``Task.draw_prediction``): detectors their boxes, classifiers their top-5 classes. The image is
resized to the size the model serves (its serving signature's ``images``); a detector served
with region proposals (R-CNN, Fast R-CNN) gets them from selective search here.
"""

from __future__ import annotations

import inspect
import os
import sys


def add_arguments(parser):
    """Adds the ``predict`` subcommand's arguments to an ``argparse`` parser."""
    parser.add_argument("model", help="a registered model's name, or a .keras file")
    parser.add_argument("image", help="an image file (PNG, JPEG ...); for video models a GIF "
                        "or a folder of frames")
    parser.add_argument("--output", "-o", default=None,
                        help="the PNG to write (default: IMAGE's name + '_prediction.png', "
                             "or '_prediction_2.png' ... if it exists: never overwritten)")
    parser.add_argument("--preset", default=None, choices=["tiny", "canonical"],
                        help="the preset of a registry name (default tiny; untrained unless "
                             "--weights)")
    parser.add_argument("--model-name", default=None,
                        help="registry name of a .keras file whose model name differs")
    parser.add_argument("--weights", default=None, help="a .weights.h5 file to load")
    parser.add_argument("--min-score", type=float, default=None,
                        help="detectors: detections below it are not drawn (default 0.3)")


def load(spec, preset=None, model_name=None, weights=None):
    """``(model, entry)`` of a ``.keras`` file (the checked loader) or a registry name (built
    at ``preset``, default tiny)."""
    import keras_zoo
    from keras_zoo.export import load_keras
    from training.commands import DEFAULT_PRESET, refuse_for_checkpoint

    refuse_for_checkpoint(spec, preset=preset)
    if spec.endswith(".keras"):
        model = load_keras(spec)
        entry = keras_zoo.models.info(model_name or model.name)
    else:
        if model_name:
            raise ValueError("--model-name: only for a .keras file.")
        entry = keras_zoo.models.info(spec)
        model = keras_zoo.models.get(spec, preset or DEFAULT_PRESET)
    if weights:
        if not os.path.isfile(weights):
            raise FileNotFoundError(f"--weights: no such file {weights!r}.")
        model.load_weights(weights)
    return model, entry


def read_image(path, height, width, channels):
    """uint8 ``[height, width, channels]`` of the image file at ``path``, resized."""
    from PIL import Image, UnidentifiedImageError

    if os.path.isdir(path):
        raise ValueError(f"image: {path!r} is a directory, not an image file (a folder of "
                         "frames is for video models).")
    if not os.path.isfile(path):
        raise ValueError(f"image: no such file {path!r}.")
    try:
        with Image.open(path) as picture:
            picture = picture.convert("L" if channels == 1 else "RGB")
            picture = picture.resize((width, height), Image.BILINEAR)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"image: {path!r} is not an image this command can read "
                         f"({type(error).__name__}).") from None
    import numpy as np

    return np.asarray(picture, np.uint8).reshape(height, width, channels)


def serving_inputs(serve, image):
    """The serving signature's inputs for one uint8 ``image``: ``images``, and ``proposals``
    (selective search, as many as the signature takes) for R-CNN and Fast R-CNN."""
    specs = {spec.name: spec for spec in serve.input_signature}
    inputs = {"images": image[None]}
    if "proposals" in specs:
        from keras_zoo.data.proposals import batch_proposals

        inputs["proposals"] = batch_proposals(inputs["images"], specs["proposals"].shape[1])
    unknown = sorted(set(specs) - set(inputs))
    if unknown:
        raise ValueError(f"predict cannot make the model's inputs {unknown} from an image.")
    return inputs


def image_spec(serve):
    """``(height, width, channels)`` of the serving signature's ``images``."""
    specs = {spec.name: spec for spec in serve.input_signature}
    if "images" not in specs or specs["images"].shape.rank != 4 or None in specs[
            "images"].shape[1:]:
        raise ValueError(f"predict needs a model served on fixed-size images; this one takes "
                         f"{sorted(specs)}.")
    return tuple(int(s) for s in specs["images"].shape[1:])


def predict(model, entry, image_path, min_score=None):
    """``(text, PIL image, outputs)``: the task's description and drawing of ``model``'s
    prediction for the image at ``image_path``."""
    import numpy as np

    from keras_zoo.tasks import get_task

    task = get_task(entry.task)
    options = {} if min_score is None else {"min_score": min_score}
    if options and "min_score" not in inspect.signature(task.draw_prediction).parameters:
        raise ValueError(f"--min-score: the {task.name!r} task draws no scored detections; "
                         f"it applies to detectors.")
    served = task.export_model(model)
    serve = task.serving_fn(served)
    if "clips" in {spec.name for spec in serve.input_signature}:
        return _predict_clip(task, serve, image_path)
    image = read_image(image_path, *image_spec(serve))
    outputs = {k: np.asarray(v) for k, v in serve(**serving_inputs(serve, image)).items()}
    return (task.describe_prediction(outputs, 0, **options),
            task.draw_prediction(image, outputs, 0, **options), outputs)


def _predict_clip(task, serve, path):
    """Video models: the GIF or folder of frames at ``path`` sampled to the served clip
    ``[T, H, W, 3]`` (two-stream models also get its Farneback flow)."""
    import numpy as np

    from keras_zoo.data.clips import optical_flow, read_clip

    specs = {spec.name: spec for spec in serve.input_signature}
    t, h, w, _ = (int(s) for s in specs["clips"].shape[1:])
    clip = read_clip(path, t, (h, w))
    inputs = {"clips": clip[None]}
    if "flow" in specs:
        inputs["flow"] = optical_flow(clip[None], cache=False)
    outputs = {k: np.asarray(v) for k, v in serve(**inputs).items()}
    return task.describe_prediction(outputs, 0), task.draw_prediction(clip, outputs, 0), outputs


def default_output(image) -> str:
    """``IMAGE_prediction.png`` beside the image, or the first free ``IMAGE_prediction_2.png``,
    ``_3`` ... when it exists: a default name never overwrites a file (as ``export`` takes the
    next free version). The user asked for no file name, so the run still writes one; the
    ``wrote`` line names it. ``--output`` overwrites what it names."""
    base = os.path.splitext(image)[0] + "_prediction"
    output, number = base + ".png", 1
    while os.path.lexists(output):
        number += 1
        output = f"{base}_{number}.png"
    return output


def run(args) -> int:
    """Prints the prediction for ``args.image`` and writes the drawn PNG; returns 0."""
    if not (os.path.isfile(args.image) or os.path.isdir(args.image)):
        raise ValueError(f"image: no such file {args.image!r}.")
    output = args.output or default_output(args.image)
    if not os.path.isdir(os.path.dirname(output) or "."):
        # Before the model runs: the prediction was printed, then writing it failed.
        raise ValueError(f"--output {output!r}: no such directory "
                         f"{os.path.dirname(output)!r}.")
    model, entry = load(args.model, args.preset, args.model_name, args.weights)
    text, picture, _ = predict(model, entry, args.image, args.min_score)
    if text:
        print(text)
    picture.save(output, format="PNG")
    print(f"wrote {output}")
    if not args.weights and not args.model.endswith(".keras"):
        # What a new user tries first (`predict ssd image.png`) draws random boxes: say why
        # (last, so that a failure is still one line).
        print(f"keras-zoo: note: {entry.name} is built at preset {args.preset or 'tiny'} with "
              "random weights (untrained); give a trained .keras file (`keras-zoo train "
              f"{entry.name}` writes runs/{entry.name}/model.keras) or --weights.",
              file=sys.stderr)
    return 0
