"""Rule gradient_test: P1 at the neural level for one model (harmhorizon.evaluate.gradient_test).

The model's own responses to harmful prompts (the run's seed), h by the environment's judge, decided prefixes
by the environment; every score over the model's trainable parameters."""

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.gradient_test import gradient_test
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, dict(snakemake.input.items()))
method, seed, settings = snakemake.wildcards.method, int(snakemake.wildcards.seed), snakemake.params.test
model = env.load_base() if method == "base" else env.load_aligned(snakemake.input.aligned)
samples = env.sample_responses(model, True, settings["n_samples"], seed)
harm = env.label([p for p, _ in samples], [r for _, r in samples])["harm"]
decided = [env.decided_positions(p, r) for p, r in samples]
log.info("%s seed %d: %d responses, %d harmful", method, seed, len(samples), int(harm.sum()))
table = gradient_test(model, samples, harm, decided, env.T, settings["n_draws"], seed, log)
log.info("sums over positions:\n%s", table[table.t == 0].to_string(index=False))
write_csv(table.assign(method=method, seed=seed, n_harmful_responses=int(harm.sum())), snakemake.output[0])
