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


def snakemake_command(*args, workdir: Path | None = None) -> list[str]:
    """The command line that runs the project's Snakefile (optionally in another working directory)."""
    command = [snakemake_executable(), "--snakefile", str(REPO / "Snakefile")]
    if workdir is not None:
        command += ["--directory", str(workdir)]
    return command + list(args)


def run_snakemake(*args, workdir: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the project's Snakefile (optionally in another working directory) and return the result."""
    result = subprocess.run(snakemake_command(*args, workdir=workdir), cwd=REPO, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


class BackgroundRun:
    """A Snakemake run started without waiting for it (`wait` waits and checks it). Its output goes to temporary
    files, not pipes, which a long run would fill while nobody reads them."""

    def __init__(self, *args, workdir: Path | None = None):
        import tempfile

        self.args = args
        self.stdout, self.stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(snakemake_command(*args, workdir=workdir), cwd=REPO, stdout=self.stdout,
                                        stderr=self.stderr, text=True)

    def wait(self) -> None:
        """Wait for the run; fail with the tail of its output if it failed."""
        if self.process.wait() != 0:
            stdout, stderr = (stream.seek(0) or stream.read() for stream in (self.stdout, self.stderr))
            raise AssertionError(f"snakemake {' '.join(self.args)} failed:\n{stdout[-4000:]}\n{stderr[-4000:]}")

    def stop(self) -> None:
        """End the run if it is still going (an interrupted session)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


SHARED_RUNS = {"reviewer_workdir": "reviewer", "one_core_workdir": "one_core"}  # fixture: run (tests/_reviewer_run.py)


def shared_runs_read(item) -> set[str]:
    return {run for fixture, run in SHARED_RUNS.items() if fixture in getattr(item, "fixturenames", ())}


def pytest_collection_modifyitems(session, config, items):
    """The tests that read a shared test-config run run last."""
    items.sort(key=lambda item: bool(shared_runs_read(item)))  # stable: each group keeps its order


def pytest_collection_finish(session):
    """Each shared run that a selected test reads starts now, in the background, so that every test that reads
    none runs beside it on the same cores."""
    from _reviewer_run import start

    for run in sorted(set().union(*(shared_runs_read(item) for item in session.items))):
        start(run)


@pytest.fixture(scope="session")
def reviewer_workdir() -> Path:
    """The working directory of the session's whole-DAG config/test.yaml run (tests/_reviewer_run.py), finished."""
    from _reviewer_run import finished

    return finished("reviewer")


@pytest.fixture(scope="session")
def one_core_workdir() -> Path:
    """The working directory of the session's one-core config/test.yaml run (tests/_reviewer_run.py), finished."""
    from _reviewer_run import finished

    return finished("one_core")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
