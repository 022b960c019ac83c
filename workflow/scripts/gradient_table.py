"""Rule gradient_table: every gradient test of one environment's model in one table, and its logit-space check."""

import pandas as pd

from harmhorizon.io import setup_logging, write_csv

setup_logging(snakemake.log[0])
table = pd.concat([pd.read_csv(path) for path in snakemake.input.tests], ignore_index=True)
first = ["method", "seed", "checkpoint", "step", "t", "stratum"]
write_csv(table[first + [c for c in table.columns if c not in first]], snakemake.output.test)
logits = pd.concat([pd.read_csv(path) for path in snakemake.input.logits], ignore_index=True)
write_csv(logits, snakemake.output.logit)
