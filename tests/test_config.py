"""Bad configs are rejected before the DAG is built, with the offending key in the message."""

import copy

import pytest
import yaml
from snakemake.utils import validate
from snakemake.exceptions import WorkflowError

from harmhorizon.config import ConfigError, check_config

from conftest import REPO, load_config

SCHEMA = str(REPO / "config" / "schema.yaml")


def load(name: str) -> dict:
    return load_config(name)


@pytest.mark.parametrize("name", ["config.yaml", "test.yaml"])
def test_shipped_configs_are_valid(name):
    config = load(name)
    validate(config, SCHEMA)
    check_config(config)


def mutate(path: str, value):
    config = load("test.yaml")
    node = config
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[key]
    if value is KeyError:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return config


@pytest.mark.parametrize(
    "path, value, key_in_message",
    [
        ("exact.automaton.T", "twelve", "T"),
        ("exact.automaton.c", 1.5, "c"),
        ("exact.automaton.m", 0, "m"),
        ("exact.epsilon", 0.0, "epsilon"),
        ("exact.betas", [], "betas"),
        ("exact.betas", [-1.0], "betas"),
        ("exact.prefill.gammas", [1.5], "gammas"),
        ("exact.m_sweep", [2, 2], "m_sweep"),
        ("synthetic.pool", KeyError, "pool"),
        ("exact.automaton.extra", 1, "extra"),
        ("seed", -3, "seed"),
    ],
)
def test_schema_rejects_bad_values_naming_the_key(path, value, key_in_message):
    config = mutate(path, value)
    with pytest.raises(WorkflowError) as error:
        validate(copy.deepcopy(config), SCHEMA)
    assert key_in_message in str(error.value)


@pytest.mark.parametrize(
    "path, value, key_in_message",
    [
        ("exact.automaton.q", 0.97, "q + r + e"),
        ("exact.m_sweep", [2, 40], "exact.m_sweep"),
        ("exact.prefill.figure", {"beta": 3.0, "mu": 0.1}, "exact.prefill.figure.beta"),
        ("synthetic.methods.dpo.hp.max_steps", KeyError, "synthetic.methods.dpo.hp needs max_steps"),
        ("synthetic.methods.sft.hp.save_steps", 99, "synthetic.methods.sft.hp needs max_steps"),
    ],
)
def test_cross_key_checks_name_the_key(path, value, key_in_message):
    config = mutate(path, value)
    validate(copy.deepcopy(config), SCHEMA)
    with pytest.raises(ConfigError, match=key_in_message.replace("+", r"\+")):
        check_config(config)
