"""Rule real_import: the configured model as a plain safetensors folder with its tokenizer."""

from harmhorizon.io import setup_logging, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real.models import import_model

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
summary = import_model(
    snakemake.wildcards.model,
    snakemake.params.source,
    snakemake.output.folder,
    chat_template=snakemake.params.chat_template_fallback,
)
log.info("imported %s", summary)
write_json(summary, snakemake.output.summary)
