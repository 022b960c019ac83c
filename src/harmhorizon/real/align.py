"""Alignment of a real chat model with the shared trl trainers of ``harmhorizon.align`` (LoRA by default).

Every method starts from the imported base model and its data come from judged base samples
(``harmhorizon.real.track.sample_base``); prompts are rendered by the base chat template
(``harmhorizon.real.chat``) and passed to trl as plain text, so trl adds nothing of its own:

- ``dpo``: ``align.trainers.run_dpo``; chosen = a refusal (a base sample judged *refusal* for that
  prompt, else ``real.refusal_text``), rejected = the base harmful response (h = 1).
- ``rlhf``: ``align.trainers.run_grpo`` (GRPO) with reward −h(request, completion) from the judge and the KL
  penalty β to the base (the adapter-disabled model when LoRA is used).
- ``sft``: ``align.trainers.run_sft`` on refusals to harmful prompts plus base responses to benign
  prompts (the anchor).
- ``recovery``: the sft data as the standard objective, plus μ Σ γ^t φ(π_θ(R | x, y_<t)) over harmful
  prefixes of base harmful responses (docs/theory.md §4.2), where R is the fixed recovery *phrase* and π_θ(R|·) the
  product of its token probabilities (`PhraseRecoveryTrainer`). φ(p) = −log p (``form: log``, default) or
  1 − p (``form: linear``, P5's form, whose gradient p∇log p vanishes while the phrase is improbable).
- ``augment``: Qi et al.'s augmentation through ``run_sft``: harmful prompt + a base harmful prefix of
  random length, completion = the recovery phrase, mixed with the sft data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from datasets import Dataset

from ..align.losses import recovery_penalty  # noqa: F401  (the token-level form; the phrase form is below)
from ..align.trainers import RecoveryPenaltySFTTrainer, run_dpo, run_grpo, run_sft
from ..evaluate.gradients import LogitGradientProfile
from .chat import decode
from .judge import Judge

OBJECTIVES = ("dpo", "rlhf", "sft", "recovery", "augment")


class PhraseRecoveryTrainer(RecoveryPenaltySFTTrainer):
    """SFT anchor loss + μ · mean_b γ^{t_b} φ(π_θ(R | x_b, y_<t_b)) for a recovery phrase R (docs/theory.md §4.2).

    ``penalty_ids`` (N, L) rows are prompt + harmful prefix + R, right-padded; ``penalty_mask`` (N, L)
    marks the logits indices that predict a token of R; ``penalty_positions`` (N,) is the prefix
    position t_b (R would be response token t_b). log π_θ(R | ·) = Σ_i log π_θ(r_i | ·, r_<i).
    """

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        result = super(RecoveryPenaltySFTTrainer, self).compute_loss(
            model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch
        )
        loss = result[0] if return_outputs else result
        if self.mu > 0 and model.training:
            rows = torch.randint(len(self.penalty_ids), (self.penalty_batch_size,), generator=self._penalty_generator)
            ids = self.penalty_ids[rows].to(loss.device)
            mask = self.penalty_mask[rows].to(loss.device)
            attention = (ids != self.processing_class.pad_token_id).long() | mask.roll(1, dims=1).long()
            logits = model(input_ids=ids, attention_mask=attention).logits[:, :-1].float()
            token_logp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]
            log_phrase = (token_logp * mask[:, :-1]).sum(-1)
            penalty_terms = -log_phrase if self.form == "log" else 1.0 - log_phrase.exp()
            weights = self.gamma ** self.penalty_positions[rows].to(loss.device).float()
            penalty = (weights * penalty_terms).mean()
            self._metrics["train"]["recovery_penalty"].append(float(penalty.detach()))
            loss = loss + self.mu * penalty
        return (loss, result[1]) if return_outputs else loss


def _text(tokenizer, ids) -> str:
    return decode(tokenizer, [ids])[0]


def sft_examples(samples: pd.DataFrame, refusal_text: str) -> list[dict]:
    """Refusals to the harmful train prompts and base responses to the benign train prompts (the anchor)."""
    train = samples[samples.split == "train"].drop_duplicates("prompt_id")
    harmful = train[train.kind == "harmful"]
    benign = train[(train.kind == "benign") & (train.label == "comply")]
    return [{"prompt": row.prompt_text, "completion": refusal_text} for row in harmful.itertuples()] + [
        {"prompt": row.prompt_text, "completion": row.response} for row in benign.itertuples()
    ]


def dpo_pairs(samples: pd.DataFrame, refusal_text: str) -> list[dict]:
    """(prompt, chosen = a refusal, rejected = the base harmful response) on harmful train prompts."""
    train = samples[(samples.split == "train") & (samples.kind == "harmful")]
    refusals = train[train.label == "refusal"].groupby("prompt_id").response.first()
    pairs = []
    for row in train[train.harm == 1].drop_duplicates("prompt_id").itertuples():
        pairs.append({"prompt": row.prompt_text, "chosen": refusals.get(row.prompt_id, refusal_text), "rejected": row.response})
    if not pairs:
        raise ValueError("dpo: no harmful base response on the train prompts; raise real.prompts.harmful.n_train")
    return pairs


def harmful_train_sequences(samples: pd.DataFrame) -> list[tuple[str, list[int]]]:
    train = samples[(samples.split == "train") & (samples.kind == "harmful") & (samples.harm == 1)]
    return [(row.prompt_text, list(row.response_ids)) for row in train.itertuples()]


def augmentation_examples(samples, tokenizer, recovery_phrase: str, n: int, rng: np.random.Generator,
                          max_prefix: int) -> list[dict]:
    """Qi et al.: prompt + harmful prefix of uniform length 1..min(len, max_prefix), completion = recovery phrase."""
    sequences = harmful_train_sequences(samples)
    out = []
    for index in rng.integers(len(sequences), size=n):
        prompt_text, response_ids = sequences[index]
        content = [token for token in response_ids[:max_prefix] if token != tokenizer.eos_token_id]
        k = int(rng.integers(1, max(len(content), 1) + 1))
        out.append({"prompt": prompt_text + _text(tokenizer, content[:k]), "completion": " " + recovery_phrase})
    return out


def penalty_rows(samples, tokenizer, recovery_phrase: str, n: int, rng: np.random.Generator, max_prefix: int):
    """Tensors for `PhraseRecoveryTrainer`: n harmful prefixes (uniform t) of base harmful responses + R."""
    phrase = tokenizer(" " + recovery_phrase, add_special_tokens=False)["input_ids"]
    sequences = harmful_train_sequences(samples)
    rows, masks, positions = [], [], []
    for index in rng.integers(len(sequences), size=n):
        prompt_text, response_ids = sequences[index]
        prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
        content = [token for token in response_ids[:max_prefix] if token != tokenizer.eos_token_id]
        t = int(rng.integers(0, len(content) + 1))
        row = prompt + content[:t] + phrase
        rows.append(row)
        masks.append([0] * (len(row) - len(phrase)) + [1] * len(phrase))
        positions.append(t + 1)
    width = max(map(len, rows))
    pad = tokenizer.pad_token_id
    ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows])
    mask = torch.tensor([m + [0] * (width - len(m)) for m in masks])
    return ids, mask, torch.tensor(positions)


def wrap_lora(model, lora: dict | None):
    """LoRA adapters through peft (``lora`` from config), or the model itself for full fine-tuning."""
    if lora is None:
        return model
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                        target_modules=list(lora["target_modules"]), layers_to_transform=lora.get("layers_to_transform"),
                        task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def align_model(method: dict, model, tokenizer, samples: pd.DataFrame, judge: Judge, phrases: dict, lora: dict | None,
                output_dir, seed: int, gradient_every: int, max_positions: int, device_hp: dict):
    """Train one method from the base; returns (trainer, gradient-profile rows)."""
    objective = method["objective"]
    hp = {**method["hp"], **device_hp}
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    model = wrap_lora(model, lora)
    profile = LogitGradientProfile(every=gradient_every, max_positions=max_positions)
    sft = sft_examples(samples, phrases["refusal_text"])
    if objective == "dpo":
        reference = None if lora is not None else _frozen_copy(model)
        trainer = run_dpo(model, reference, tokenizer, Dataset.from_list(dpo_pairs(samples, phrases["refusal_text"])),
                          hp, output_dir, seed, profile)
    elif objective == "rlhf":
        prompts = samples[(samples.split == "train") & (samples.kind == "harmful")].drop_duplicates("prompt_id")

        def reward(completions, request, **_):  # trl passes the dataset's extra columns by name
            return [-float(judge.harm(x, text)) for x, text in zip(request, completions)]

        reward.__name__ = "negative_harm"
        data = Dataset.from_list([{"prompt": p, "request": x} for p, x in zip(prompts.prompt_text, prompts.request)])
        trainer = run_grpo(model, tokenizer, data, reward, hp, output_dir, seed, profile)
    elif objective == "sft":
        trainer = run_sft(model, tokenizer, Dataset.from_list(sft), hp, output_dir, seed, profile)
    elif objective == "augment":
        extra = augmentation_examples(samples, tokenizer, phrases["recovery_phrase"], method["n_examples"], rng,
                                      method["max_prefix"])
        data = Dataset.from_list(sft + extra).shuffle(seed=seed)
        trainer = run_sft(model, tokenizer, data, hp, output_dir, seed, profile)
    elif objective == "recovery":
        ids, mask, positions = penalty_rows(samples, tokenizer, phrases["recovery_phrase"], method["n_prefixes"], rng,
                                            method["max_prefix"])
        penalty = dict(penalty_ids=ids, penalty_mask=mask, penalty_positions=positions, recover_ids=[],
                       mu=method["mu"], gamma=method["gamma"], form=method["form"],
                       penalty_batch_size=method["penalty_batch_size"])
        trainer = run_sft(model, tokenizer, Dataset.from_list(sft), hp, output_dir, seed, profile,
                          trainer_cls=PhraseRecoveryTrainer, penalty_seed=seed, **penalty)
    else:
        raise ValueError(f"unknown objective {objective!r}; use one of {OBJECTIVES}")
    return trainer, profile.rows


def _frozen_copy(model):
    import copy

    reference = copy.deepcopy(model).eval()
    for parameter in reference.parameters():
        parameter.requires_grad_(False)
    return reference
