"""The synthetic track's rules: the test config plans them, and (slow) runs them end to end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


@pytest.mark.workflow
def test_synthetic_track_dry_run_plans_every_method():
    out = subprocess.run(SNAKEMAKE + ["--cores", "1", "-n", "results/synthetic/numbers.json",
                                      "--configfile", "config/test.yaml"],
                         cwd=REPO, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    for rule in ("synthetic_base", "synthetic_dpo", "synthetic_rlhf", "synthetic_sft", "synthetic_recovery",
                 "synthetic_augment", "synthetic_aggregate", "synthetic_numbers"):
        assert rule in out.stdout


@pytest.mark.workflow
@pytest.mark.skipif(os.environ.get("HARMHORIZON_RUN_SLOW") != "1", reason="set HARMHORIZON_RUN_SLOW=1 (about 2-4 min)")
def test_synthetic_track_runs_on_the_test_config(tmp_path):
    """The whole track on config/test.yaml in a copy of the repository; contract columns present."""
    import pandas as pd

    copy = tmp_path / "repo"
    import shutil

    shutil.copytree(REPO, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", "work", ".snakemake", "results", "logs", "build", ".git", "__pycache__"))
    out = subprocess.run(SNAKEMAKE + ["--cores", "2", "results/synthetic/numbers.json", "results/figures/synthetic/kl_profile.pdf",
                                      "--configfile", "config/test.yaml"],
                         cwd=copy, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    contracts = {"kl_profile.csv": {"method", "seed", "t", "kl", "ci_low", "ci_high"},
                 "prefill.csv": {"method", "seed", "k", "recovery_rate", "harm_rate", "n"},
                 "grad_profile.csv": {"method", "seed", "step", "t", "grad_norm"},
                 "summary.csv": {"method", "metric", "mean", "ci_low", "ci_high", "n_seeds"}}
    for name, columns in contracts.items():
        assert columns <= set(pd.read_csv(copy / "results/synthetic" / name).columns)
