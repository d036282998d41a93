"""Architecture choices inside any PyTorch model, the space they span, and the fixed network of a choice.

See :mod:`~hypernas.estimate.nn.choices` for how a model is written, :func:`model_space` and
:func:`instantiate` for its space and networks, :class:`ModelObjective` to train them in a study; the
supernets of such a model are in :mod:`hypernas.oneshot.model_supernet`.
"""

from hypernas.estimate.nn.choices import ChosenInputs, InputChoice, LayerChoice, Repeat, ValueChoice
from hypernas.estimate.nn.objective import ModelObjective
from hypernas.estimate.nn.space import choices, instantiate, model_space

__all__ = ["ChosenInputs", "InputChoice", "LayerChoice", "ModelObjective", "Repeat", "ValueChoice", "choices",
           "instantiate", "model_space"]
