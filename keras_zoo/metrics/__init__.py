"""Metrics of keras-zoo that Keras does not ship, by topic: segmentation (pixel accuracy, Dice,
with Keras' own IoU metrics), depth (abs-rel, RMSE, delta < 1.25), retrieval."""
