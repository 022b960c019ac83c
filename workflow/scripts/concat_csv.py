"""Concatenate the per-run tables of one quantity (inputs in plan order) into one table."""

import pandas as pd

from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
table = pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True)
log.info("%d rows from %d runs", len(table), len(snakemake.input))
write_csv(table, snakemake.output[0])
