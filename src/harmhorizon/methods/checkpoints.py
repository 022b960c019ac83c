"""Where a run's checkpoints and snapshots lie, without importing a trainer (docs/architecture.md).

The rules that only read a run's snapshots (frontier_run, gradient_test) import this module alone, not
``methods.trainers``, whose trl and peft imports take seconds per job.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def discard_stale_checkpoints(output_dir, run_config: dict) -> None:
    """Checkpoints in ``output_dir`` are resumed only if they were written for this exact ``run_config``.

    The config is stamped as sorted JSON in ``run_config.json``; a missing or different stamp empties
    the folder first, so that a changed method, seed or training set never resumes an old run.
    """
    folder = Path(output_dir)
    stamp = folder / "run_config.json"
    text = json.dumps(run_config, sort_keys=True)
    if folder.exists() and (not stamp.exists() or stamp.read_text() != text):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(text)


def last_complete_checkpoint(output_dir) -> str | None:
    """The highest ``checkpoint-N`` folder in ``output_dir`` that holds ``trainer_state.json``, or None.

    The Trainer writes trainer_state.json last when it saves a checkpoint, so a folder without it was
    left half-written by a kill; resuming from it would fail, and the previous complete one is used.
    """
    folder = Path(output_dir)
    if not folder.is_dir():
        return None
    complete = [path for path in folder.glob("checkpoint-*")
                if path.name.split("-")[-1].isdigit() and (path / "trainer_state.json").is_file()]
    return str(max(complete, key=lambda path: int(path.name.split("-")[-1]))) if complete else None


def snapshot_path(folder, step: int) -> Path:
    """The folder of the model saved at ``step`` among a run's snapshots (``methods.trainers.Snapshots``)."""
    return Path(folder) / f"step-{step}"


def snapshot_steps(final) -> tuple[Path, list[int]]:
    """(folder, sorted steps) of the snapshots ``methods.trainers.Snapshots`` kept beside a run's ``final`` model
    folder."""
    folder = Path(final).parent / "snapshots"
    return folder, sorted(int(path.name.split("-")[1]) for path in folder.glob("step-*"))
