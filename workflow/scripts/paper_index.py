"""Rule paper_index: the table from each figure and table of the paper to its rule, script and result files."""

import pandas as pd

from harmhorizon.io import setup_logging, write_csv

log = setup_logging(snakemake.log[0])
index = pd.DataFrame(snakemake.params.index, columns=["artefact", "rule", "script", "data"])
log.info("%d figures and tables indexed", len(index))
write_csv(index, snakemake.output[0])
