"""Rule real_sample_base: base responses to every prompt, judged (texts stay in work/, counts are committed)."""

import pandas as pd

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real.judge import Judge
from harmhorizon.real.models import default_device, load_model
from harmhorizon.real.track import judge_counts, sample_base

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
model, tokenizer = load_model(snakemake.input.model, default_device())
judge = Judge.from_config(snakemake.params.judge)
samples = sample_base(model, tokenizer, pd.read_csv(snakemake.input.prompts), judge, snakemake.params.sampling,
                      snakemake.params.seed)
counts = judge_counts(samples)
log.info("base labels:\n%s", counts.to_string(index=False))
write_csv(samples, snakemake.output.samples)
write_csv(counts, snakemake.output.counts)
