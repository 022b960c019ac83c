"""Bad configs and inputs are rejected with one clear message that names the key or file and the fix.

One test per case of the robustness issue: wrong types, q + r + e > 1, unknown method names, a model
path that does not exist, a hub id while offline, an empty prompt file, a malformed tokenizer folder, an
empty seed list, a prefill depth beyond the response length, an unknown profile, m beyond T.
"""

import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from harmhorizon.config import ConfigError, check_config
from harmhorizon.real import models, prompts

from conftest import REPO, load_config, run_snakemake

SCHEMA = str(REPO / "config/schema.yaml")


def load_test_config():
    return load_config("test.yaml")


def rejected(config) -> str:
    """The message with which the schema or the cross-key checks reject `config` (fails if accepted)."""
    try:
        validate(copy.deepcopy(config), SCHEMA)
        check_config(config)
    except (WorkflowError, ConfigError) as error:
        return str(error)
    raise AssertionError("the config was accepted")


def section(name):
    config = load_test_config()
    assert name in config, f"config/test.yaml has no {name} section, which this test exercises"
    return config


# --- config cases -----------------------------------------------------------------------------------


def test_wrong_type_is_named_by_the_dag(tmp_path):
    """Through the command line: the run stops before the DAG, naming the key and the expected type."""
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "config/test.yaml").read_text().replace("T: 12", "T: twelve", 1))
    result = run_snakemake("--dry-run", "--configfile", str(bad), workdir=tmp_path, check=False)
    assert result.returncode != 0
    message = result.stderr + result.stdout
    assert "['exact']['automaton']['T']" in message and "'twelve' is not of type 'integer'" in message


def test_probabilities_over_one(tmp_path):
    config = load_test_config()
    config["exact"]["automaton"].update(q=0.6, r=0.3, e=0.2)
    message = rejected(config)
    assert "exact.automaton: q + r + e = 1.1 > 1" in message and "lower exact.automaton.q" in message


def test_m_beyond_T():
    config = load_test_config()
    config["exact"]["automaton"]["m"] = config["exact"]["automaton"]["T"]
    message = rejected(config)
    assert "exact.automaton.m" in message and "lower m or raise T" in message


def test_empty_seed_list():
    config = section("synthetic")
    config["synthetic"]["seeds"] = []
    message = rejected(config)
    assert "['synthetic']['seeds']" in message and "should be non-empty" in message


def test_unknown_method_name():
    config = section("synthetic")
    config["synthetic"]["methods"]["ppo"] = {**next(iter(config["synthetic"]["methods"].values())), "objective": "ppo"}
    message = rejected(config)
    assert "'ppo' is not one of" in message and "dpo" in message and "['synthetic']['methods']['ppo']['objective']" in message


def test_unknown_real_method_objective():
    config = section("real")
    name, method = next(iter(config["real"]["methods"].items()))
    config["real"]["methods"][name] = {**method, "objective": "ppo"}
    message = rejected(config)
    assert "ppo" in message and "['real']['methods']" in message


def test_prefill_depth_beyond_response_length():
    config = section("synthetic")
    T = config["exact"]["automaton"]["T"]
    config["synthetic"]["evaluation"]["prefill_ks"] = [0, T + 5]
    message = rejected(config)
    assert "synthetic.evaluation.prefill_ks" in message and str(T + 5) in message


def test_unknown_profile(tmp_path):
    result = run_snakemake("--dry-run", "--profile", "no-such-profile", "--configfile", str(REPO / "config/test.yaml"),
                           workdir=tmp_path, check=False)  # fmt: skip
    assert result.returncode != 0
    assert "no-such-profile" in result.stderr + result.stdout


# --- input cases (the real-model track's loaders) ---------------------------------------------------


def test_model_path_that_does_not_exist(tmp_path):
    with pytest.raises(models.ModelNotFoundError) as error:
        models.resolve_source("mine", str(tmp_path / "no-such-model"))
    message = str(error.value)
    assert "real.models.mine.source" in message and "no-such-model" in message and "\n" not in message


def test_hub_id_while_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hub-cache"))
    with pytest.raises(models.ModelNotFoundError) as error:
        models.import_model("hubbed", "some-org/some-model", tmp_path / "out")
    message = str(error.value)
    assert "real.models.hubbed.source" in message and "HF_HUB_OFFLINE" in message and "\n" not in message


def test_empty_prompt_file(tmp_path):
    empty = tmp_path / "benign.txt"
    empty.write_text("\n   \n")
    harmful = tmp_path / "harmful.txt"
    harmful.write_text("\n".join(f"harmful request {i}" for i in range(40)))
    config = section("real")
    sizes = config["real"]["prompts"]
    with pytest.raises((ValueError, prompts.PromptFileError)) as error:
        prompts.build_prompt_table(harmful, empty, {"harmful": sizes["harmful"], "benign": sizes["benign"]}, seed=0)
    message = str(error.value)
    assert "benign" in message and str(empty) in message and "\n" not in message


def test_malformed_tokenizer_folder(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / "tokenizer.json").write_text("{ this is not json")
    (folder / "tokenizer_config.json").write_text('{"tokenizer_class": "PreTrainedTokenizerFast"}')
    with pytest.raises(models.ModelNotFoundError) as error:
        models.import_model("broken", str(folder), tmp_path / "out")
    message = str(error.value)
    assert "real.models.broken.source" in message and "tokenizer" in message.lower() and "\n" not in message
