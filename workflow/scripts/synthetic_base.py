"""Rule synthetic_base: automaton corpus -> GPT-2 base pretrained with trl's SFTTrainer (resumable)."""

from pathlib import Path

from datasets import Dataset

from harmhorizon.io import setup_logging
from harmhorizon.methods.checkpoints import discard_stale_checkpoints
from harmhorizon.methods.trainers import fit_sft
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.synthetic.data import corpus_frame
from harmhorizon.synthetic.model import build_base_model, build_tokenizer
from harmhorizon.synthetic.vocab import Vocabulary
from harmhorizon.theory.automaton import Automaton

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
syn, seed = snakemake.params.environment, snakemake.params.seed
automaton, vocab = Automaton(**snakemake.params.automaton), Vocabulary(**syn["vocabulary"])
corpus = corpus_frame(automaton, vocab, syn["corpus"]["n"], syn["corpus"]["harmful_fraction"], syn["c_benign"], seed)
log.info("corpus: %d samples, P(h=1 | harmful) = %.4f", len(corpus), corpus.h[corpus.harmful].mean())
model = build_base_model(vocab, automaton.T, seed=seed, **syn["model"])
log.info("base model: %d parameters", sum(p.numel() for p in model.parameters()))
train_dir = str(Path(snakemake.output[0]).parent)
discard_stale_checkpoints(train_dir, {"base_hp": syn["base_hp"], "model": syn["model"], "corpus": syn["corpus"], "seed": seed})
trainer = fit_sft(model, build_tokenizer(vocab), Dataset.from_pandas(corpus[["prompt", "completion"]], preserve_index=False),
                  syn["base_hp"], train_dir, seed)
log.info("final training loss %.4f", trainer.state.log_history[-1].get("train_loss", float("nan")))
