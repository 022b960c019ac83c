"""Rule real_align: one alignment method and seed from the base model (LoRA by default), with ‖∂loss/∂z_t‖.

Checkpoints under params.workdir are resumed after an interruption, but only when they were written for
the same method, training settings, seed and base samples (`discard_stale_checkpoints`).
"""

import hashlib
from pathlib import Path

import pandas as pd

from harmhorizon.align.trainers import discard_stale_checkpoints
from harmhorizon.io import setup_logging, write_csv, write_json
from harmhorizon.numerics import fix_torch_threads
from harmhorizon.real.align import align_model
from harmhorizon.real.judge import Judge
from harmhorizon.real.models import default_device, load_model
from harmhorizon.real.track import parse_ids

log = setup_logging(snakemake.log[0])
fix_torch_threads(snakemake.params.torch_threads)
device = default_device()
model, tokenizer = load_model(snakemake.input.model, device)
tokenizer.padding_side = "right"
model.train()
samples = parse_ids(pd.read_csv(snakemake.input.samples, keep_default_na=False))
seed = int(snakemake.wildcards.seed)
samples_digest = hashlib.sha256(Path(snakemake.input.samples).read_bytes()).hexdigest()
discard_stale_checkpoints(snakemake.params.workdir, {
    "method": snakemake.params.method, "lora": snakemake.params.lora, "judge": snakemake.params.judge,
    "phrases": snakemake.params.phrases, "seed": seed, "base_samples_sha256": samples_digest,
})
trainer, rows = align_model(
    snakemake.params.method,
    model,
    tokenizer,
    samples,
    Judge.from_config(snakemake.params.judge),
    snakemake.params.phrases,
    snakemake.params.lora,
    snakemake.params.workdir,
    seed,
    snakemake.params.gradient_every,
    snakemake.params.max_positions,
    {"use_cpu": device.type == "cpu"},
)
log.info("trained %s seed %d: %s", snakemake.wildcards.method, seed, trainer.state.log_history[-1:])
grad = pd.DataFrame(rows, columns=["step", "t", "grad_norm"]).assign(method=snakemake.wildcards.method, seed=seed)
write_csv(grad[["method", "seed", "step", "t", "grad_norm"]], snakemake.output.grad)
# What the run trained on and for how long: a function of config and seed alone (a test checks both).
write_json({"train_steps": trainer.state.global_step, "train_examples": len(trainer.train_dataset)},
           snakemake.output.training)
