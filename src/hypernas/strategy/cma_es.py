"""CMA-ES through the ``cmaes`` package, with IPOP restarts, for continuous and integer spaces.

The search runs in the space's unit cube (log scales unfolded). Integer and stepped parameters
use CMA-ES with margin (``CMAwM``) so the search does not stall on a plateau between levels.
Each generation's members are the trials proposed for it; when ``population_size`` of them are
COMPLETE the generation is told (failed and pruned members are replaced by further asks). When
the optimizer has converged, it restarts from a random mean with a population ``inc_popsize``
times larger (IPOP). The optimizer's numeric state (as JSON numbers, exactly what pickling it
would keep) and its generation are saved with the study after every ask, so a resumed study
continues exactly where it stopped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hypernas.errors import StrategyError
from hypernas.record import FrozenTrial, TrialState
from hypernas.space import Fixed, Float, Int, NumericParam, Space
from hypernas.strategy._bo.history import check_params, check_single_objective
from hypernas.strategy.base import (
    BadState,
    Strategy,
    StudyView,
    objective_sign,
    state_dict,
    state_int,
    state_list,
    state_number,
    state_numbers,
)
from hypernas.strategy.pending import pending_keys
from hypernas.strategy.registry import register_strategy
from hypernas.validate import check_bool, check_int, check_number

_REDRAWS = 32
_OTHERS = "'tpe' or 'nsga2' (they handle categorical and conditional parameters)"


@register_strategy("cmaes")
class CMAES(Strategy):
    """Covariance matrix adaptation evolution strategy with increasing-population restarts."""

    def __init__(self, sigma0: float = 1 / 6, population_size: int | None = None, restarts: bool = True,
                 inc_popsize: int = 2, seed: int | None = None) -> None:
        super().__init__(seed)
        self.sigma0 = check_number("cmaes", "sigma0", sigma0, 0, 1, low_open=True, error=StrategyError)
        self.population_size = check_int("cmaes", "population_size", population_size, 2, optional=True,
                                         error=StrategyError)
        self.restarts = check_bool("cmaes", "restarts", restarts, error=StrategyError)
        self.inc_popsize = check_int("cmaes", "inc_popsize", inc_popsize, 1, error=StrategyError)
        self._forms: dict[tuple[str, int], Any] = {}  # (space, population) -> a fresh optimizer as JSON

    def check_space(self, space: Space) -> None:
        check_params("cmaes", space, (Float, Int, Fixed), _OTHERS)
        conditional = [name for name, p in space.items() if p.when]
        if conditional:
            raise StrategyError(f"strategy 'cmaes' cannot search conditional parameter {conditional[0]!r}; "
                                "use 'tpe' (it models parameters group by group)")
        if not self._searched(space):
            raise StrategyError("strategy 'cmaes' needs at least one parameter that is not fixed; use 'random'")

    @staticmethod
    def _searched(space: Space) -> list[str]:
        return [n for n, p in space.items() if isinstance(p, NumericParam) and p.cardinality != 1]

    # --- the optimizer and its saved state ---------------------------------------------------
    def _new_optimizer(self, space: Space, study: StudyView, restart: int, popsize: int | None) -> Any:
        import cmaes

        names = self._searched(space)
        seed = self.seed if self.seed is not None else study.seed
        rng = np.random.default_rng(None if seed is None else [int(seed), restart, 1_000_003])
        mean = np.full(len(names), 0.5) if restart == 0 else rng.random(len(names))
        bounds = np.tile([0.0, 1.0], (len(names), 1))
        steps = self._steps(space)
        kwargs = {"mean": mean, "sigma": self.sigma0, "bounds": bounds, "population_size": popsize,
                  "seed": int(rng.integers(2**31 - 1))}
        optimizer = cmaes.CMAwM(steps=steps, **kwargs) if steps.any() else cmaes.CMA(**kwargs)
        core = optimizer._cma if isinstance(optimizer, cmaes.CMAwM) else optimizer
        core._funhist_values[:] = 0.0  # np.empty: never read before it is written, but saved (as JSON: no NaN)
        return optimizer

    def _steps(self, space: Space) -> np.ndarray:
        return np.array([self._unit_step(space[n]) for n in self._searched(space)])

    @staticmethod
    def _unit_step(p: Any) -> float:
        """The gap between neighbouring levels in the unit scale (0: treat as continuous)."""
        card = p.cardinality
        return 0.0 if card is None or p.log else 1.0 / (card - 1)

    def check_state(self, study: StudyView, state: Any) -> dict[str, Any]:
        """The IPOP ``restart`` count, the current generation's ``members`` (``[trial number, x]``) and the
        ``optimizer``, which has the form of a fresh one of its population (its arrays' dtypes and shapes,
        its integers but the generation count; finite numbers)."""
        state = state_dict(state, "state", ("restart", "members", "optimizer"))
        state_int(state["restart"], "restart")
        n = len(self._searched(study.space))
        for i, member in enumerate(state_list(state["members"], "members")):
            state_list(member, f"members[{i}]", 2)
            state_int(member[0], f"members[{i}][0]")
            for j, x in enumerate(state_numbers(member[1], f"members[{i}][1]", n)):
                state_number(x, f"members[{i}][1][{j}]", -_MEAN_MAX, _MEAN_MAX)
        kind = "CMAwM" if self._steps(study.space).any() else "CMA"
        _check_like(state["optimizer"], self._form(study, _saved_popsize(state["optimizer"], kind)), "optimizer")
        return state

    def _form(self, study: StudyView, popsize: int) -> Any:
        """A fresh optimizer for the study's space and ``popsize`` as JSON: the form a saved one has."""
        key = (study.space.to_json(), popsize)
        if key not in self._forms:
            template = self._new_optimizer(study.space, study, 0, popsize)
            template.ask()  # computes the eigen decomposition, which every saved optimizer has (saved after an ask)
            self._forms = {key: _optimizer_to_json(template)}  # one space and population at a time
        return self._forms[key]

    # --- ask -------------------------------------------------------------------------------
    def ask(self, study: StudyView, trial: FrozenTrial) -> dict[str, Any]:
        check_single_objective("cmaes", study, "'nsga2', 'tpe' or 'gp' for several objectives")
        space = study.space
        # the state: the IPOP "restart" count, the current generation's "members" ([trial number, x]) and
        # the "optimizer" after the last ask
        state = self.load_state(study)
        if state is None:
            optimizer = self._new_optimizer(space, study, 0, self.population_size)
            state = {"restart": 0, "members": []}
        else:
            optimizer = _optimizer_from_json(state["optimizer"])
        optimizer = self._tell_finished(study, space, state, optimizer)
        optimizer.reseed_rng(int(self.rng_for(study, trial).integers(2**31 - 1)))  # the saved state has no generator
        pending = pending_keys(space, study.get_trials((TrialState.RUNNING,)), trial.number)
        for _ in range(_REDRAWS):  # another draw of the generation for a point that a pending member has
            asked = optimizer.ask()
            x_eval, x_tell = asked if isinstance(asked, tuple) else (asked, asked)
            if space.key(self._decode(space, x_eval)) not in pending:
                break
        state["members"].append([trial.number, [float(v) for v in x_tell]])
        state["optimizer"] = _optimizer_to_json(optimizer)
        self.save_state(study, state)
        return self._decode(space, x_eval)

    def _tell_finished(self, study: StudyView, space: Space, state: dict[str, Any], optimizer: Any) -> Any:
        """Tell the generation once enough members are complete; restart (IPOP) when converged."""
        sign = objective_sign(study.directions[0])
        wanted = {number for number, _ in state["members"]}
        values = {t.number: sign * t.values[0] for t in study.get_trials((TrialState.COMPLETE,))
                  if t.number in wanted and t.values}
        done = [(np.array(x), values[number]) for number, x in state["members"] if number in values]
        if len(done) < optimizer.population_size:
            return optimizer
        optimizer.tell(done[:optimizer.population_size])
        state["members"] = []
        if self.restarts and optimizer.should_stop():
            state["restart"] += 1
            optimizer = self._new_optimizer(space, study, state["restart"],
                                            optimizer.population_size * self.inc_popsize)
        return optimizer

    def _decode(self, space: Space, x: np.ndarray) -> dict[str, Any]:
        searched = dict(zip(self._searched(space), x))
        return {name: p.decode([float(searched[name])]) if name in searched else p.default
                for name, p in space.items()}


_MEAN_MAX = 1e32  # cmaes refuses to be told points at least this far out
_GENERATION = "_g"  # the one integer of the optimizer's state that changes as it runs
_UNSET = "_funhist_values"  # filled one generation at a time: NaN in older records until then, never read


def _saved_popsize(data: Any, kind: str) -> int:
    """The population size of a saved optimizer of class ``kind``, at most its number of weights (one per member)."""
    where = "optimizer"
    obj = state_dict(data, where, ("object", "state"))
    if obj["object"] != kind:
        raise BadState.expected(f"{where}.object", repr(kind), obj["object"])
    fields = state_dict(obj["state"], f"{where}.state")
    if kind == "CMAwM":
        where = f"{where}._cma"
        inner = state_dict(fields.get("_cma"), where, ("object", "state"))
        fields = state_dict(inner["state"], f"{where}.state")
    weights = fields.get("_weights")
    n = len(weights["ndarray"]) if isinstance(weights, dict) and isinstance(weights.get("ndarray"), list) else 2
    return state_int(fields.get("_popsize"), f"{where}._popsize", 2, max(n, 2))


def _check_like(saved: Any, reference: Any, where: str) -> None:
    """``saved`` has the form of ``reference`` (both as :func:`_optimizer_to_json` writes them)."""
    if isinstance(reference, dict) and "object" in reference:
        state_dict(saved, where, ("object", "state"))
        if saved["object"] != reference["object"]:
            raise BadState.expected(f"{where}.object", repr(reference["object"]), saved["object"])
        fields = state_dict(saved["state"], f"{where}.state", tuple(reference["state"]))
        for key, ref in reference["state"].items():
            _check_like(fields[key], ref, f"{where}.{key}")
    elif isinstance(reference, dict) and "ndarray" in reference:
        state_dict(saved, where, ("ndarray", "dtype", "shape"))
        if saved["dtype"] != reference["dtype"] or saved["shape"] != reference["shape"]:
            raise BadState.expected(where, f"an array of dtype {reference['dtype']} and shape {reference['shape']}",
                                    {"dtype": saved["dtype"], "shape": saved["shape"]})
        values = state_list(saved["ndarray"], f"{where}.ndarray", len(reference["ndarray"]))
        if where.rsplit(".", 1)[-1] == _UNSET:
            values[:] = [0.0 if type(v) is float and not math.isfinite(v) else v for v in values]
        if reference["dtype"][1] == "f":
            state_numbers(values, f"{where}.ndarray")
        elif values != reference["ndarray"]:  # integer arrays: indices fixed by the space
            raise BadState.expected(f"{where}.ndarray", repr(reference["ndarray"]), values)
    elif isinstance(reference, bool) or reference is None:
        if saved is not reference:
            raise BadState.expected(where, repr(reference), saved)
    elif isinstance(reference, int) or (isinstance(reference, dict) and reference["dtype"][1] == "i"):
        if where.rsplit(".", 1)[-1] == _GENERATION:
            state_int(saved, where)
        elif saved != reference or type(saved) is not type(reference):
            raise BadState.expected(where, repr(reference), saved)
    else:  # a float, plain or a NumPy scalar
        number = saved["scalar"] if isinstance(saved, dict) and set(saved) == {"scalar", "dtype"} \
            and saved["dtype"] == "<f8" else saved
        state_number(number, where)


def _optimizer_classes() -> dict[str, type]:
    import cmaes

    return {"CMA": cmaes.CMA, "CMAwM": cmaes.CMAwM}


def _optimizer_to_json(value: Any) -> Any:
    """A ``cmaes`` optimizer as JSON data: the state its pickling keeps, arrays and NumPy scalars tagged
    with their dtype, so that :func:`_optimizer_from_json` rebuilds it bit for bit."""
    if isinstance(value, np.ndarray):
        return {"ndarray": value.ravel().tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):  # before float: numpy.float64 is one
        return {"scalar": value.item(), "dtype": value.dtype.str}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    name = type(value).__name__
    if _optimizer_classes().get(name) is type(value):
        getstate = getattr(type(value), "__getstate__", None)
        state = getstate(value) if getstate is not None else vars(value)  # what pickling keeps
        return {"object": name, "state": {k: _optimizer_to_json(v) for k, v in state.items()}}
    raise TypeError(f"cmaes: cannot save a value of type {name} in the optimizer's state")


def _optimizer_from_json(data: Any) -> Any:
    """The optimizer (or a part of its state) that :func:`_optimizer_to_json` described."""
    if not isinstance(data, dict):
        return data
    if "ndarray" in data:
        return np.array(data["ndarray"], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if "scalar" in data:
        return np.dtype(data["dtype"]).type(data["scalar"])
    cls: Any = _optimizer_classes()[data["object"]]
    optimizer = cls.__new__(cls)
    state = {k: _optimizer_from_json(v) for k, v in data["state"].items()}
    if hasattr(optimizer, "__setstate__"):
        optimizer.__setstate__(state)
    else:
        optimizer.__dict__.update(state)
    return optimizer
