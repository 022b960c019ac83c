"""Rule table_exact_identities."""

import json

from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.exact import identities_table

setup_logging(snakemake.log[0])
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(identities_table(json.loads(open(snakemake.input[0]).read())))
