"""The trl trainers and configs of the alignment methods, and how a run trains (docs/architecture.md).

trl's trainers are used as they are (``DPOTrainer``, ``GRPOTrainer``, ``SFTTrainer``); the recovery
penalty is ``RecoveryPenaltyTrainer``, an ``SFTTrainer`` whose loss gains μ · (a penalty hook), with its
settings in ``RecoveryPenaltyConfig`` (an ``SFTConfig``).  A hook is an environment's own form of the
penalty (token or phrase; ``methods.penalties``): the trainer draws its rows, the hook scores them.

``train`` runs a built trainer with checkpoints every ``save_steps`` (an interrupted run resumes from
its last complete checkpoint), saves the final model and tokenizer into ``<output_dir>/final`` and
returns the trainer.  Callbacks (``evaluate.gradients.LogitGradientProfile``) attach to the model after
the trainer has patched it.
"""

from __future__ import annotations

from pathlib import Path

from dataclasses import dataclass, field

import torch
from transformers import TrainerCallback, TrainerState
from trl import SFTConfig, SFTTrainer

# Settings every run shares; a method's hp and an environment's device settings override them.
COMMON = dict(report_to="none", use_cpu=True, dataloader_num_workers=0, logging_steps=10, save_total_limit=1,
              disable_tqdm=True, lr_scheduler_type="constant", optim="adamw_torch", bf16=False, fp16=False)


def discard_stale_checkpoints(output_dir, run_config: dict) -> None:
    """Checkpoints in ``output_dir`` are resumed only if they were written for this exact ``run_config``.

    The config is stamped as sorted JSON in ``run_config.json``; a missing or different stamp empties
    the folder first, so that a changed method, seed or training set never resumes an old run.
    """
    import json
    import shutil

    folder = Path(output_dir)
    stamp = folder / "run_config.json"
    text = json.dumps(run_config, sort_keys=True)
    if folder.exists() and (not stamp.exists() or stamp.read_text() != text):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(text)


def last_complete_checkpoint(output_dir) -> str | None:
    """The highest ``checkpoint-N`` folder in ``output_dir`` that holds ``trainer_state.json``, or None.

    The Trainer writes trainer_state.json last when it saves a checkpoint, so a folder without it was
    left half-written by a kill; resuming from it would fail, and the previous complete one is used.
    """
    folder = Path(output_dir)
    if not folder.is_dir():
        return None
    complete = [path for path in folder.glob("checkpoint-*")
                if path.name.split("-")[-1].isdigit() and (path / "trainer_state.json").is_file()]
    return str(max(complete, key=lambda path: int(path.name.split("-")[-1]))) if complete else None


def _finished(checkpoint, max_steps: int) -> bool:
    state = Path(checkpoint) / "trainer_state.json"
    return state.exists() and TrainerState.load_from_json(str(state)).global_step >= max_steps > 0


class Snapshots(TrainerCallback):
    """Saves the model (weights, or a LoRA adapter, and its config) at every checkpoint into
    ``<folder>/step-<N>``: the points of the run's harm–KL frontier (evaluate.frontier). Checkpoints rotate
    (``save_total_limit``); snapshots stay."""

    def __init__(self, trainer, folder):
        self.trainer, self.folder = trainer, Path(folder)

    def on_save(self, args, state, control, **kwargs):
        self.trainer.save_model(str(self.folder / f"step-{state.global_step}"))


def snapshot_steps(final) -> tuple[Path, list[int]]:
    """(folder, sorted steps) of the snapshots `Snapshots` kept beside a run's ``final`` model folder."""
    folder = Path(final).parent / "snapshots"
    return folder, sorted(int(path.name.split("-")[1]) for path in folder.glob("step-*"))


def train(trainer, output_dir, profile=None, snapshots=None):
    """Runs ``trainer`` (resuming its last complete checkpoint) and saves ``<output_dir>/final``; with
    ``snapshots`` (a folder), also every checkpoint's model (`Snapshots`)."""
    if snapshots is not None:
        trainer.add_callback(Snapshots(trainer, snapshots))
    if profile is not None:
        trainer.add_callback(profile)
        profile.attach(trainer.model)
    checkpoint = last_complete_checkpoint(output_dir)
    if checkpoint is not None and _finished(checkpoint, trainer.args.max_steps):
        # Resuming a finished run would let some trainers (GRPO) take extra steps; load it instead.
        trainer._load_from_checkpoint(checkpoint)
        trainer.state = TrainerState.load_from_json(str(Path(checkpoint) / "trainer_state.json"))
        if profile is not None:
            profile.on_train_begin(trainer.args, trainer.state, trainer.control)
    else:
        trainer.train(resume_from_checkpoint=checkpoint)
    final = Path(output_dir) / "final"
    trainer.save_model(str(final))
    trainer.processing_class.save_pretrained(str(final))
    return trainer




@dataclass
class RecoveryPenaltyConfig(SFTConfig):
    """``SFTConfig`` plus the recovery penalty μ Σ_t γ^t φ(π_θ(R | x, y_<t)) (docs/theory.md §4.2)."""

    recovery_mu: float = field(default=0.0, metadata={"help": "weight μ of the penalty"})
    recovery_gamma: float = field(default=1.0, metadata={"help": "discount γ over the prefix position t"})
    recovery_form: str = field(default="linear", metadata={"help": "φ(p) = 1 - p (linear, P5) or -log p (log)"})
    penalty_batch_size: int = field(default=64, metadata={"help": "harmful prefixes drawn per loss call"})

    def __post_init__(self):
        super().__post_init__()
        if self.recovery_form not in ("linear", "log"):
            raise ValueError(f"recovery form must be 'linear' or 'log', got {self.recovery_form!r}")


class RecoveryPenaltyTrainer(SFTTrainer):
    """SFT loss on the standard data (the anchor) + μ · penalty(model, rows) on harmful prefixes.

    ``penalty`` is a hook of ``methods.penalties`` holding N harmful prefixes; each loss call draws
    ``penalty_batch_size`` of its rows with a generator seeded by ``args.seed``.
    """

    def __init__(self, *args, penalty, **kwargs):
        super().__init__(*args, **kwargs)
        self.penalty = penalty
        self._penalty_generator = torch.Generator().manual_seed(self.args.seed)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        result = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        loss = result[0] if return_outputs else result
        if self.args.recovery_mu > 0 and model.training:
            rows = torch.randint(len(self.penalty), (self.args.penalty_batch_size,), generator=self._penalty_generator)
            penalty = self.penalty(model, rows, self.args.recovery_gamma, self.args.recovery_form,
                                   self.processing_class.pad_token_id)
            self._metrics["train"]["recovery_penalty"].append(float(penalty.detach()))
            loss = loss + self.args.recovery_mu * penalty
        return (loss, result[1]) if return_outputs else loss


def fit_sft(model, tokenizer, dataset, hp: dict, output_dir, seed: int, profile=None):
    """Plain SFT on prompt/completion pairs, loss on the completion only (the automaton base's pretraining)."""
    args = SFTConfig(**{**COMMON, "seed": seed, "data_seed": seed, "output_dir": str(output_dir),
                        "completion_only_loss": True, "packing": False, **hp})
    return train(SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer), output_dir, profile)
