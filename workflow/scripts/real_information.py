"""Rule real_information: Monte Carlo harm information of the base model on held-out harmful prompts."""

from harmhorizon.envs.chat import ChatEnvironment
from harmhorizon.evaluate.harm_information import mc_harm_information
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = ChatEnvironment.from_config(snakemake.input.model, snakemake.params.environment, snakemake.input.samples)
settings = env.evaluation["information"]
# I_t is an expectation under π_ref: every base response to an eval harmful prompt, harmful or not.
# Sample 0 of every prompt first, then sample 1, ...: the sequences spread over as many prompts as possible.
samples = env.samples
chosen = samples[(samples.split == "eval") & (samples.kind == "harmful")].sort_values("sample", kind="stable")
chosen = chosen.head(settings["n_sequences"])
sequences = [(list(p), list(r)) for p, r in zip(chosen.prompt_ids, chosen.response_ids)]
table = mc_harm_information(env, env.load_base(), sequences, settings["positions"], settings["n_rollouts"],
                            snakemake.params.seed)
log.info("harm information:\n%s", table.to_string(index=False))
write_csv(table, snakemake.output[0])
