"""Training recipes and the entry point that runs them (``keras-zoo train``)."""

from training.recipes import Recipe, get_recipe, recipe_names
from training.trainer import TrainResult, train

__all__ = ["Recipe", "TrainResult", "get_recipe", "recipe_names", "train"]
