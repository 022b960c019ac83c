"""Rule real_collect: one table per quantity over methods and seeds, the per-run metrics and their summary.

``harmhorizon.evaluate.summary.collect_runs`` (shared with the synthetic track) with the base's Monte Carlo
ε-horizon (``harmhorizon.horizon``) for every method.
"""

import json
from pathlib import Path

import pandas as pd

from harmhorizon.evaluate.summary import collect_runs
from harmhorizon.horizon import epsilon_horizon
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
information = pd.read_csv(snakemake.input.information)
horizon = epsilon_horizon(information.t_end, information.harm_information, snakemake.params.epsilon)
log.info("grid ε-horizon of the base: %s", horizon)


def run_of(folder: Path) -> dict:
    """One run's files (method and seed from the path .../runs/<method>/seed<s>/)."""
    metrics = json.loads((folder / "metrics.json").read_text())
    training = folder / "training.json"
    if training.exists():
        metrics |= json.loads(training.read_text())
    grad = pd.read_csv(folder / "grad.csv") if (folder / "grad.csv").exists() else pd.DataFrame()
    return {"method": metrics["method"], "seed": metrics["seed"], "kl": pd.read_csv(folder / "kl.csv"),
            "prefill": pd.read_csv(folder / "prefill.csv"), "grad": grad.drop(columns=["method", "seed"], errors="ignore"),
            "metrics": metrics}


runs = [run_of(Path(path).parent) for path in snakemake.input.metrics]
kl, prefill, grad, table, summary = collect_runs(runs, lambda method: horizon, snakemake.params.depth_margin,
                                                 snakemake.params.first_tokens)
kl = kl[["method", "seed", "t", "kl", "ci_low", "ci_high", "n"]]
prefill = prefill[["method", "seed", "k", "prefilled", "recovery_rate", "harm_rate", "n"]]
for frame, path in ((kl, snakemake.output.kl), (prefill, snakemake.output.prefill), (grad, snakemake.output.grad),
                    (table, snakemake.output.runs), (summary, snakemake.output.summary)):
    write_csv(frame, path)
