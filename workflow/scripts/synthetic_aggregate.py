"""Rule synthetic_aggregate: per-run folders -> kl_profile, prefill, grad_profile, runs and summary CSVs.

``harmhorizon.evaluate.summary.collect_runs`` (shared with the real-model track) with the exact t_ε of each
method's payload threshold m; the exact I_t and the exact Gibbs optimum's KL_t at the method's β are
joined to the KL profile for the figures.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from harmhorizon.evaluate.summary import collect_runs
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.synthetic.plan import seeds_of
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.experiments import exact_horizon, exact_information, exact_prefill_curve, gibbs_kl_profile

log = setup_logging(snakemake.log[0])
syn, methods = snakemake.params.environment, snakemake.params.environment["methods"]
automaton, epsilon = Automaton(**snakemake.params.automaton), snakemake.params.epsilon
m_of = {name: methods.get(name, {}).get("m", automaton.m) for name in ["base", *methods]}
horizons = {m: exact_horizon(automaton, m, epsilon) for m in set(m_of.values())}
runs = []
for folder in snakemake.input.runs:
    method = Path(folder).name
    for seed in seeds_of(syn, method):
        run = Path(folder) / f"seed{seed}"
        runs.append({"method": method, "seed": seed, "kl": pd.read_csv(run / "kl.csv"),
                     "prefill": pd.read_csv(run / "prefill.csv"), "grad": pd.read_csv(run / "grad.csv"),
                     "metrics": json.loads((run / "metrics.json").read_text())})
evaluation = syn["evaluation"]
order = ["harm_rate", "refusal_rate", "total_kl", "kl_past_horizon", "kl_mean_position", "grad_past_horizon",
         "recovery_gain_past_horizon", "alignment_depth", "benign_refusal_rate", "benign_recovery_rate", "benign_kl",
         "kl_share_first"] + [f"{rate}_k{k}" for k in evaluation["prefill_ks"] for rate in ("harm_rate", "recovery_rate")]
kl, prefill, grad, table, summary = collect_runs(runs, lambda method: horizons[m_of[method]], evaluation["depth_margin"],
                                                 evaluation["first_tokens"], evaluation["collapse_benign_kl"], order)
table.insert(2, "m", table.method.map(m_of))
kl["m"], prefill["m"] = kl.method.map(m_of), prefill.method.map(m_of)
information = {m: exact_information(automaton, m) for m in set(m_of.values())}
kl["harm_information"] = [information[m][t - 1] for m, t in zip(kl.m, kl.t)]
# The exact Gibbs optimum's KL_t at the method's β (trl's β where the method has one; NaN otherwise).
gibbs = {name: gibbs_kl_profile(automaton, m_of[name], spec["hp"]["beta"]) for name, spec in methods.items()
         if "beta" in spec["hp"]}
kl["gibbs_kl"] = [gibbs[n][t - 1] if n in gibbs else np.nan for n, t in zip(kl.method, kl.t)]
kl = kl[["method", "seed", "m", "t", "kl", "ci_low", "ci_high", "n", "harm_information", "gibbs_kl"]]
prefill = prefill[["method", "seed", "m", "k", "prefilled", "recovery_rate", "harm_rate", "n"]]
log.info("%d runs, %d collapsed", len(table), int(table.collapsed.sum()))
for frame, path in ((kl, snakemake.output.kl), (prefill, snakemake.output.prefill), (grad, snakemake.output.grad),
                    (table, snakemake.output.runs), (summary, snakemake.output.summary)):
    write_csv(frame, path)
# The exact base curve under the same prefill attack, for the figure (docs/experiments.md E4).
write_csv(exact_prefill_curve(automaton, evaluation["prefill_ks"]), snakemake.output.exact_prefill)
