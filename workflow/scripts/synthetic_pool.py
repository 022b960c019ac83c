"""Rule synthetic_pool: judged base-model samples on harmful and benign prompts."""

from transformers import AutoModelForCausalLM

from harmhorizon.io import setup_logging, write_csv
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.synthetic.experiment import pool_frame, sample_pool, track_setup

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
syn, seed = snakemake.params.synthetic, snakemake.params.seed
automaton, vocab = track_setup(snakemake.params.automaton, syn)
model = AutoModelForCausalLM.from_pretrained(snakemake.input.base)
harmful = pool_frame(sample_pool(model, vocab, automaton, syn["pool"]["n_harmful"], True, seed), vocab, automaton, True)
benign = pool_frame(sample_pool(model, vocab, automaton, syn["pool"]["n_benign"], False, seed + 1), vocab, automaton, False)
log.info("pool: harmful P(h=1) = %.4f, benign refusal = %.4f", harmful.h.mean(), benign.refused.mean())
write_csv(harmful, snakemake.output.harmful)
write_csv(benign, snakemake.output.benign)
