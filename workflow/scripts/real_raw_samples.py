"""Rule real_raw_samples: the judged reference samples without token ids, as a gzip CSV (harmhorizon.io)."""

import pandas as pd

from harmhorizon.io import setup_logging

log = setup_logging(snakemake.log[0])
columns = ["prompt_id", "kind", "split", "sample", "request", "response", "label", "harm"]
samples = pd.read_csv(snakemake.input[0], keep_default_na=False)[columns]
samples.to_csv(snakemake.output[0], index=False, compression={"method": "gzip", "mtime": 0})
log.info("%d judged responses", len(samples))
