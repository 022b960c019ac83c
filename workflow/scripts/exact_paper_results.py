"""Rule exact_paper_results: the ledger of Young's numbered results, the deep objective on the prefix tree,
the shortest prefill attacks and the gradient bounds (docs/experiments.md E8, E4)."""

import json

import pandas as pd
import yaml

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.theory.automaton import Automaton
from harmhorizon.theory.cliff_edge import cliff_edge_positions, cliff_edge_table
from harmhorizon.theory.deep import attack_rows, deep_objective_rows, environment_tree, solve_grid
from harmhorizon.theory.leading_order import (
    leading_order_solves,
    leading_order_table,
    recovery_gradient_table,
    shared_gradient_table,
)
from harmhorizon.theory.ledger import cliff_edge_rows, leading_order_rows, ledger, lemma28_rows, shared_gradient_rows
from harmhorizon.theory.shared import shared_parameter_table

log = setup_logging(snakemake.log[0])
automaton, settings = Automaton(**snakemake.params.automaton), snakemake.params.deep
if not settings["K"] < settings["T"]:
    raise ValueError(f"exact.deep.K = {settings['K']} must be < exact.deep.T = {settings['T']} (positions past the horizon)")
with open(snakemake.input.predictions) as handle:
    rules = yaml.safe_load(handle)["paper_results"]
solves = list(solve_grid(automaton, settings))
deep = pd.concat([deep_objective_rows(*solve, rules["saturated_recovery"]) for solve in solves], ignore_index=True)
attacks = pd.DataFrame([row for e, lam, mu, g, tree, _, table in solves
                        for row in attack_rows(e, lam, mu, g, tree, table, settings["deltas"])])
with open(snakemake.input.identities) as handle:
    identities = json.load(handle)
shared = shared_parameter_table(environment_tree(automaton, "sharp", settings["T"], settings["K"]),
                                settings["shared"]["lambdas"], settings["shared"]["policies"])
profile, prop29 = leading_order_table(leading_order_solves(automaton, settings))
recovery = recovery_gradient_table(automaton, settings, snakemake.params.seed)
shared_bounds = shared_gradient_table(automaton, settings, snakemake.params.seed)
cliff = cliff_edge_table(automaton, snakemake.params.betas)
positions = cliff_edge_positions(cliff, automaton, rules["cliff_edge_epsilons"])
extra = (leading_order_rows(profile, prop29, rules["leading_order_tolerance"], rules["exact_tolerance"]) + lemma28_rows(recovery, rules["exact_tolerance"])
         + cliff_edge_rows(positions, rules["cliff_edge_tolerance_positions"])
         + shared_gradient_rows(shared_bounds, rules["exact_tolerance"]))
table, bounds = ledger(automaton, settings, rules, identities, pd.read_csv(snakemake.input.kl_profile), solves, attacks,
                       snakemake.params.seed, shared, extra)
judged = table[table.holds.notna()]
for result, part in judged.groupby("result", sort=False):
    log.info("%-10s holds in %d of %d instances (worst abs err %.3g)", result, int(part.holds.astype(bool).sum()),
             len(part), part.abs_err.max())
write_csv(table, snakemake.output.ledger)
write_csv(deep, snakemake.output.deep)
write_csv(attacks, snakemake.output.attacks)
write_csv(pd.concat([bounds.assign(parameters="tabular"), shared_bounds.drop(columns="lemma12_excess")], ignore_index=True),
          snakemake.output.bounds)
write_csv(shared, snakemake.output.shared)
write_csv(profile, snakemake.output.leading_order)
write_csv(recovery, snakemake.output.recovery_gradient)
write_csv(cliff, snakemake.output.cliff_edge)
write_csv(positions, snakemake.output.cliff_edge_positions)
