"""The trl trainers and configs of the alignment methods, and how a run trains (docs/architecture.md).

trl's trainers are used as they are (``DPOTrainer``, ``GRPOTrainer``, ``SFTTrainer``); the recovery
penalty is ``RecoveryPenaltyTrainer``, an ``SFTTrainer`` whose loss gains μ · (a penalty hook), with its
settings in ``RecoveryPenaltyConfig`` (an ``SFTConfig``); Young's deep objective (Def 17) is
``DeepObjectiveTrainer``, a ``GRPOTrainer`` whose loss gains the same kind of hook on the adversarial
prefixes Q, with its settings in ``DeepObjectiveConfig`` (a ``GRPOConfig``); circuit breakers (Zou et al.
2024) are ``CircuitBreakerTrainer``, an ``SFTTrainer`` whose loss is representation rerouting on harmful
responses and retention on its data (``methods.circuit_breaker``), with ``CircuitBreakerConfig``.  A hook is an environment's
own form of the penalty (token or phrase; ``methods.penalties``): the trainer draws its rows, the hook
scores them.

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
from trl import GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

from .checkpoints import last_complete_checkpoint, snapshot_path
from .circuit_breaker import hidden_states, reroute_loss, retain_loss, schedule

# Settings every run shares; a method's hp and an environment's device settings override them.
COMMON = dict(report_to="none", use_cpu=True, dataloader_num_workers=0, logging_steps=10, save_total_limit=1,
              disable_tqdm=True, lr_scheduler_type="constant", optim="adamw_torch", bf16=False, fp16=False)


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
        self.trainer.save_model(str(snapshot_path(self.folder, state.global_step)))


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
        self.draws = PenaltyDraws(penalty, self.args.penalty_batch_size, self.args.seed)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        result = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        loss = result[0] if return_outputs else result
        if self.args.recovery_mu > 0 and model.training:
            penalty = self.draws(model, self.args.recovery_gamma, self.args.recovery_form, self.processing_class.pad_token_id)
            self._metrics["train"]["recovery_penalty"].append(float(penalty.detach()))
            loss = loss + self.args.recovery_mu * penalty
        return (loss, result[1]) if return_outputs else loss


class PenaltyDraws:
    """Draws ``size`` row indices of a penalty hook per loss call, from a generator seeded by the run's seed."""

    def __init__(self, penalty, size: int, seed: int):
        self.penalty, self.size = penalty, size
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, model, gamma: float, form: str, pad_id: int) -> torch.Tensor:
        rows = torch.randint(len(self.penalty), (self.size,), generator=self.generator)
        return self.penalty(model, rows, gamma, form, pad_id)


@dataclass
class DeepObjectiveConfig(GRPOConfig):
    """``GRPOConfig`` plus Young's deep objective (Def 17, eq. 43; docs/theory.md "The deep objective"):

        H_deep = λ·E_π[Harm] + μ·E_{y∼Q}[Σ_t γ^{t−1}(1 − π(R | y_<t))] + KL(π ‖ π_base),   λ = 1/β.

    GRPO's loss with ``loss_type="dr_grpo"`` and ``scale_rewards="none"`` has the gradient of
    (E[h] + β·KL)/max_completion_length (reward −h); the trainer adds β·μ·penalty/max_completion_length, so
    that the whole loss is β/max_completion_length times H_deep. Other loss types normalise by the number
    of tokens or by the reward's spread, which no constant weight of the penalty matches: they are refused.
    """

    deep_mu: float = field(default=0.0, metadata={"help": "weight μ of the recovery penalty on Q (KL weight 1)"})
    deep_gamma: float = field(default=1.0, metadata={"help": "discount γ of position t (weight γ^(t−1))"})
    penalty_batch_size: int = field(default=64, metadata={"help": "adversarial prefixes drawn per loss call"})

    def __post_init__(self):
        super().__post_init__()
        if self.loss_type != "dr_grpo" or self.scale_rewards != "none":
            raise ValueError(
                f"the deep objective needs loss_type 'dr_grpo' and scale_rewards 'none' (got {self.loss_type!r}, "
                f"{self.scale_rewards!r}): only then is GRPO's loss proportional to E[h] + beta KL; remove them from hp"
            )
        if self.beta <= 0 or self.deep_mu < 0 or not 0 < self.deep_gamma <= 1:
            raise ValueError(f"the deep objective needs beta > 0 (beta = 1/lambda), mu >= 0 and 0 < gamma <= 1; "
                             f"got beta {self.beta}, mu {self.deep_mu}, gamma {self.deep_gamma}")


class DeepObjectiveTrainer(GRPOTrainer):
    """GRPO on reward −h with its KL term β, plus β·μ/max_completion_length · the linear recovery penalty on
    ``penalty``'s adversarial prefixes (a hook of ``methods.penalties`` whose discount exponent is t − 1)."""

    def __init__(self, *args, penalty, **kwargs):
        super().__init__(*args, **kwargs)
        self.draws = PenaltyDraws(penalty, self.args.penalty_batch_size, self.args.seed)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        if self.args.deep_mu > 0 and model.training:
            penalty = self.draws(model, self.args.deep_gamma, "linear", self.processing_class.pad_token_id)
            self._metrics["train"]["recovery_penalty"].append(float(penalty.detach()))
            # dr_grpo divides its loss by the accumulation steps and by max_completion_length; so does the penalty.
            scale = self.args.beta * self.args.deep_mu / self.args.max_completion_length
            loss = loss + scale * penalty / self.current_gradient_accumulation_steps
        return loss


@dataclass
class CircuitBreakerConfig(SFTConfig):
    """``SFTConfig`` plus representation rerouting (``methods.circuit_breaker``; docs/theory.md §4.7)."""

    cb_alpha: float = field(default=10.0, metadata={"help": "α of the schedule c_rr = α(1 − s/2S), c_ret = α·s/2S"})
    cb_layers: list = field(default_factory=lambda: [1], metadata={"help": "hidden_states indices rerouted and retained"})
    penalty_batch_size: int = field(default=64, metadata={"help": "harmful rows drawn per loss call"})

    def __post_init__(self):
        super().__post_init__()
        if self.cb_alpha <= 0 or not self.cb_layers or any(int(layer) < 1 for layer in self.cb_layers):
            raise ValueError(f"circuit breakers need cb_alpha > 0 and cb_layers, hidden_states indices >= 1 (after a "
                             f"block); got cb_alpha {self.cb_alpha}, cb_layers {self.cb_layers}")


class CircuitBreakerTrainer(SFTTrainer):
    """Loss c_rr·ReLU(cos(h_θ, h_0)) on ``reroute``'s harmful responses + c_ret·‖h_θ − h_0‖₂ on the train data
    (the retain set), at ``cb_layers``. h_0 comes from ``frozen`` (a full copy of the reference), or, when the
    policy carries LoRA adapters and ``frozen`` is None, from the policy with its adapters disabled."""

    def __init__(self, *args, reroute, frozen=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.reroute, self.frozen = reroute, frozen
        self.generator = torch.Generator().manual_seed(self.args.seed)

    def _frozen_states(self, model, ids, attention):
        with torch.no_grad():
            if self.frozen is not None:
                return hidden_states(self.frozen.to(ids.device), ids, attention, self.args.cb_layers)
            with model.disable_adapter():
                return hidden_states(model, ids, attention, self.args.cb_layers)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        layers = self.args.cb_layers
        c_rr, c_ret = schedule(self.state.global_step, self.args.max_steps, self.args.cb_alpha)
        ids, attention = inputs["input_ids"], inputs["attention_mask"]
        retain = retain_loss(hidden_states(model, ids, attention, layers), self._frozen_states(model, ids, attention),
                             attention.bool())
        rows = torch.randint(len(self.reroute), (self.args.penalty_batch_size,), generator=self.generator)
        device = ids.device
        r_ids, r_attention = self.reroute.ids[rows].to(device), self.reroute.attention[rows].to(device)
        reroute = reroute_loss(hidden_states(model, r_ids, r_attention, layers), self._frozen_states(model, r_ids, r_attention),
                               self.reroute.mask[rows].to(device))
        if model.training:
            self._metrics["train"]["reroute_loss"].append(float(reroute.detach()))
            self._metrics["train"]["retain_loss"].append(float(retain.detach()))
        loss = c_rr * reroute + c_ret * retain
        return (loss, None) if return_outputs else loss


def fit_sft(model, tokenizer, dataset, hp: dict, output_dir, seed: int, profile=None):
    """Plain SFT on prompt/completion pairs, loss on the completion only (the automaton base's pretraining)."""
    args = SFTConfig(**{**COMMON, "seed": seed, "data_seed": seed, "output_dir": str(output_dir),
                        "completion_only_loss": True, "packing": False, **hp})
    return train(SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer), output_dir, profile)
