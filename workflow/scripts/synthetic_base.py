"""Rule synthetic_base: automaton corpus -> GPT-2 base pretrained with trl's SFTTrainer (resumable)."""

from pathlib import Path

from harmhorizon.align.trainers import run_sft
from harmhorizon.io import setup_logging
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.synthetic.data import corpus_frame
from harmhorizon.synthetic.experiment import discard_stale_checkpoints, to_dataset, track_setup
from harmhorizon.synthetic.model import build_base_model, build_tokenizer

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
syn, seed = snakemake.params.synthetic, snakemake.params.seed
automaton, vocab = track_setup(snakemake.params.automaton, syn)
corpus = corpus_frame(automaton, vocab, syn["corpus"]["n"], syn["corpus"]["harmful_fraction"], syn["c_benign"], seed)
log.info("corpus: %d samples, P(h=1 | harmful) = %.4f", len(corpus), corpus.h[corpus.harmful].mean())
model = build_base_model(vocab, automaton.T, seed=seed, **syn["model"])
log.info("base model: %d parameters", sum(p.numel() for p in model.parameters()))
train_dir = str(Path(snakemake.output[0]).parent)
discard_stale_checkpoints(train_dir, {"base_hp": syn["base_hp"], "model": syn["model"], "corpus": syn["corpus"], "seed": seed})
trainer = run_sft(model, build_tokenizer(vocab), to_dataset(corpus[["prompt", "completion"]]), syn["base_hp"], train_dir, seed)
log.info("final training loss %.4f", trainer.state.log_history[-1].get("train_loss", float("nan")))
