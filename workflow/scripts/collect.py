"""Rule collect: one table per quantity over methods and seeds, the per-run metrics and their summary.

``harmhorizon.evaluate.summary.collect_runs`` with the environment's horizon (exact by each method's m on
the automaton; the base's Monte Carlo ε-horizon on a chat model) and its annotations.
"""

import json
from pathlib import Path

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.summary import collect_runs
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
settings, methods = snakemake.params.collect, snakemake.params.methods
env = load_environment(snakemake.wildcards.env, snakemake.params.environment,
                       {key: snakemake.input[key] for key in ("reference", "harmful", "benign", "samples")
                        if key in snakemake.input.keys()})
horizon_of = env.horizon_of(methods, pd.read_csv(snakemake.input.information), settings["epsilon"])


def run_of(folder: Path) -> dict:
    """One run's files (the base has no training files: it trained 0 steps on 0 examples)."""
    metrics = json.loads((folder / "metrics.json").read_text())
    training = folder / "training.json"
    metrics |= json.loads(training.read_text()) if training.exists() else {"train_steps": 0, "train_examples": 0}
    grad = pd.read_csv(folder / "grad.csv") if (folder / "grad.csv").exists() else pd.DataFrame()
    return {"method": metrics["method"], "seed": metrics["seed"], "kl": pd.read_csv(folder / "kl.csv"),
            "prefill": pd.read_csv(folder / "prefill.csv"), "grad": grad.drop(columns=["method", "seed"], errors="ignore"),
            "metrics": metrics}


runs = [run_of(Path(path).parent) for path in snakemake.input.metrics]
kl, prefill, grad, table, summary = collect_runs(runs, horizon_of, settings["depth_margin"], settings["first_tokens"],
                                                 settings["collapse_benign_kl"],
                                                 moved_kl_min=settings.get("moved_kl_min"))
kl, prefill = env.annotate(methods, kl, prefill)
if "m" in kl:
    table.insert(2, "m", table.method.map(kl.drop_duplicates("method").set_index("method").m))
log.info("%d runs; t_eps of the base %s", len(table), horizon_of("base"))
for frame, path in ((kl, snakemake.output.kl), (prefill, snakemake.output.prefill), (grad, snakemake.output.grad),
                    (table, snakemake.output.runs), (summary, snakemake.output.summary)):
    write_csv(frame, path)
