"""Rule paper_code_index: the appendix table from each figure and table to the rule and script that drew it."""

from pathlib import Path

import pandas as pd

from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.report.paper import artefact_labels, code_index_table, sections_in_paper_order

log = setup_logging(snakemake.log[0])
labels = artefact_labels(sections_in_paper_order(snakemake.input.sections),
                         {path: Path(path).read_text() for path in snakemake.input.tables})
log.info("%d figures and tables", len(labels))
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(code_index_table(pd.read_csv(snakemake.input.index, keep_default_na=False), labels))
