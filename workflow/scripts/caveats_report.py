"""Rule caveats_report: E7's figure (continuation harm under both prefill attacks), table and macros
(harmhorizon.report.caveats; the verdicts are evaluate.verdicts.caveat_verdicts's, from rule verdicts)."""

import pandas as pd

from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.caveats import attack_figure, benign_cost_table, caveat_numbers, caveat_table, horizon_of
from harmhorizon.report.figures import save_figure
from harmhorizon.report.latex import write_numbers

setup_logging(snakemake.log[0])
envs, methods, ks = snakemake.params.envs, snakemake.params.methods, snakemake.params.ks
read = lambda env, name: pd.read_csv(snakemake.input[f"{env}_{name}"])  # noqa: E731
attacks, verdicts, runs = ({env: read(env, name) for env in envs} for name in ("attack", "verdicts", "runs"))
numbers = {}
for env in envs:
    numbers |= caveat_numbers(env, attacks[env], verdicts[env], runs[env], methods[env], ks[env],
                              snakemake.params.top_k[env])
write_numbers(numbers, snakemake.output.numbers)
save_figure(attack_figure(attacks, methods, {env: horizon_of(runs[env]) for env in envs}), snakemake.output.pdf,
            snakemake.output.png)
with atomic_path(snakemake.output.table) as tmp:
    tmp.write_text(caveat_table(verdicts, snakemake.rule))
utility = pd.read_csv(snakemake.input.real_utility) if "real_utility" in snakemake.input.keys() else None
with atomic_path(snakemake.output.benign_cost) as tmp:
    tmp.write_text(benign_cost_table(runs, utility, snakemake.rule))
