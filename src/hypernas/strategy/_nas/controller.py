"""The LSTM controller of :mod:`hypernas.strategy.reinforce`, and its training state as JSON data."""

from __future__ import annotations

import base64
import binascii
import reprlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from hypernas.strategy._nas.tokens import TokenPlan
from hypernas.strategy.base import BadState, state_dict, state_index, state_list, state_number


class Controller(nn.Module):
    """An LSTM that reads the previous token's embedding and scores the current slot's choices."""

    def __init__(self, plan: TokenPlan, hidden: int) -> None:
        super().__init__()
        self.plan = plan
        self.embed = nn.Embedding(plan.vocabulary + 1, hidden)  # the last row is the start token
        self.cell = nn.LSTMCell(hidden, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n) for _, _, n in plan.slots)

    def reset(self, generator: torch.Generator, scale: float = 0.1) -> None:
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-scale, scale, generator=generator)

    def run(self, choose: Any) -> tuple[dict[str, Any], torch.Tensor, torch.Tensor]:
        """Walk the slots; ``choose(slot, logits)`` returns the token. Returns params, log-prob sum, entropy sum."""
        hidden = self.cell.hidden_size
        state = (torch.zeros(1, hidden), torch.zeros(1, hidden))
        prev = torch.tensor([self.plan.vocabulary])
        logp, entropy = torch.zeros(()), torch.zeros(())

        def step(slot: int) -> int:
            nonlocal state, prev, logp, entropy
            state = self.cell(self.embed(prev), state)
            logits = self.heads[slot](state[0])[0]
            log_probs = torch.log_softmax(logits, dim=-1)
            token = int(choose(slot, logits))
            logp = logp + log_probs[token]
            entropy = entropy - (log_probs.exp() * log_probs).sum()
            prev = torch.tensor([self.plan.offsets[slot] + token])
            return token

        params, _ = self.plan.generate(step)
        return params, logp, entropy


def training_state(controller: Controller, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """The controller's weights and the optimizer's state as JSON data (tensors as base64 bytes, exact)."""
    saved = optimizer.state_dict()
    return {"model": {name: _tensor_to_json(t) for name, t in controller.state_dict().items()},
            "optimizer": {"state": {str(i): {k: _tensor_to_json(v) if isinstance(v, torch.Tensor) else v
                                             for k, v in s.items()} for i, s in saved["state"].items()},
                          "param_groups": saved["param_groups"]}}


def load_training_state(controller: Controller, optimizer: torch.optim.Optimizer, data: Mapping[str, Any]) -> None:
    """Restore what :func:`training_state` saved."""
    controller.load_state_dict({name: _tensor_from_json(t) for name, t in data["model"].items()})
    saved = data["optimizer"]
    optimizer.load_state_dict({
        "state": {int(i): {k: _tensor_from_json(v) if isinstance(v, dict) else v for k, v in s.items()}
                  for i, s in saved["state"].items()},
        "param_groups": saved["param_groups"]})


_ADAM_STATE = ("step", "exp_avg", "exp_avg_sq")
_ADAM_NUMBERS = {"lr": (0.0, False), "eps": (0.0, True), "weight_decay": (0.0, False)}  # name -> (low, low_open)


def check_training_state(controller: Controller, optimizer: torch.optim.Optimizer, data: Mapping[str, Any]) -> None:
    """Raise :class:`~hypernas.strategy.base.BadState` unless ``data`` (a dict with ``model`` and ``optimizer``) is
    what :func:`training_state` saves for a controller and Adam optimizer like these: the same tensors (names,
    dtypes, shapes, finite values), the same parameter group options but the numbers, and Adam's moments."""
    expected = controller.state_dict()
    model = state_dict(data["model"], "model", tuple(expected))
    for name, tensor in expected.items():
        _check_tensor(model[name], f"model[{name!r}]", tensor.dtype, list(tensor.shape))
    saved = state_dict(data["optimizer"], "optimizer", ("state", "param_groups"))
    reference = optimizer.state_dict()["param_groups"]
    for i, (group, ref) in enumerate(zip(state_list(saved["param_groups"], "optimizer.param_groups", len(reference)),
                                         reference)):
        where = f"optimizer.param_groups[{i}]"
        for key, value in state_dict(group, where).items():
            if key in _ADAM_NUMBERS:
                low, low_open = _ADAM_NUMBERS[key]
                state_number(value, f"{where}.{key}", low, low_open=low_open)
            elif key == "betas":
                for j, beta in enumerate(state_list(value, f"{where}.betas", 2)):
                    state_number(beta, f"{where}.betas[{j}]", 0, 1, high_open=True)
            elif key not in ref:
                raise BadState(where, f"unknown key {reprlib.repr(key)}")
            elif value != (list(ref[key]) if isinstance(ref[key], tuple) else ref[key]) or \
                    type(value) is not type(ref[key]):
                raise BadState.expected(f"{where}.{key}", repr(ref[key]), value)
    shapes = [list(p.shape) for p in controller.parameters()]  # Adam numbers the parameters in this order
    for key, moments in state_dict(saved["state"], "optimizer.state").items():
        where = f"optimizer.state[{key!r}]"
        index = state_index(key, "optimizer.state")
        if index >= len(shapes):
            raise BadState.expected("optimizer.state", f"parameter numbers below {len(shapes)}", key)
        state_dict(moments, where, _ADAM_STATE)
        if isinstance(moments["step"], dict):
            _check_tensor(moments["step"], f"{where}.step", torch.float32, [], low=0)
        else:
            state_number(moments["step"], f"{where}.step", 0)
        _check_tensor(moments["exp_avg"], f"{where}.exp_avg", torch.float32, shapes[index])
        _check_tensor(moments["exp_avg_sq"], f"{where}.exp_avg_sq", torch.float32, shapes[index], low=0)


def _check_tensor(data: Any, where: str, dtype: torch.dtype, shape: list[int], low: float | None = None) -> None:
    """``data`` is a tensor of ``dtype`` and ``shape`` as :func:`_tensor_to_json` writes it, with finite values >= ``low``."""
    state_dict(data, where, ("dtype", "shape", "base64"))
    name = str(dtype).removeprefix("torch.")
    if data["dtype"] != name or data["shape"] != shape:
        raise BadState.expected(where, f"a {name} tensor of shape {shape}", {"dtype": data["dtype"], "shape": data["shape"]})
    layout = _DTYPES[name][1]
    try:
        raw = base64.b64decode(data["base64"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise BadState(f"{where}.base64", "expected the tensor's bytes in base64") from None
    if len(raw) != int(np.prod(shape)) * np.dtype(layout).itemsize:
        raise BadState(f"{where}.base64", f"expected {int(np.prod(shape))} values of {name}, got {len(raw)} bytes")
    values = np.frombuffer(raw, dtype=layout)
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise BadState(where, "expected finite values, got NaN or infinity")
    if low is not None and (values < low).any():
        raise BadState(where, f"expected values >= {low:g}, got {float(values.min())!r}")


# the dtypes a controller's state holds: the name saved with a tensor -> (torch dtype, NumPy dtype, little-endian)
_DTYPES = {"float32": (torch.float32, "<f4"), "float64": (torch.float64, "<f8"), "int64": (torch.int64, "<i8")}


def _tensor_to_json(t: torch.Tensor) -> dict[str, Any]:
    """A tensor as its dtype, shape and raw little-endian bytes in base64: exact, and fast to save and load."""
    name = str(t.dtype).removeprefix("torch.")
    raw = t.detach().cpu().contiguous().numpy().astype(_DTYPES[name][1], copy=False).tobytes()
    return {"dtype": name, "shape": list(t.shape), "base64": base64.b64encode(raw).decode("ascii")}


def _tensor_from_json(data: Mapping[str, Any]) -> torch.Tensor:
    dtype, layout = _DTYPES[data["dtype"]]
    values = np.frombuffer(base64.b64decode(data["base64"]), dtype=layout).astype(layout[1:], copy=True)
    return torch.from_numpy(values).to(dtype).reshape(data["shape"])
