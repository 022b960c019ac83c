"""Configs compose: the schema holds the shared defaults, the test config states only what differs, the GPU
config runs alone, and a method defined only in a config runs through both environments."""

import copy

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO, run_snakemake

SCHEMA = str(REPO / "config/schema.yaml")


def leaves(tree, path=()):
    if isinstance(tree, dict) and tree:
        for key, value in tree.items():
            yield from leaves(value, path + (key,))
    else:
        yield path, tree


def keys_with_a_default(schema) -> set:
    """Every property name that the schema gives a default somewhere: Snakemake fills defaults from ``properties``
    only, so a leaf under any other name can have none and needs no validation of its own."""
    found = set()
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict) and "default" in sub:
                found.add(name)
        for value in schema.values():
            found |= keys_with_a_default(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= keys_with_a_default(value)
    return found


def defaults_of(config: dict, where=lambda path: True) -> dict:
    """The leaves (of those ``where`` keeps) that the schema would fill into ``config`` if each were left out, one
    at a time; only those whose name has a default somewhere in the schema are validated."""
    named = keys_with_a_default(yaml.safe_load(open(SCHEMA)))
    out = {}
    for path, value in leaves(config):
        if path[-1] not in named or not where(path):
            continue
        stripped = copy.deepcopy(config)
        node = stripped
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        try:
            validate(stripped, SCHEMA)
        except Exception:  # noqa: BLE001 — a required key has no default
            continue
        node = stripped
        for key in path:
            node = node.get(key, {}) if isinstance(node, dict) else None
        out[path] = node
    return out


def test_the_test_config_restates_no_default():
    config = yaml.safe_load((REPO / "config/test.yaml").read_text())
    restated = [".".join(map(str, path)) for path, default in defaults_of(config).items()
                if default == dict(leaves(config))[path]]
    assert restated == [], f"config/test.yaml restates schema defaults: {restated}"


def test_the_paper_config_restates_no_default_outside_its_methods():
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    restated = [".".join(map(str, path)) for path, default in defaults_of(config, lambda path: "methods" not in path).items()
                if default == dict(leaves(config))[path]]
    assert restated == [], f"config/config.yaml restates schema defaults: {restated}"


@pytest.mark.parametrize("name", ["config.yaml", "test.yaml", "gpu.yaml"])
def test_every_config_is_complete_on_its_own(name):
    config = yaml.safe_load((REPO / "config" / name).read_text())
    validate(config, SCHEMA)
    assert config["exact"]["automaton"]["T"] >= 2 and config["real"]["judge"]["markers"]


@pytest.mark.workflow
def test_a_method_defined_only_in_the_config_runs_in_both_environments(tmp_path, reviewer_workdir):
    """A toy method (an sft objective with its own fields), added to both environments by config alone, trains
    and is measured in each by the same rules and evaluators. It starts from a copy of the session run, so
    only the toy's jobs and the steps after them run."""
    import shutil

    import pandas as pd

    from harmhorizon.plan import paper_model

    for folder in ("work", "results"):
        shutil.copytree(reviewer_workdir / folder, tmp_path / folder, symlinks=True)
    toy = {"objective": "sft", "n_examples": 16, "anchor_fraction": 0.25, "seeds": [1],  # one seed is enough here
           "hp": {"max_steps": 1, "per_device_train_batch_size": 4, "learning_rate": 1.0e-3}}
    config = yaml.safe_load((REPO / "config/test.yaml").read_text())
    config["synthetic"]["methods"]["toy"] = toy
    config["real"]["methods"]["toy"] = {k: v for k, v in toy.items() if k not in ("anchor_fraction", "seeds")}
    config_file = tmp_path / "toy.yaml"
    config_file.write_text(yaml.safe_dump(config))
    filled = copy.deepcopy(config)
    validate(filled, SCHEMA)
    folders = {env: tmp_path / "results" / env / paper_model(filled, env) for env in ("synthetic", "real")}
    run_snakemake(*(str(folder.relative_to(tmp_path) / "runs.csv") for folder in folders.values()), "--cores", "2",
                  "--rerun-triggers", "mtime", "--forcerun", "collect", "--configfile", str(config_file), workdir=tmp_path)
    for env, folder in folders.items():
        runs = pd.read_csv(folder / "runs.csv")
        toy_runs = runs[runs.method == "toy"]
        seeds = filled[env]["methods"]["toy"].get("seeds", filled[env]["seeds"])
        assert sorted(toy_runs.seed) == sorted(seeds) and (toy_runs.train_steps == 1).all(), env
        assert (toy_runs.total_kl > 0).all(), env  # it trained: it moved away from the base
        # The same evaluators wrote the same metrics in both environments.
        assert {"kl_past_horizon", "kl_share_first", "grad_past_horizon", "recovery_gain_past_horizon",
                "harm_rate", "benign_refusal_rate"} <= set(runs.columns), env
