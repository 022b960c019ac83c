"""Rule provenance: results/<folder>/provenance.json (git, config, packages, seeds, device, wall times)."""

from harmhorizon.io import setup_logging, write_json
from harmhorizon.provenance import provenance

log = setup_logging(snakemake.log[0])
record = provenance(
    snakemake.wildcards.folder,
    config=snakemake.params.config,
    benchmarks=snakemake.params.benchmarks,
    repo=snakemake.params.repo,
)
log.info("%s: %d rules, %.1f s in all", record["folder"], len(record["rules"]), record["wall_s_total"])
write_json(record, snakemake.output[0])
