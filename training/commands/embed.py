"""``keras-zoo embed MODEL_OR_CHECKPOINT --data NAME -o tsne.png``: a t-SNE of held-out embeddings
coloured by class, and the retrieval figures (recall@1/5, NDCG@10, MAP@R).

The embeddings and the plot are ``keras_zoo.tasks.embedding``; the figures are
``keras_zoo.metrics.retrieval``.
"""

from __future__ import annotations

import os


def add_arguments(parser):
    """Adds the ``embed`` subcommand's arguments to an ``argparse`` parser."""
    parser.add_argument("model", help="a .keras checkpoint, or a registered model name (built "
                                      "untrained at --preset)")
    parser.add_argument("--data", default="digits", help="the embedded dataset (digits, shapes)")
    parser.add_argument("--split", default="test", choices=("train", "validation", "test"))
    parser.add_argument("--classes", type=int, nargs="+",
                        help="only these classes (e.g. 7 8 9: held out of training)")
    parser.add_argument("--preset", default=None, choices=("tiny", "canonical"),
                        help="config of a model given by name (default: tiny)")
    parser.add_argument("--seed", type=int, default=0, help="t-SNE seed")
    parser.add_argument("-o", "--output", required=True, help="the PNG to write (must not exist)")


def run(args) -> int:
    """Embeds the split, prints the retrieval figures, writes the t-SNE PNG; exit status."""
    import keras_zoo
    from keras_zoo.export.bundle import load_keras
    from keras_zoo.metrics.retrieval import retrieval_report
    from keras_zoo.tasks import get_task
    from keras_zoo.tasks.embedding import embedding_function, load_images, save_tsne

    get_task("embedding").check_data(args.data)
    if os.path.exists(args.output):
        raise ValueError(f"--output {args.output} exists: choose another file.")
    from training.commands import DEFAULT_PRESET, refuse_for_checkpoint

    refuse_for_checkpoint(args.model, preset=args.preset)
    if args.model.endswith(".keras"):
        model = load_keras(args.model)
    else:
        model = keras_zoo.models.get(args.model, preset=args.preset or DEFAULT_PRESET)
    embed, shape = embedding_function(model)
    images, labels = load_images(shape, args.split, args.data, args.classes)
    z = [embed(images[i:i + 256].astype("float32") / 255.0) for i in range(0, len(images), 256)]
    import numpy as np

    z = np.concatenate(z)
    report = retrieval_report(z, labels, ks=(1, 5), ndcg_k=10)
    print(f"{model.name} on {args.data}/{args.split} ({len(labels)} images, "
          f"{len(np.unique(labels))} classes): " + ", ".join(
              f"{k} {v:.3f}" for k, v in report.items()))
    save_tsne(z, labels, args.output, seed=args.seed,
              title=f"{model.name}: t-SNE of {args.data}/{args.split}")
    print(f"wrote {args.output}")
    return 0
