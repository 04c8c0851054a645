"""Detection from external region proposals (R-CNN, Fast R-CNN): uint8 images and proposal
boxes in, final detections out (NMS inside the graph).

Selective search (``keras_zoo.data.proposals``) is not a TF op, so it cannot live in a
SavedModel or a TFLite file: these models' ``serving_default`` takes ``images`` uint8
``[B, H, W, 3]`` and ``proposals`` float32 ``[B, num_proposals, 4]`` (xyxy pixels, ranked,
zero-padded; ``batch_proposals`` makes them) and returns the detection task's ``boxes``,
``scores``, ``classes``, ``num_detections``. Everything else (data, checks) is the detection
task's, on the same synthetic shapes.

- ``proposal_detection`` (Fast R-CNN): ``x = {"images", "proposals"}``, ``y`` the padded
  ground truth; the training pipeline adds the ground-truth boxes to the proposals and samples
  ``rois_per_image`` RoIs per image (25 % foreground) with the model's own sampler.
- ``region_detection`` (R-CNN): the model classifies warped regions; ``x`` is a batch of
  warped regions and ``y = {"labels", "boxes", "targets", "regress"}`` their precomputed
  targets (class, region box, matched ground-truth box, whether box regression learns from
  it), with the paper's mini-batches of 25 % positive regions.
"""

from __future__ import annotations

import types

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.data.pipeline import seeded_map
from keras_zoo.tasks.detection import _SPLIT_SEEDS, MAX_OBJECTS, DetectionTask


def proposal_arrays(model, split="train", n=32, seed=None, max_objects=MAX_OBJECTS,
                    num_proposals=None):
    """``(images uint8, {"boxes", "classes"}, proposals [n, P, 4])`` of synthetic shapes at the
    model's image size, with their first ``num_proposals`` selective search proposals (default
    ``model.num_proposals``)."""
    from keras_zoo.data import proposals, shapes
    from keras_zoo.models.detection.common import check_num_classes

    h, w = model.image_size
    classes = shapes.CLASSES[:min(model.num_classes, len(shapes.CLASSES))]
    data = shapes.generate(n, image_size=(h, w), min_objects=1, max_objects=max_objects,
                           classes=classes, seed=_SPLIT_SEEDS[split] if seed is None else seed)
    check_num_classes(data["classes"], model.num_classes, model.name)
    boxes = proposals.batch_proposals(data["images"], num_proposals or model.num_proposals)
    return data["images"], {"boxes": data["boxes"], "classes": data["classes"]}, boxes


class ProposalDetectionTask(DetectionTask):
    name = "proposal_detection"
    # Selective search runs on every test image (~20 ms each at 64 px).
    verify_size = 128

    def battery_data(self, model, entry, n=32, seed=0):
        """``n`` images with ``rois_per_image`` RoIs each, sampled as ``dataset`` does."""
        x, y = next(iter(self.dataset(model, entry, "train", batch_size=n, seed=seed, n=n)))
        return keras.tree.map_structure(lambda t: t.numpy(), (x, y))

    _SIZES = {"train": 512, "validation": 128, "test": 128}

    def dataset(self, model, entry, split="train", batch_size=16, seed=0, n=None, augment=(),
                data=None, proposals_per_image=None):
        """Fast R-CNN's mini-batches: ``batch_size`` images, each with ``rois_per_image``
        RoIs drawn by the model's sampler from its ground truth and selective search boxes.

        Args:
            proposals_per_image: selective search boxes considered per image before sampling
                (default ``2 * model.num_proposals``).
        """
        from keras_zoo.data import proposals as props

        if augment:
            raise ValueError("augment: proposals are computed on the stored images; "
                             "box-aware augmentation is not supported here, use augment=().")
        count = proposals_per_image or 2 * model.num_proposals
        # Selective search runs once per image (~16 ms at 64 px): its first `count` boxes.
        images, targets, found = proposal_arrays(model, split, n or self._SIZES[split],
                                                 num_proposals=count)
        rois = props.with_ground_truth(found, targets["boxes"], targets["classes"],
                                       count + self.max_objects)
        ds = tf.data.Dataset.from_tensor_slices(
            ((images, rois), {"boxes": targets["boxes"], "classes": targets["classes"]}))
        if split == "train":
            ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        r = model.rois_per_image
        # The sampler's draws are a function of (seed, epoch, step) (seeded_map replaces this
        # holder's generator), not of a generator's state: a resumed run samples as the
        # uninterrupted one did, whatever the pipeline had read ahead when it was killed.
        # A held-out split is sampled the same way every epoch.
        sampler = types.SimpleNamespace(generator=None, seed=seed)

        def sample(x, y):
            image, boxes = x
            chosen = model.sample(boxes, y["boxes"], y["classes"], seed=sampler.generator)
            keep = chosen["positive"] + chosen["negative"]
            # The kept RoIs first (random order among them), then zero padding.
            noise = tf.random.stateless_uniform(tf.shape(keep), sampler.generator.next(),
                                                maxval=0.5)
            order = tf.argsort(keep + noise, axis=1, direction="DESCENDING")[:, :r]
            picked = tf.gather(boxes * keep[..., None], order, batch_dims=1)
            return ({"images": tf.cast(image, tf.float32) / 255.0, "proposals": picked}, y)

        return seeded_map(ds.batch(batch_size), sample, [sampler], seed,
                          rerandomize=split == "train").prefetch(tf.data.AUTOTUNE)

    def serving_fn(self, model):
        h, w = model.image_size
        p = model.num_proposals

        @tf.function(input_signature=[
            tf.TensorSpec([None, h, w, 3], tf.uint8, name="images"),
            tf.TensorSpec([None, p, 4], tf.float32, name="proposals")])
        def serve(images, proposals):
            return model.detect(tf.cast(images, tf.float32) / 255.0, proposals)

        return serve

    def serving_example(self, model, n=4, seed=0):
        images, _, boxes = proposal_arrays(model, "test", n, seed=1000 + seed)
        return {"images": images, "proposals": boxes}

    def held_out(self, model, split="test", n=128):
        images, targets, boxes = proposal_arrays(model, split, n)
        return {"images": images, "proposals": boxes}, targets

    def representative_examples(self, model, entry, n=100, seed=0):
        images, _, boxes = proposal_arrays(model, "train", n)
        return [{"images": images[i:i + 1], "proposals": boxes[i:i + 1]}
                for i in range(len(images))]


class RegionDetectionTask(ProposalDetectionTask):
    name = "region_detection"

    def _regions(self, model, split, n, seed=None):
        """``(images float32 in [0, 1], regions)``: every proposal and ground-truth box of
        ``n`` images with its targets (``keras_zoo.data.proposals.region_targets``)."""
        from keras_zoo.data import proposals as props

        images, targets, boxes = proposal_arrays(model, split, n, seed=seed)
        regions = props.region_targets(boxes, targets["boxes"], targets["classes"])
        return images.astype(np.float32) / 255.0, regions

    @staticmethod
    def _xy(warped, regions):
        return warped, {"labels": regions["labels"], "targets": regions["targets"],
                        "boxes": regions["boxes"], "regress": regions["regress"]}

    def battery_data(self, model, entry, n=32, seed=0):
        """``n`` warped regions of 8 images, a quarter of them positive where possible."""
        images, regions = self._regions(model, "train", 8)
        rng = np.random.default_rng(seed)
        labels = regions["labels"]
        pos, neg = np.flatnonzero(labels > 0), np.flatnonzero(labels == 0)
        k = min(len(pos), n // 4)
        pick = np.concatenate([rng.choice(pos, k, replace=False),
                               rng.choice(neg, n - k, replace=len(neg) < n - k)])
        pick = pick[rng.permutation(len(pick))]
        regions = {key: v[pick] for key, v in regions.items()}
        return self._xy(model.warp(images, regions["boxes"], regions["image"]), regions)

    def dataset(self, model, entry, split="train", batch_size=128, seed=0, n=None, augment=(),
                data=None, fg_fraction=0.25):
        """R-CNN's fine-tuning mini-batches (section 2.3): each batch of ``batch_size``
        regions has ``fg_fraction`` (32 of 128) positive regions drawn uniformly over all
        classes; an epoch is one pass over the background regions. Regions are warped in the
        pipeline (``rcnn.warp_regions``, the served graph's warp) from the stored images."""
        from keras_zoo.models.detection.rcnn import warp_regions

        if augment:
            raise ValueError("augment: R-CNN's regions are warped from the stored images; "
                             "use augment=().")
        images, regions = self._regions(model, split, n or self._SIZES[split])
        pixels = tf.constant(images)

        def warp(r):
            count = tf.shape(r["image"])[0]
            crops = warp_regions(tf.gather(pixels, r["image"]), r["boxes"], tf.range(count),
                                 model.region_size, model.context_padding)
            return self._xy(crops, r)

        if split != "train":
            return (tf.data.Dataset.from_tensor_slices(regions).batch(batch_size).map(warp)
                    .prefetch(tf.data.AUTOTUNE))
        n_pos = max(1, int(round(batch_size * fg_fraction)))
        positive = regions["labels"] > 0
        pos = tf.data.Dataset.from_tensor_slices({k: v[positive] for k, v in regions.items()})
        neg = tf.data.Dataset.from_tensor_slices({k: v[~positive] for k, v in regions.items()})
        pos = pos.shuffle(int(positive.sum()), seed=seed).repeat().batch(n_pos)
        neg = neg.shuffle(int((~positive).sum()), seed=seed + 1,
                          reshuffle_each_iteration=True).batch(batch_size - n_pos,
                                                               drop_remainder=True)

        def join(p, q):
            return warp(tf.nest.map_structure(lambda a, b: tf.concat([a, b], 0), p, q))

        return tf.data.Dataset.zip(pos, neg).map(join).prefetch(tf.data.AUTOTUNE)
