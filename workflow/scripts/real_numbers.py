"""Rule real_numbers: the real track's macros for the paper."""

import json

import pandas as pd

from harmhorizon.evaluate.verdicts import is_caveat_row
from harmhorizon.io import setup_logging
from harmhorizon.report.latex import write_numbers
from harmhorizon.report.real import real_numbers, utility_numbers, verdict_numbers

log = setup_logging(snakemake.log[0])
numbers = real_numbers(
    pd.read_csv(snakemake.input.summary),
    pd.read_csv(snakemake.input.prefill),
    pd.read_csv(snakemake.input.information),
    pd.read_csv(snakemake.input.counts),
    json.loads(open(snakemake.input.model).read()),
    pd.read_csv(snakemake.input.prompts),
    snakemake.params.config,
    snakemake.params.epsilon,
    float(pd.read_csv(snakemake.input.runs).t_epsilon.iloc[0]),
    pd.read_csv(snakemake.input.reported),
    pd.read_csv(snakemake.input.horizon),
    pd.read_csv(snakemake.input.profile),
    pd.read_csv(snakemake.input.kl_unconditional),
    pd.read_csv(snakemake.input.runs),
    snakemake.params.rules,
)
verdicts = pd.read_csv(snakemake.input.verdicts)
numbers |= verdict_numbers(verdicts[~is_caveat_row(verdicts)])  # E7's rows: rule caveats_report
numbers |= utility_numbers(pd.read_csv(snakemake.input.utility), list(snakemake.params.config["methods"]))
log.info("%d numbers", len(numbers))
write_numbers(numbers, snakemake.output[0])
