"""Shared fixtures: the repository root, the venv's snakemake, and offline Hugging Face settings."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def load_config(name: str) -> dict:
    """config/<name> as a run sees it: validated, with the schema's defaults filled in."""
    import yaml
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config" / name).read_text())
    validate(config, str(REPO / "config" / "schema.yaml"))
    return config


def snakemake_executable() -> str:
    candidate = Path(sys.executable).with_name("snakemake")
    return str(candidate) if candidate.exists() else shutil.which("snakemake")


def run_snakemake(*args, workdir: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the project's Snakefile (optionally in another working directory) and return the result."""
    command = [snakemake_executable(), "--snakefile", str(REPO / "Snakefile")]
    if workdir is not None:
        command += ["--directory", str(workdir)]
    command += list(args)
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
