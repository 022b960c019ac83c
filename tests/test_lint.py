"""Style gates for the workflow: `snakemake --lint` finds nothing and snakefmt would change nothing."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_snakemake

pytestmark = pytest.mark.workflow


def test_snakemake_lint_is_clean(tmp_path):
    result = run_snakemake("--lint", "--configfile", str(REPO / "config/test.yaml"), workdir=tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Lints for" not in output and "your workflow is in a good condition" in output, output[-4000:]


def test_snakefmt_is_clean():
    snakefmt = Path(sys.executable).with_name("snakefmt")
    result = subprocess.run(
        [str(snakefmt), "--check", "Snakefile", "workflow/rules"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
