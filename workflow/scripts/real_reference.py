"""Rule real_reference: the imported model after the refusal SFT stage (harmhorizon.real.reference)."""

import shutil

import pandas as pd
import torch
from datasets import Dataset

from harmhorizon.envs.chat import ChatEnvironment
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.methods.trainers import fit_sft
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real.chat import prompt_ids, render_prompts
from harmhorizon.real.reference import refusal_sft_rows

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
settings, seed = snakemake.params.reference, snakemake.params.seed
prompts = pd.read_csv(snakemake.input.prompts)
prompts = prompts[prompts.split == "train"].reset_index(drop=True)
summary = {"refusal_fraction": settings["refusal_fraction"], "n_harmful": int((prompts.kind == "harmful").sum()),
           "n_benign": int((prompts.kind == "benign").sum())}
if settings["refusal_fraction"] == 0:
    shutil.copytree(snakemake.input.imported, snakemake.output.folder)
    write_csv(pd.DataFrame(columns=["prompt_id", "kind", "refused", "prompt", "completion"]), snakemake.output.data)
    write_json({**summary, "train_steps": 0}, snakemake.output.summary)
else:
    env = ChatEnvironment.from_config(snakemake.input.imported, snakemake.params.environment)
    tokenizer = env.tokenizer
    prompts["prompt_text"] = render_prompts(tokenizer, list(prompts.prompt))
    model = env.load_base()
    responses = env.decode(env.sample(model, prompt_ids(tokenizer, list(prompts.prompt)), env.T, 1, seed, progress=True))
    rows = refusal_sft_rows(prompts, responses, snakemake.params.refusal_text, settings["refusal_fraction"], seed)
    write_csv(rows, snakemake.output.data)
    torch.manual_seed(seed)
    policy, tokenizer = env.load_policy()
    trainer = fit_sft(policy, tokenizer, Dataset.from_list(rows[["prompt", "completion"]].to_dict("records")),
                      {**env.trainer_settings("sft"), **settings["hp"]}, snakemake.params.workdir, seed)
    merged = trainer.model.merge_and_unload() if hasattr(trainer.model, "merge_and_unload") else trainer.model
    merged.save_pretrained(snakemake.output.folder)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(snakemake.output.folder)
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    write_json({**summary, "n_refused": int(rows.refused.sum()), "train_steps": trainer.state.global_step,
                "first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None},
               snakemake.output.summary)
    log.info("reference: %d refusals of %d harmful train prompts, %d steps", rows.refused.sum(), summary["n_harmful"],
             trainer.state.global_step)
