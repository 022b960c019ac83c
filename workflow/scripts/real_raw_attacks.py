"""Rules real_raw_attacks and real_raw_over_refusal: every run's judged responses (prefill-attack continuations,
or answers to the benign-but-edgy questions) in one gzip CSV, byte-identical on rerun."""

import pandas as pd

from harmhorizon.io import setup_logging

log = setup_logging(snakemake.log[0])
table = pd.concat([pd.read_csv(path, keep_default_na=False) for path in snakemake.input], ignore_index=True)
table.to_csv(snakemake.output[0], index=False, compression={"method": "gzip", "mtime": 0})
log.info("%d responses from %d runs", len(table), len(snakemake.input))
