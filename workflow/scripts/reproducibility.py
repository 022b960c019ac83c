"""Rule reproducibility: the appendix's macros and wall-time table from provenance.json and results/bench/."""

import json
from pathlib import Path

from harmhorizon.bench import bench_numbers, performance_table
from harmhorizon.io import atomic_path, setup_logging
from harmhorizon.provenance import reproducibility_numbers, wall_time_table
from harmhorizon.report.latex import write_numbers

log = setup_logging(snakemake.log[0])
records = [json.loads(Path(path).read_text()) for path in snakemake.input.provenance]
bench = {Path(path).stem: json.loads(Path(path).read_text()) for path in snakemake.input.bench}
log.info("%d provenance records; bench files: %s", len(records), sorted(bench))
numbers = reproducibility_numbers(records, notebook_benchmark=snakemake.params.notebook_benchmark) | bench_numbers(bench)
write_numbers(numbers, snakemake.output.numbers)
with atomic_path(snakemake.output.table) as tmp:
    tmp.write_text(wall_time_table(records))
with atomic_path(snakemake.output.performance) as tmp:
    tmp.write_text(performance_table(bench))
