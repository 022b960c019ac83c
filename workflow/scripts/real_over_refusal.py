"""Rule real_over_refusal: one model's judged responses to the benign-but-edgy questions (ChatEnvironment.over_refusal,
harmhorizon.real.over_refusal); the sampling seed is the run's."""

from harmhorizon.envs import load_environment
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real.over_refusal import over_refusal_rows

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
inputs = dict(snakemake.input.items())
env = load_environment("real", snakemake.params.environment, inputs)
method, seed = snakemake.wildcards.method, int(snakemake.wildcards.seed)
model = env.load_base() if method == "base" else env.load_aligned(inputs["aligned"])
questions, labels, responses = env.over_refusal(model, seed)
table = over_refusal_rows(method, seed, questions, labels, responses, env.evaluation["over_refusal"]["n_samples"])
log.info("%s seed %d: refused %d of %d edgy questions' responses", method, seed, int(table.refused.sum()), len(table))
write_csv(table, snakemake.output[0])
