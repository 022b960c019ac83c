"""The runs of config/test.yaml of a pytest session, each in a scratch directory, shared by the workflow tests.

- ``reviewer``: every CSV/JSON result (target rule `result_data`), every provenance.json, the reproducibility
  macros, the executed reviewer notebook and the compiled paper: the whole DAG, at `--cores 2`; fixture
  `reviewer_workdir`.
- ``one_core``: the synthetic environment's reference stage and one seed of the base and of one method per kind
  of trainer, at `--cores 1`, one job at a time, which test_determinism compares with the reviewer run;
  fixture `one_core_workdir`.

A run starts at collection (conftest.py) when a selected test asks for its fixture, and goes on while the tests
that read no run run beside it; the tests that read one run last. None of them writes into a run.
"""

import atexit
import functools
import shutil
import signal
import sys
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


# One method per kind of trainer: offline preferences (trl DPO), on-policy generation (trl GRPO) and the
# project's own penalty trainer (a trl SFT subclass, as sft and augment use too).
COMPARED_OBJECTIVES = ("dpo", "rlhf", "recovery")


def compared_runs(config: dict) -> list[str]:
    """The base and the first method of each compared objective."""
    first = {}
    for name, method in config["synthetic"]["methods"].items():
        if method["objective"] in COMPARED_OBJECTIVES:
            first.setdefault(method["objective"], name)
    return ["base", *first.values()]


def one_core_targets(config: dict) -> list[str]:
    """What the one-core run makes, at the first seed: every compared run's metrics, gradient test (the base's
    reference and the tested methods' checkpoints), harm–KL trace and both prefill attacks, and Monte Carlo I_t."""
    from harmhorizon.plan import paper_model

    model, seed, runs = paper_model(config, "synthetic"), config["synthetic"]["seeds"][0], compared_runs(config)
    folder = f"results/synthetic/{model}/runs"
    tested = config["synthetic"]["gradient_test"]
    targets = [f"{folder}/{run}/seed{seed}/{name}" for run in runs for name in ("metrics.json", "attack.csv")]
    targets.append(f"{folder}/base/seed{seed}/gradient_test_reference.csv")
    targets += [f"{folder}/{run}/seed{seed}/gradient_test_{checkpoint}.csv"
                for run in runs if run in tested["methods"] for checkpoint in tested["checkpoints"]]
    targets += [f"{folder}/{run}/seed{seed}/frontier.csv" for run in runs if run != "base"]
    return targets + [f"results/synthetic/{model}/harm_information.csv"]


_RUNS: dict = {}


def start(name: str) -> None:
    """Start the run ``name`` in the background (once)."""
    if name in _RUNS:
        return
    workdir = Path(tempfile.mkdtemp(prefix=f"harmhorizon-{name}-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    targets, cores = (TARGETS, "2") if name == "reviewer" else (one_core_targets(run_config()), "1")
    run = BackgroundRun(*targets, "--cores", cores, "--configfile", str(TEST_CONFIG), workdir=workdir)
    _RUNS[name] = (workdir, run)
    atexit.register(run.stop)  # registered last, so it runs before the folder is removed
    # A session ended by SIGTERM (a CI timeout, `timeout`) exits through atexit too, and so stops the run.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@functools.cache
def finished(name: str) -> Path:
    """The working directory of the run ``name``, once it has finished (removed when the interpreter exits)."""
    start(name)
    workdir, run = _RUNS[name]
    run.wait()
    return workdir
