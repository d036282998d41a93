"""``hypernas.nn``: architecture choices inside any PyTorch model, and what hypernas makes of such a model.

Write the model with :func:`LayerChoice`, :func:`InputChoice`, :func:`ValueChoice` and :func:`Repeat` where it has
a choice; :func:`model_space` is its space for any strategy, :func:`instantiate` the fixed network of an
architecture, :class:`ModelObjective` trains those networks in a study, and :func:`model_supernet` (DARTS, GDAS)
and :func:`model_single_path` (SPOS) are its supernets. Importing this module loads PyTorch
(``import hypernas`` does not: ``hypernas.nn`` loads on first use).
"""

from hypernas.estimate.nn import (
    ChosenInputs,
    InputChoice,
    LayerChoice,
    ModelObjective,
    Repeat,
    ValueChoice,
    choices,
    instantiate,
    model_space,
)
from hypernas.oneshot.model_supernet import ModelSupernet, model_single_path, model_supernet

__all__ = ["ChosenInputs", "InputChoice", "LayerChoice", "ModelObjective", "ModelSupernet", "Repeat", "ValueChoice",
           "choices", "instantiate", "model_single_path", "model_space", "model_supernet"]
