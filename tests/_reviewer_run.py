"""The one run of config/test.yaml of a pytest session, in a scratch directory, shared by every workflow test.

It asks for every CSV/JSON result (target rule `result_data`), every provenance.json, the
reproducibility macros, the executed reviewer notebook and the compiled paper: the whole DAG, at
`--cores 2`. Tests read it; none of them writes into it.
"""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import yaml

from conftest import REPO, run_snakemake

TEST_CONFIG = REPO / "config" / "test.yaml"
TARGETS = (
    "result_data",
    "results/reproducibility/numbers.json",
    "results/reproducibility/explore.html",
    "paper/build/main.pdf",
)


@functools.cache
def run_config() -> dict:
    """config/test.yaml as the run sees it: the schema's defaults filled in."""
    from snakemake.utils import validate

    config = yaml.safe_load(TEST_CONFIG.read_text())
    validate(config, str(REPO / "config/schema.yaml"))
    return config


@functools.cache
def reviewer_run() -> Path:
    """The working directory of the shared run (removed when the interpreter exits)."""
    workdir = Path(tempfile.mkdtemp(prefix="harmhorizon-reviewer-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    run_snakemake(*TARGETS, "--cores", "2", "--configfile", str(TEST_CONFIG), workdir=workdir)
    return workdir
