"""Rule real_collect: one table per quantity over methods and seeds, and the summary with 95% intervals."""

import json
from pathlib import Path

import pandas as pd

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.real.track import epsilon_horizon_from_blocks, summarise

log = setup_logging(snakemake.log[0])
kl = pd.concat(map(pd.read_csv, snakemake.input.kl), ignore_index=True)
prefill = pd.concat(map(pd.read_csv, snakemake.input.prefill), ignore_index=True)
benign = pd.concat(map(pd.read_csv, snakemake.input.benign), ignore_index=True)
grad = pd.concat(map(pd.read_csv, snakemake.input.grad), ignore_index=True)
# Steps and training-set size of every run (method and seed from the path .../runs/<method>/seed<s>/).
training = pd.DataFrame([{"method": Path(p).parts[-3], "seed": int(Path(p).parts[-2][len("seed"):]),
                          **json.loads(Path(p).read_text())} for p in snakemake.input.training])
information = pd.read_csv(snakemake.input.information)
horizon = epsilon_horizon_from_blocks(information, snakemake.params.epsilon)
log.info("grid ε-horizon of the base: %s", horizon)
summary = summarise(kl, prefill, benign, horizon, snakemake.params.first_tokens)
for frame, path in ((kl, snakemake.output.kl), (prefill, snakemake.output.prefill), (benign, snakemake.output.benign),
                    (grad, snakemake.output.grad), (summary, snakemake.output.summary),
                    (training, snakemake.output.training)):
    write_csv(frame, path)
