"""Synthetic config checks and the run plan."""

import copy

import pytest
import yaml
from conftest import REPO, load_config

from harmhorizon.config import ConfigError, check_config
from harmhorizon.plan import paper_model, runs, seeds_of


def load_predictions() -> dict:
    return yaml.safe_load((REPO / "config/predictions.yaml").read_text())


@pytest.fixture(scope="module")
def paper():
    return load_config("config.yaml")


def test_paper_config_has_five_seeds_for_every_method(paper):
    """Every frontier point has at least 5 seeds; every penalised objective at γ = 1 and γ < 1."""
    syn = paper["synthetic"]
    assert len(syn["seeds"]) >= 5
    assert all(len(seeds_of(syn, name)) >= 5 for name in syn["methods"])
    # Only the registered blind replication (config/predictions.yaml) has seeds of its own, fresh ones.
    replication = load_predictions()["reward_model"]["replication"]
    own = {name for name, m in syn["methods"].items() if "seeds" in m}
    assert own == {replication["comparator"], *replication["methods"]}
    assert all(not set(seeds_of(syn, name)) & set(syn["seeds"]) for name in own)
    objectives = {m["objective"] for m in syn["methods"].values()}
    assert objectives == {"dpo", "rlhf", "sft", "recovery", "recovery_rl", "augment", "h_deep", "circuit_breaker"}
    for objective in ("recovery", "recovery_rl", "h_deep"):
        gammas = {m["gamma"] for m in syn["methods"].values() if m["objective"] == objective}
        assert 1.0 in gammas and min(gammas) < 1.0, objective


def test_plan_lists_every_run(paper):
    syn = paper["synthetic"]
    assert ("dpo", 1) in runs(syn, "dpo") and all(syn["methods"][name]["objective"] == "dpo" for name, _ in runs(syn, "dpo"))
    assert {name for name, _ in runs(syn, "recovery")} == {"recovery", "recovery_gamma", "recovery_log"}
    assert seeds_of(syn, "base") == syn["seeds"]
    # A method's own `seeds` overrides the track's (every paper method but the replication's runs them all).
    assert all(seeds_of(syn, name) == syn["seeds"] for name, m in syn["methods"].items() if "seeds" not in m)
    assert all(seeds_of(syn, name) == m["seeds"] for name, m in syn["methods"].items() if "seeds" in m)
    override = {**syn, "methods": {**syn["methods"], "dpo_lr_high": {**syn["methods"]["dpo_lr_high"], "seeds": [1]}}}
    assert seeds_of(override, "dpo_lr_high") == [1] and [seed for name, seed in runs(override, "dpo") if name == "dpo_lr_high"] == [1]
    assert runs(syn, include_base=True)[: len(syn["seeds"])] == [("base", seed) for seed in syn["seeds"]]
    assert paper_model(paper, "synthetic") == "gpt2-2x64" and paper_model(paper, "real") == "smollm2-135m"


def test_recovery_without_mu_is_rejected(paper):
    bad = copy.deepcopy(paper)
    bad["synthetic"]["methods"]["recovery"].pop("mu")
    with pytest.raises(ConfigError, match="synthetic.methods.recovery"):
        check_config(bad)
    bad = copy.deepcopy(paper)
    bad["synthetic"]["evaluation"]["prefill_ks"] = [0, 40]
    with pytest.raises(ConfigError, match="prefill_ks"):
        check_config(bad)
