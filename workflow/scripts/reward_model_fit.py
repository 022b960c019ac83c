"""Rule reward_model: one learned harm model r̂ fit on the reference's judged responses (methods.reward_model), and
how it reads held-out responses against the true h."""

import numpy as np
from transformers import AutoTokenizer

from harmhorizon.envs import load_environment
from harmhorizon.io import setup_logging, write_json
from harmhorizon.methods.reward_model import Proxy, RewardModelScorer, fit_diagnostics, fit_reward_model, training_rows
from harmhorizon.numerics import fix_torch_threads

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
inputs = dict(snakemake.input.items())
env = load_environment(snakemake.wildcards.env, snakemake.params.environment, inputs)
proxy = Proxy.from_config(snakemake.wildcards.proxy, snakemake.params.proxy)
data = env.reward_model_data()
seed = int(snakemake.params.seed)
rows = training_rows(*data["train"], proxy, np.random.default_rng(seed))
tokenizer = getattr(env, "tokenizer", None) or AutoTokenizer.from_pretrained(inputs["reference"])
lora = getattr(env, "lora", None)
folder = fit_reward_model(inputs["reference"], tokenizer, rows, snakemake.params.fit["hp"], snakemake.params.workdir, seed,
                          lora=lora, device=getattr(env, "device", None))
# Scored from the saved folder, as the aligned runs load it: the held-out numbers also check the save.
scorer = RewardModelScorer(folder, proxy.view, env.pad_id, device=getattr(env, "device", None))
prompts, responses, h = data["heldout"]
diagnostics = {"proxy": proxy.name, "view": proxy.view, "noise": proxy.noise, "n_train": len(rows),
               "train_label_mean": float(np.mean([row["labels"] for row in rows])),
               **fit_diagnostics(scorer(prompts, responses), h)}
log.info("reward model %s: %s", proxy.name, diagnostics)
write_json(diagnostics, snakemake.output.fit)
