"""The one run of config/test.yaml of a pytest session, in a scratch directory, shared by every workflow test.

It asks for every CSV/JSON result (target rule `result_data`), every provenance.json, the
reproducibility macros, the executed reviewer notebook and the compiled paper: the whole DAG, at
`--cores 2`. Tests read it through the `reviewer_workdir` fixture; none of them writes into it. It starts at
collection (conftest.py) and runs while the tests that do not read it run; those that do run last.
"""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import yaml

from conftest import REPO, BackgroundRun

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


_RUN: dict = {}


def start() -> None:
    """Start the shared run in the background (once): conftest does this at collection, so that the tests that do
    not read it run beside it on the same cores, and the tests that do are ordered last."""
    if _RUN:
        return
    workdir = Path(tempfile.mkdtemp(prefix="harmhorizon-reviewer-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    _RUN["workdir"] = workdir
    _RUN["run"] = BackgroundRun(*TARGETS, "--cores", "2", "--configfile", str(TEST_CONFIG), workdir=workdir)
    atexit.register(_RUN["run"].stop)  # registered last, so it runs before the folder is removed


@functools.cache
def reviewer_run() -> Path:
    """The working directory of the shared run, once it has finished (removed when the interpreter exits)."""
    start()
    _RUN["run"].wait()
    return _RUN["workdir"]
