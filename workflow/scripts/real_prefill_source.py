"""Rule real_prefill_source: the imported model's responses to the eval harmful prompts, judged (the attacker's
prefills; ``harmhorizon.envs.chat.ChatEnvironment.prefill_sets``)."""

import pandas as pd

from harmhorizon.envs.chat import ChatEnvironment, judge_counts, sample_base
from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
env = ChatEnvironment.from_config(snakemake.input.imported, snakemake.params.environment)
prompts = pd.read_csv(snakemake.input.prompts)
prompts = prompts[(prompts.kind == "harmful") & (prompts.split == "eval")]
samples = sample_base(env, env.load_base(), prompts, snakemake.params.seed)
log.info("imported model's labels on the eval harmful prompts:\n%s", judge_counts(samples).to_string(index=False))
write_csv(samples, snakemake.output[0])
