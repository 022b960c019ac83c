"""Rule verdicts: the environment's predictions decided from the summary's intervals (harmhorizon.evaluate.verdicts)."""

import pandas as pd
import yaml

from harmhorizon.evaluate.verdicts import decide_verdicts, gradient_verdicts
from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
table = decide_verdicts(snakemake.wildcards.env, pd.read_csv(snakemake.input.runs), pd.read_csv(snakemake.input.prefill),
                        pd.read_csv(snakemake.input.summary), snakemake.params.methods, snakemake.params.verdicts)
if "gradient" in snakemake.input.keys():
    with open(snakemake.input.predictions) as handle:
        rules = yaml.safe_load(handle)["gradient_test"]
    table = pd.concat([table, gradient_verdicts(pd.read_csv(snakemake.input.gradient), rules)], ignore_index=True)
log.info("verdicts:\n%s", table.to_string(index=False))
write_csv(table, snakemake.output[0])
