"""Discrete outcomes depend on config and seed alone (docs/architecture.md, "Determinism").

The automaton environment's reference pool is drawn from the automaton (numpy, float64), and every
objective's training set is drawn from the pool; neither reads a model. So no CPU's float rounding of a
trained network can change a training example, a set size or, through them, a step count. The
environment below has no base model at all (``base_dir=None``): a data step that tried to read one
would fail here.
"""

import numpy as np
import pytest

from conftest import load_config
from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.methods.registry import OBJECTIVES

CONFIG = load_config("test.yaml")


def _environment(seed: int) -> AutomatonEnvironment:
    syn = CONFIG["synthetic"]
    env = AutomatonEnvironment.from_config(CONFIG["exact"]["automaton"], syn, base_dir=None)
    env.harmful = env.pool_frame(env.reference_pool(True, syn["pool"]["n_harmful"], [seed, 1], syn["c_benign"]), True)
    env.benign = env.pool_frame(env.reference_pool(False, syn["pool"]["n_benign"], [seed, 2], syn["c_benign"]), False)
    return env


def _rows(inputs) -> list:
    rows = list(inputs["train_dataset"])
    if "penalty" in inputs:
        rows.append(inputs["penalty"].ids.tolist())
    return rows


def test_the_reference_pool_is_a_function_of_the_seed():
    a, b, other = _environment(3), _environment(3), _environment(4)
    assert a.harmful.equals(b.harmful) and a.benign.equals(b.benign)
    assert not a.harmful.equals(other.harmful)
    assert len(a.harmful) == CONFIG["synthetic"]["pool"]["n_harmful"]


@pytest.mark.parametrize("name", sorted(CONFIG["synthetic"]["methods"]))
def test_every_training_set_is_built_from_config_and_seed_without_a_model(name):
    method = CONFIG["synthetic"]["methods"][name]
    objective = OBJECTIVES[method["objective"]]
    first = objective.inputs(_environment(3), method, np.random.default_rng(1), 1)
    again = objective.inputs(_environment(3), method, np.random.default_rng(1), 1)
    assert _rows(first) == _rows(again)
    assert len(first["train_dataset"]) == method["n_examples"]
