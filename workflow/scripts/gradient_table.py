"""Rule gradient_table: every gradient test of one environment's model in one table."""

import pandas as pd

from harmhorizon.io import setup_logging, write_csv

setup_logging(snakemake.log[0])
table = pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True)
first = ["method", "seed", "checkpoint", "step", "t", "stratum"]
write_csv(table[first + [c for c in table.columns if c not in first]], snakemake.output[0])
