"""Synthetic config checks and the run plan."""

import copy

import pytest
from conftest import load_config

from harmhorizon.config import ConfigError, check_config
from harmhorizon.synthetic.plan import method_pattern, run_dirs, runs, seeds_of


@pytest.fixture(scope="module")
def paper():
    return load_config("config.yaml")


def test_paper_config_has_three_seeds_for_every_method(paper):
    syn = paper["synthetic"]
    assert len(syn["seeds"]) >= 3
    objectives = {m["objective"] for name, m in syn["methods"].items() if "seeds" not in m}
    assert objectives == {"dpo", "rlhf", "sft", "recovery", "augment"}
    gammas = {m["gamma"] for m in syn["methods"].values() if m["objective"] == "recovery"}
    assert 1.0 in gammas and min(gammas) < 1.0


def test_plan_lists_every_run(paper):
    syn = paper["synthetic"]
    assert ("dpo", 1) in runs(syn, "dpo") and all(syn["methods"][name]["objective"] == "dpo" for name, _ in runs(syn, "dpo"))
    assert set(method_pattern(syn, "recovery").split("|")) == {"recovery", "recovery_gamma", "recovery_log"}
    assert run_dirs(syn, "w")[0] == "w/runs/base" and seeds_of(syn, "dpo_lr_high") == [1]


def test_recovery_without_mu_is_rejected(paper):
    bad = copy.deepcopy(paper)
    bad["synthetic"]["methods"]["recovery"].pop("mu")
    with pytest.raises(ConfigError, match="synthetic.methods.recovery"):
        check_config(bad)
    bad = copy.deepcopy(paper)
    bad["synthetic"]["evaluation"]["prefill_ks"] = [0, 40]
    with pytest.raises(ConfigError, match="prefill_ks"):
        check_config(bad)
