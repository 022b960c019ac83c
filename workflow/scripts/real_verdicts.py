"""Rule real_verdicts: the E6 predictions on the real model, decided from intervals over seeds (a data file)."""

import pandas as pd

from harmhorizon.evaluate.verdicts import chat_verdicts
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
p = snakemake.params
runs = pd.read_csv(snakemake.input.runs)
horizon = float(runs.t_epsilon.iloc[0])
table = chat_verdicts(pd.read_csv(snakemake.input.prefill), pd.read_csv(snakemake.input.summary), p.methods, horizon,
                      p.ks, p.shallow_fraction, p.depth_margin, p.kl_positions)
log.info("t_eps = %s; verdicts:\n%s", horizon, table.to_string(index=False))
write_csv(table, snakemake.output[0])
