"""Rule synthetic_verdicts: the E3–E5 predictions decided on the synthetic runs (a data file the tables read)."""

import pandas as pd

from harmhorizon.evaluate.verdicts import automaton_verdicts
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
p = snakemake.params
verdicts = automaton_verdicts(pd.read_csv(snakemake.input.runs), p.methods, p.default_m, p.shallow_fraction, p.depth_margin)
log.info("verdicts:\n%s", verdicts.to_string())
write_csv(verdicts, snakemake.output[0])
