"""Rule real_information: Monte Carlo harm information of the base model on held-out harmful prompts."""

import pandas as pd

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real.judge import Judge
from harmhorizon.real.models import default_device, load_model
from harmhorizon.real.track import mc_information_grid, parse_ids

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
settings = snakemake.params.information
model, tokenizer = load_model(snakemake.input.model, default_device())
samples = parse_ids(pd.read_csv(snakemake.input.samples, keep_default_na=False))
# I_t is an expectation under π_ref: every base response to an eval harmful prompt, harmful or not.
# Sample 0 of every prompt first, then sample 1, ...: the sequences spread over as many prompts as possible.
chosen = samples[(samples.split == "eval") & (samples.kind == "harmful")].sort_values("sample", kind="stable")
chosen = chosen.head(settings["n_sequences"])
sequences = [(list(p), list(r)) for p, r in zip(chosen.prompt_ids, chosen.response_ids)]
table = mc_information_grid(model, tokenizer, sequences, list(chosen.request), Judge.from_config(snakemake.params.judge),
                            settings["positions"], snakemake.params.T, settings["n_rollouts"], snakemake.params.seed,
                            snakemake.params.batch_size, snakemake.params.sampling)
log.info("harm information:\n%s", table.to_string(index=False))
write_csv(table, snakemake.output[0])
