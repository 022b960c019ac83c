"""Rule frontier: every run's harm–KL trace in one table, each read at the registered harm levels against the
exact Gibbs optimum at the same harm (harmhorizon.evaluate.frontier), and their summary over seeds.

The collapse maxima and harm levels are those of config/predictions.yaml, section ``frontier``."""

import pandas as pd
import yaml

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.frontier import (OPTIMUM_FRACTIONS, collapsed, deep_optimum, h_deep_optimum, matched_runs,
                                          matched_summary)
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
with open(snakemake.input.predictions) as handle:
    rules = yaml.safe_load(handle)["frontier"]
env = load_environment(snakemake.wildcards.env, snakemake.params.environment,
                       {key: snakemake.input[key] for key in ("reference", "harmful", "benign") if key in snakemake.input.keys()})
methods, epsilon = snakemake.params.methods, snakemake.params.epsilon
frontier = pd.concat([pd.read_csv(path) for path in snakemake.input.runs], ignore_index=True)
frontier["collapsed"] = collapsed(frontier, rules["benign_kl_max"], rules["harmful_kl_max"])
levels, gibbs = {}, {}
for method in frontier.method.unique():
    m = env.method_m(methods, method)
    levels[method] = [(f, f * env.base_harm(m)) for f in rules["harm_fractions"]]
    for fraction, harm in levels[method]:
        gibbs[(method, fraction)] = env.optimum_at_harm(m, harm, epsilon)
matched = matched_runs(frontier, levels, gibbs)
summary = matched_summary(matched, gibbs)
log.info("%d points, %d collapsed; matched:\n%s", len(frontier), int(frontier.collapsed.sum()),
         matched[["method", "seed", "harm_fraction", "reason", "step", "log_leakage", "recovery_shift_decided"]].to_string(index=False))
# The exact optimum's whole frontier, for the figure: each m's Gibbs optimum on a grid of harm fractions.
optimum = pd.DataFrame([{"m": m, "harm_fraction": f, "harm": f * env.base_harm(m), **env.optimum_at_harm(m, f * env.base_harm(m), epsilon)}
                        for m in sorted({env.method_m(methods, n) for n in frontier.method.unique()}) for f in OPTIMUM_FRACTIONS])
write_csv(optimum, snakemake.output.optimum)
# The exact optimum of each penalised on-policy method's objective at its own (β, μ, γ): what it would reach.
# recovery_rl: P5-on (ours, theory.gibbs); h_deep: Young's Def 17 (theory.deep), beside Thm 20's stated shift.
OPTIMA = {"recovery_rl": deep_optimum, "h_deep": h_deep_optimum}
deep = pd.DataFrame([{"method": name, "objective": spec["objective"],
                      **OPTIMA[spec["objective"]](env.automaton, env.method_m(methods, name), spec["hp"]["beta"],
                                                  spec["mu"], spec["gamma"])}
                     for name, spec in methods.items() if spec["objective"] in OPTIMA],
                    columns=["method", "objective", "beta", "mu", "gamma", "harm", "total_kl", "recovery_shift_decided",
                             "shift_thm20"])
write_csv(deep, snakemake.output.deep_optimum)
write_csv(frontier, snakemake.output.frontier)
write_csv(matched, snakemake.output.matched_runs)
write_csv(summary, snakemake.output.matched)
