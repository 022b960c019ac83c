"""Rule caveats_report: E7's figures (continuation harm under both prefill attacks; a learned harm model's I_t and its
runs' KL), tables and macros (harmhorizon.report.caveats; the verdicts are evaluate.verdicts.caveat_verdicts's and
reward_model_verdicts's, from rule verdicts)."""

import pandas as pd

from harmhorizon.evaluate.verdicts import reward_model_comparators
from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.caveats import (attack_figure, attack_harm_table, benign_cost_table, caveat_numbers,
                                        caveat_table, horizon_of, over_refusal_numbers, reward_model_figure,
                                        reward_model_numbers, reward_model_table)
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
save_figure(attack_figure(attacks, methods, {env: horizon_of(runs[env]) for env in envs}), snakemake.output.pdf,
            snakemake.output.png)
with atomic_path(snakemake.output.table) as tmp:
    tmp.write_text(caveat_table(verdicts))
with atomic_path(snakemake.output.attack_harm) as tmp:
    tmp.write_text(attack_harm_table(attacks, runs, methods, ks))
utility = pd.read_csv(snakemake.input.real_utility) if "real_utility" in snakemake.input.keys() else None
edgy = (pd.read_csv(snakemake.input.real_over_refusal, keep_default_na=False)
        if "real_over_refusal" in snakemake.input.keys() else None)
if edgy is not None:
    numbers |= over_refusal_numbers(edgy, verdicts["real"], methods["real"])
with atomic_path(snakemake.output.benign_cost) as tmp:
    tmp.write_text(benign_cost_table(runs, utility, edgy))

proxies, comparators = snakemake.params.reward_model_envs, reward_model_comparators(snakemake.params.reward_model_rules)
tables, fits, kl = ({env: read(env, name) for env in proxies} for name in ("reward_model", "reward_model_fit", "kl"))
for env in proxies:
    numbers |= reward_model_numbers(env, fits[env], verdicts[env], runs[env], methods[env], comparators)
write_numbers(numbers, snakemake.output.numbers)
save_figure(reward_model_figure(tables, kl, methods, comparators), snakemake.output.reward_model_pdf,
            snakemake.output.reward_model_png)
with atomic_path(snakemake.output.reward_model_table) as tmp:
    tmp.write_text(reward_model_table({env: verdicts[env] for env in proxies}, fits, methods))
