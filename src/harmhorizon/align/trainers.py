"""trl trainers for every alignment method (subclassed where the loss changes, never copied).

Every ``run_*`` function takes a model (loaded ``PreTrainedModel``), its tokenizer, a ``datasets``
dataset in trl's format, ``hp`` (a dict of fields of the method's trl config), the output folder and
a seed; it trains with checkpoints every ``save_steps`` (``resume_from_checkpoint`` picks up an
interrupted run), saves the final model and tokenizer into ``<output_dir>/final`` and returns the
trainer.  Callbacks (e.g. ``evaluate.gradients.LogitGradientProfile``) are attached to the model
after the trainer has patched it.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import TrainerState
from trl import DPOConfig, DPOTrainer, GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

from .losses import recovery_penalty

COMMON = dict(report_to="none", use_cpu=True, dataloader_num_workers=0, logging_steps=10, save_total_limit=1,
              disable_tqdm=True, lr_scheduler_type="constant", optim="adamw_torch", bf16=False, fp16=False)


def _config(config_cls, output_dir, hp: dict, seed: int, **extra):
    fields = {**COMMON, "seed": seed, "data_seed": seed, "output_dir": str(output_dir), **extra, **hp}
    return config_cls(**fields)


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


def _train(trainer, output_dir, profile=None):
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


def run_sft(model, tokenizer, dataset, hp: dict, output_dir, seed: int, profile=None, trainer_cls=SFTTrainer,
            **trainer_kwargs):
    """SFT on prompt/completion pairs, loss on the completion only (base pretraining, refusals, augmentation)."""
    args = _config(SFTConfig, output_dir, hp, seed, completion_only_loss=True, packing=False)
    trainer = trainer_cls(model=model, args=args, train_dataset=dataset, processing_class=tokenizer, **trainer_kwargs)
    return _train(trainer, output_dir, profile)


def run_dpo(model, reference, tokenizer, dataset, hp: dict, output_dir, seed: int, profile=None):
    """DPO (sigmoid loss) on prompt/chosen/rejected pairs against a frozen reference model."""
    args = _config(DPOConfig, output_dir, hp, seed)
    trainer = DPOTrainer(model=model, ref_model=reference, args=args, train_dataset=dataset, processing_class=tokenizer)
    return _train(trainer, output_dir, profile)


def run_grpo(model, tokenizer, dataset, reward_fn, hp: dict, output_dir, seed: int, profile=None):
    """On-policy RL (GRPO) with ``reward_fn`` and a per-token KL penalty ``beta`` to the initial model.

    Generation samples at temperature 1 from the full vocabulary (top_k 0, top_p 1).
    """
    args = _config(GRPOConfig, output_dir, hp, seed, temperature=1.0, top_p=1.0, top_k=0, log_completions=False)
    trainer = GRPOTrainer(model=model, reward_funcs=reward_fn, args=args, train_dataset=dataset,
                          processing_class=tokenizer)
    return _train(trainer, output_dir, profile)


class RecoveryPenaltySFTTrainer(SFTTrainer):
    """SFT loss on the anchor dataset + μ · recovery_penalty on harmful prefixes (docs/theory.md §4.2).

    ``penalty_ids`` (N, L) are harmful sequences (prompt + response, right-padded); ``penalty_mask``
    (N, L) marks the logits indices whose prefix is harmful; ``penalty_positions`` (N, L) gives the
    response position t of the token chosen there.  Each loss call draws ``penalty_batch_size`` rows
    with a seeded generator.
    """

    def __init__(self, *args, penalty_ids, penalty_mask, penalty_positions, recover_ids, mu: float, gamma: float,
                 form: str = "linear", penalty_batch_size: int = 64, penalty_seed: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.penalty_ids, self.penalty_mask, self.penalty_positions = penalty_ids, penalty_mask, penalty_positions
        self.recover_ids, self.mu, self.gamma, self.form = list(recover_ids), mu, gamma, form
        self.penalty_batch_size = penalty_batch_size
        self._penalty_generator = torch.Generator().manual_seed(penalty_seed)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        result = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        loss = result[0] if return_outputs else result
        if self.mu > 0 and model.training:
            rows = torch.randint(len(self.penalty_ids), (self.penalty_batch_size,), generator=self._penalty_generator)
            ids = self.penalty_ids[rows].to(loss.device)
            logits = model(input_ids=ids, attention_mask=(ids != self.processing_class.pad_token_id).long()).logits
            penalty = recovery_penalty(logits, self.recover_ids, self.penalty_mask[rows].to(loss.device),
                                       self.penalty_positions[rows].to(loss.device), self.gamma, self.form)
            self._metrics["train"]["recovery_penalty"].append(float(penalty.detach()))
            loss = loss + self.mu * penalty
        return (loss, result[1]) if return_outputs else loss


def run_recovery(model, tokenizer, dataset, hp: dict, output_dir, seed: int, penalty: dict, profile=None):
    """``run_sft`` with ``RecoveryPenaltySFTTrainer``; ``penalty`` holds its extra keyword arguments."""
    return run_sft(model, tokenizer, dataset, hp, output_dir, seed, profile=profile,
                   trainer_cls=RecoveryPenaltySFTTrainer, penalty_seed=seed, **penalty)
