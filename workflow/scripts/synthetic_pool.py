"""Rule synthetic_pool: judged base-model samples on harmful and benign prompts."""

from harmhorizon.envs.automaton import AutomatonEnvironment
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
syn, seed = snakemake.params.environment, snakemake.params.seed
env = AutomatonEnvironment.from_config(snakemake.params.automaton, syn, snakemake.input.reference)
model = env.load_base()
harmful = env.pool_frame(env.sample_responses(model, True, syn["pool"]["n_harmful"], seed), True)
benign = env.pool_frame(env.sample_responses(model, False, syn["pool"]["n_benign"], seed + 1), False)
log.info("pool: harmful P(h=1) = %.4f, benign refusal = %.4f", harmful.h.mean(), benign.refused.mean())
write_csv(harmful, snakemake.output.harmful)
write_csv(benign, snakemake.output.benign)
