"""Rule real_utility_reference: the reference's NLL of every reference answer of the benign utility set, once."""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.kl import response_nll
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment("real", snakemake.params.environment, dict(snakemake.input.items()))
sequences = env.utility_sequences()
nll = response_nll(env.load_base(), sequences, env.evaluation["utility"]["batch_size"], env.pad_id)
table = pd.DataFrame({"item": range(len(sequences)), "n_tokens": [len(r) for _, r in sequences], "nll": nll})
log.info("reference NLL per token %.4f over %d items", table.nll.sum() / table.n_tokens.sum(), len(table))
write_csv(table, snakemake.output[0])
