"""Rule exact_ablation: tabular against shared-parameter policies under exact and sampled gradient descent
(docs/experiments.md E5c; src/harmhorizon/theory/ablation.py)."""

import yaml

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.theory.ablation import ablation_verdicts, matched_table, run_curves, trajectory_table
from harmhorizon.theory.automaton import Automaton

log = setup_logging(snakemake.log[0])
settings = snakemake.params.ablation
if not settings["K"] < settings["T"]:
    raise ValueError(f"exact.ablation.K = {settings['K']} must be < exact.ablation.T = {settings['T']}")
with open(snakemake.input.predictions) as handle:
    rules = yaml.safe_load(handle)["ablation"]
trajectories = trajectory_table(Automaton(**snakemake.params.automaton), settings)
curves = run_curves(trajectories)
matched = matched_table(curves, settings["harm_fractions"])
verdicts = ablation_verdicts(curves, matched, rules)
for row in verdicts.itertuples():
    log.info("%s [%s, %s, %s]: %.3g [%.3g, %.3g] -> %s", row.prediction, row.environment, row.policy,
             row.harm_fraction, row.mean, row.ci_low, row.ci_high, row.verdict)
# Per position, every record_every steps (and the last); the per-step sums are in the curves file.
recorded = (trajectories.step % settings["record_every"] == 0) | (trajectories.step == settings["steps"])
write_csv(trajectories[recorded], snakemake.output.trajectories)
write_csv(curves, snakemake.output.curves)
write_csv(matched, snakemake.output.matched)
write_csv(verdicts, snakemake.output.verdicts)
