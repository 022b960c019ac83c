"""Rule rank_attack: one run's rank-assisted prefill (harmhorizon.evaluate.policy.rank_attack) beside its sampled
attack of rule evaluate, as rows of attack.csv (attack = sampled | rank_assisted).

The sampled rows are the run's prefill.csv. Where the environment judges prefix and continuation together (the
automaton), the sampled attack is drawn again as rule evaluate drew it for the harm of the model's own tokens, and
the rule fails unless its rates equal prefill.csv; a chat judge reads the continuation alone, so there the two
harm rates are one.
"""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.policy import attack, check_redrawn, rank_attack
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

COLUMNS = ["method", "seed", "attack", "k", "prefilled", "harm_rate", "continuation_harm_rate", "recovery_rate", "n",
           "outside_top_k"]

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, dict(snakemake.input.items()))
method, seed = snakemake.wildcards.method, int(snakemake.wildcards.seed)
model = env.load_base() if method == "base" else env.load_aligned(snakemake.input.aligned)
model.eval()
sampled = pd.read_csv(snakemake.input.prefill)
if hasattr(env, "attack_label"):
    sampled["continuation_harm_rate"] = sampled.harm_rate
else:
    drawn = attack(env, model, seed)
    check_redrawn(drawn, sampled, snakemake.input.prefill, method, seed)
    sampled["continuation_harm_rate"] = drawn.set_index("k").loc[sampled.k, "continuation_harm_rate"].to_numpy()
ranked = rank_attack(env, model, seed)
log.info("rank-assisted prefill, %s seed %d:\n%s", method, seed, ranked.to_string(index=False))
table = pd.concat([sampled.assign(attack="sampled", outside_top_k=0.0),
                   ranked.assign(method=method, seed=seed, attack="rank_assisted")], ignore_index=True)
write_csv(table[COLUMNS], snakemake.output[0])
