"""Benchmarks (``keras-zoo benchmark``, one parser in ``training/commands/benchmark.py``):

- ``applications``: images/second of a model against keras.applications' same architecture;
- ``pipeline``: fit from the task's ``tf.data`` pipeline against fit from cached tensors;
- ``scaling``: N ``MultiWorkerMirroredStrategy`` workers against one (scaling efficiency).

Timings are printed, never asserted.
"""
