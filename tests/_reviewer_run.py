"""One run of config/test.yaml in a scratch directory, shared by the reviewer tests of a pytest session.

It asks for every CSV/JSON result (target rule `result_data`), every provenance.json, the
reproducibility macros, the executed reviewer notebook and the compiled paper: the whole DAG.
"""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from conftest import REPO, run_snakemake

TEST_CONFIG = REPO / "config" / "test.yaml"
TARGETS = (
    "result_data",
    "results/reproducibility/numbers.json",
    "results/reproducibility/explore.html",
    "paper/build/main.pdf",
)


@functools.cache
def reviewer_run() -> Path:
    """The working directory of the shared run (removed when the interpreter exits)."""
    workdir = Path(tempfile.mkdtemp(prefix="harmhorizon-reviewer-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    run_snakemake(*TARGETS, "--cores", "2", "--configfile", str(TEST_CONFIG), workdir=workdir)
    return workdir
