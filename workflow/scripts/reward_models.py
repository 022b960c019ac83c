"""Rule reward_models: every learned harm model's I_t beside h's on the same blocks, and its fit (report.caveats)."""

import json

import pandas as pd

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.report.caveats import reward_model_tables

log = setup_logging(snakemake.log[0])
information = {name: pd.read_csv(path) for name, path in zip(snakemake.params.proxies, snakemake.input.information)}
fits = [json.loads(open(path).read()) for path in snakemake.input.fits]
table, fit = reward_model_tables(information, fits, pd.read_csv(snakemake.input.harm_information), snakemake.params.epsilon)
log.info("reward models:\n%s\n%s", table.to_string(index=False), fit.to_string(index=False))
write_csv(table, snakemake.output.information)
write_csv(fit, snakemake.output.fit)
