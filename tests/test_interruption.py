"""Interruption: a training rule killed midway resumes from its last checkpoint and leaves no corrupt output.

The base-model pretraining rule of the synthetic track (`synthetic_base`, trl SFTTrainer with
save_steps) is started on a test config made long enough to be caught between checkpoints, killed
(SIGTERM to Snakemake and its job) once a checkpoint exists, and rerun. A marker appended to the
checkpoint's trainer_state.json log history proves that the rerun resumed from it: the Trainer carries
the log history of the checkpoint it resumes from into every later checkpoint.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, load_config, run_snakemake, snakemake_executable
from harmhorizon.plan import paper_model
from harmhorizon.methods.checkpoints import last_complete_checkpoint

pytestmark = pytest.mark.workflow
TARGET = f"work/synthetic/{paper_model(load_config('test.yaml'), 'synthetic')}/base/final"
MARKER = {"interruption_test_marker": 1.0}


def long_test_config(tmp_path):
    config = yaml.safe_load((REPO / "config/test.yaml").read_text())
    config["synthetic"]["base_hp"].update(max_steps=100, save_steps=10)
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def checkpoints(workdir):
    return sorted((workdir / TARGET).parent.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))


def test_killed_training_resumes_from_its_checkpoint(tmp_path):
    configfile = long_test_config(tmp_path)
    workdir = tmp_path / "run"
    workdir.mkdir()
    command = [snakemake_executable(), TARGET, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--configfile", str(configfile), "--cores", "2"]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 300
    try:
        while not [c for c in checkpoints(workdir) if (c / "trainer_state.json").exists()]:
            assert process.poll() is None, "training finished or failed before its first checkpoint:\n" + process.stderr.read().decode()[-3000:]
            assert time.time() < deadline, "no checkpoint within 300 s"
            time.sleep(0.05)
        time.sleep(0.5)  # let the checkpoint finish writing
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0
    assert not (workdir / TARGET / "model.safetensors").exists(), "a killed run must not leave a final model"
    # The kill may land while a later checkpoint is being written; the rerun resumes from the last complete one.
    resumed_from = Path(last_complete_checkpoint((workdir / TARGET).parent))
    step = int(resumed_from.name.split("-")[1])
    assert 0 < step < 100
    state_path = resumed_from / "trainer_state.json"
    state = json.loads(state_path.read_text())
    state["log_history"].append({**MARKER, "step": step})
    state_path.write_text(json.dumps(state))

    run_snakemake(TARGET, "--cores", "2", "--configfile", str(configfile), workdir=workdir)

    last = checkpoints(workdir)[-1]
    assert int(last.name.split("-")[1]) == 100
    history = json.loads((last / "trainer_state.json").read_text())["log_history"]
    assert {**MARKER, "step": step} in history, "the rerun did not resume from the interrupted checkpoint"
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(workdir / TARGET)
    AutoTokenizer.from_pretrained(workdir / TARGET)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert "incomplete" not in run_snakemake(TARGET, "--cores", "1", "--configfile", str(configfile), "--dry-run", workdir=workdir).stdout.lower()
