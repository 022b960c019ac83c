"""Rule synthetic_pool: judged reference samples on harmful and benign prompts, drawn from the automaton."""

from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
syn, seed = snakemake.params.environment, snakemake.params.seed
env = AutomatonEnvironment.from_config(snakemake.params.automaton, syn, base_dir=None)
# Streams (seed, 1) and (seed, 2), apart from the base corpus's stream (seed).
harmful = env.pool_frame(env.reference_pool(True, syn["pool"]["n_harmful"], [seed, 1], syn["c_benign"]), True)
benign = env.pool_frame(env.reference_pool(False, syn["pool"]["n_benign"], [seed, 2], syn["c_benign"]), False)
log.info("pool: harmful P(h=1) = %.4f, benign refusal = %.4f", harmful.h.mean(), benign.refused.mean())
write_csv(harmful, snakemake.output.harmful)
write_csv(benign, snakemake.output.benign)
