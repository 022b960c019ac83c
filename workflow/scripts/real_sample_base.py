"""Rule real_sample_base: base responses to every prompt, judged (texts stay in work/, counts are committed)."""

import pandas as pd

from harmhorizon.envs.chat import ChatEnvironment, judge_counts, sample_base
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = ChatEnvironment.from_config(snakemake.input.reference, snakemake.params.environment)
samples = sample_base(env, env.load_base(), pd.read_csv(snakemake.input.prompts), snakemake.params.seed)
counts = judge_counts(samples)
log.info("base labels:\n%s", counts.to_string(index=False))
write_csv(samples, snakemake.output.samples)
write_csv(counts, snakemake.output.counts)
