"""Provenance: which rules make a results folder, what provenance.json records, and the appendix macros."""

import json
import re

import pandas as pd
import pytest

from harmhorizon.provenance import (
    config_hash,
    folder_rules,
    match_under,
    reproducibility_numbers,
    rule_wall_times,
    seeds,
    wall_time_table,
)

from conftest import REPO

RULES = [
    {"name": "exact_kl", "snakefile": "/r/workflow/rules/exact.smk", "outputs": ["results/exact/kl.csv"], "benchmark": "results/benchmarks/exact_kl.tsv"},
    {"name": "figure_kl", "snakefile": "/r/workflow/rules/figures.smk", "outputs": ["results/figures/exact/kl.pdf"], "benchmark": "results/benchmarks/figure_kl.tsv"},
    {"name": "train", "snakefile": "/r/workflow/rules/synthetic.smk", "outputs": ["work/synthetic/{method}/{seed}/model"], "benchmark": "results/benchmarks/train/{method}_{seed}.tsv"},
    {"name": "real_eval", "snakefile": "/r/workflow/rules/real.smk", "outputs": ["results/real/{model}/kl_profile.csv"], "benchmark": "results/benchmarks/real_eval/{model}.tsv"},
    {"name": "real_import", "snakefile": "/r/workflow/rules/real.smk", "outputs": ["work/real/{model}/model"], "benchmark": "results/benchmarks/real_import/{model}.tsv"},
    {"name": "no_benchmark", "snakefile": "/r/workflow/rules/exact.smk", "outputs": ["results/exact/x.csv"], "benchmark": None},
]


def test_match_under_reads_wildcards_from_the_folder():
    assert match_under("results/real/{model}/kl.csv", "results/real/tiny") == {"model": "tiny"}
    assert match_under("results/real/{model,[a-z]+}/kl.csv", "results/real/tiny") == {"model": "tiny"}
    assert match_under("results/exact/kl.csv", "results/exact") == {}
    assert match_under("results/exact/kl.csv", "results/synthetic") is None
    assert match_under("results/exact", "results/exact") is None  # not strictly under


def test_folder_rules_by_output_and_by_rule_file():
    assert folder_rules(RULES, "exact") == {
        "exact_kl": "results/benchmarks/exact_kl.tsv",
        "figure_kl": "results/benchmarks/figure_kl.tsv",
    }
    # Training rules write outside results/ and still belong to their track (by rule file).
    assert folder_rules(RULES, "synthetic") == {"train": "results/benchmarks/train/*_*.tsv"}
    # The folder fixes {model}: only that model's benchmark files are read.
    assert folder_rules(RULES, "real/tiny") == {
        "real_eval": "results/benchmarks/real_eval/tiny.tsv",
        "real_import": "results/benchmarks/real_import/tiny.tsv",
    }


def test_config_hash_is_canonical_and_sensitive():
    a = {"seed": 1, "exact": {"betas": [0.1, 1.0], "epsilon": 0.05}}
    b = {"exact": {"epsilon": 0.05, "betas": [0.1, 1.0]}, "seed": 1}
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash({**a, "seed": 2})
    assert re.fullmatch(r"[0-9a-f]{64}", config_hash(a))


def test_seeds_are_collected_by_dotted_key():
    config = {"seed": 7, "synthetic": {"seeds": [1, 2], "methods": {"dpo": {"seeds": [3]}}}, "exact": {"T": 3}}
    assert seeds(config) == {"seed": 7, "synthetic.seeds": [1, 2], "synthetic.methods.dpo.seeds": [3]}


def test_rule_wall_times_sums_benchmark_files(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for name, seconds in (("a_1", 2.5), ("a_2", 1.5)):
        (tmp_path / f"{name}.tsv").write_text(header + f"{seconds}\t0:00:02\t100.0\t1\t1\t1\t0\t0\t50\t{seconds / 2}\n")
    times = rule_wall_times({"a": str(tmp_path / "a_*.tsv"), "missing": str(tmp_path / "none.tsv")})
    assert times == {"a": {"jobs": 2, "wall_s": 4.0, "cpu_s": 2.0, "max_rss_mb": 100.0}}


def fake_record(folder, wall):
    return {
        "folder": f"results/{folder}",
        "git": {"commit": "0123456789abcdef", "dirty": False},
        "config_hash": "f" * 64,
        "config": {"seed": 7},
        "packages": {"python": "3.11.7", "torch": "2.13.0", "snakemake": "9.27.1"},
        "device": {"cpu": "Some CPU @ 2GHz & more", "cpu_count": 2, "accelerator": None},
        "rules": {"r_one": {"jobs": 1, "wall_s": wall, "cpu_s": wall, "max_rss_mb": 1.0}},
        "wall_s_total": wall,
    }


def test_reproducibility_numbers_are_valid_macros():
    numbers = reproducibility_numbers([fake_record("exact", 3.0), fake_record("synthetic", 4.5)])
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in numbers)
    assert numbers["ReproCommit"] == r"\text{\ttfamily 0123456789}"
    assert numbers["ReproTreeState"] == r"\text{clean}"
    assert numbers["ReproWallTotal"] == "7.5"
    assert numbers["ReproNFolders"] == "2"
    assert r"\&" in numbers["ReproCPU"]  # LaTeX specials escaped
    table = wall_time_table([fake_record("exact", 3.0)])
    assert r"\label{tab:wall-time}" in table and r"exact" in table and r"r\_one" in table


@pytest.mark.workflow
def test_every_results_folder_gets_a_provenance_record(reviewer_workdir):
    from _reviewer_run import run_config

    workdir = reviewer_workdir
    config = run_config()  # the run's config: the file with the schema's defaults filled in
    folders = [p.parent for p in (workdir / "results").rglob("numbers.json") if "reproducibility" not in p.parts]
    assert folders, "the test run wrote no numbers.json"
    for folder in folders:
        record = json.loads((folder / "provenance.json").read_text())
        assert record["config"] == config
        assert record["config_hash"] == config_hash(config)
        assert record["seeds"]["seed"] == config["seed"]
        assert re.fullmatch(r"[0-9a-f]{40}", record["git"]["commit"]) and isinstance(record["git"]["dirty"], bool)
        for package in ("torch", "transformers", "trl", "snakemake", "numpy"):
            assert record["packages"][package], package
        assert record["device"]["cpu_count"] >= 1
        # Every rule that wrote into the folder and ran in this run is timed.
        assert record["rules"] and all(rule["wall_s"] > 0 for rule in record["rules"].values())
        assert record["wall_s_total"] == pytest.approx(sum(r["wall_s"] for r in record["rules"].values()), abs=0.01)
    exact = json.loads((workdir / "results/exact/provenance.json").read_text())
    assert {"exact_identities", "exact_kl_profile", "exact_numbers", "figure_kl_information"} <= set(exact["rules"])
    numbers = json.loads((workdir / "results/reproducibility/numbers.json").read_text())
    assert numbers["ReproNFolders"] == str(len(folders))
    appendix = (REPO / "paper/sections/appendix.tex").read_text()
    used = set(re.findall(r"\\((?:Repro|Bench)[A-Za-z]+)", appendix))
    assert used and used <= set(numbers), sorted(used - set(numbers))
