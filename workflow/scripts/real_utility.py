"""Rule real_utility: one aligned model's NLL of the benign utility set's reference answers, beside the reference's
(harmhorizon.real.utility, harmhorizon.evaluate.kl.response_nll)."""

import pandas as pd

from harmhorizon.envs import load_environment
from harmhorizon.evaluate.kl import response_nll
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = load_environment("real", snakemake.params.environment, dict(snakemake.input.items()))
sequences = env.utility_sequences()
table = pd.read_csv(snakemake.input.utility_reference).rename(columns={"nll": "nll_reference"})
if len(table) != len(sequences) or list(table.n_tokens) != [len(r) for _, r in sequences]:
    raise ValueError(f"{snakemake.input.utility_reference} was made for another utility set; delete it and rerun")
table["nll"] = response_nll(env.load_aligned(snakemake.input.aligned), sequences, env.evaluation["utility"]["batch_size"],
                            env.pad_id)
table = table.assign(method=snakemake.wildcards.method, seed=int(snakemake.wildcards.seed))
log.info("NLL per token: aligned %.4f, reference %.4f", table.nll.sum() / table.n_tokens.sum(),
         table.nll_reference.sum() / table.n_tokens.sum())
write_csv(table[["method", "seed", "item", "n_tokens", "nll", "nll_reference"]], snakemake.output[0])
