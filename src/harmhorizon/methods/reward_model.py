"""A learned, imperfect harm model r̂ in place of h (E7; docs/theory.md §4.7 "A learned harm model").

A proxy has a **view** k (r̂ reads the prompt and the first k response tokens; None: the whole response) and a
**flip rate** ρ (each training label h is replaced by 1 − h with probability ρ). r̂ is the reference model with a
scalar head (``AutoModelForSequenceClassification``, one output, ``problem_type="regression"``) fit by least squares
on the reference's own judged responses, so what it estimates is

    E[h̃ | x, y_≤k] = ρ + (1 − 2ρ) · E_πref[h | x, y_≤k] = ρ + (1 − 2ρ) · H_k,

the reference's conditional expected harm at k (eq. 3's martingale, stopped at the view), shrunk by the noise.
Under the paper's own result (Thm 8 read with r̂ for h) the gradient of RLHF against r̂ is Cov(E[r̂ | y_≤t], score)
and vanishes past r̂'s horizon; a view k ends that horizon at k whatever h does later. Scores are clipped to
[0, 1], the range of h. We fit a regression head, not trl's ``RewardTrainer``: Bradley–Terry on pairs identifies a
reward only up to a shift per prompt, while the theory's harm is a pointwise expectation.

``RewardModelScorer`` scores token-id (prompt, response) pairs; RLHF reads −r̂ as its reward (the environments'
``harm_reward`` with a method's ``reward_model``), and ``RewardModelView`` hands r̂ to the Monte Carlo I_t
(``evaluate.harm_information``) in place of the environment's h.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..evaluate.sampling import never


@dataclass(frozen=True)
class Proxy:
    """One learned harm model of a config's ``reward_models`` section: its name, view k (None: whole) and flip rate ρ."""

    name: str
    view: int | None
    noise: float

    @classmethod
    def from_config(cls, name: str, spec: dict) -> "Proxy":
        view, noise = spec.get("view"), float(spec.get("noise", 0.0))
        if view is not None and int(view) < 1:
            raise ValueError(f"reward_models.{name}.view must be a token count >= 1 or null (the whole response); got {view}")
        if not 0.0 <= noise < 0.5:
            raise ValueError(f"reward_models.{name}.noise is a label flip rate in [0, 0.5); got {noise}")
        return cls(name, None if view is None else int(view), noise)


def flip_labels(h, rate: float, rng: np.random.Generator) -> np.ndarray:
    """h with each label replaced by 1 − h with probability ``rate`` (independently)."""
    h = np.asarray(h, dtype=float)
    flips = rng.random(len(h)) < rate
    return np.where(flips, 1.0 - h, h)


def in_view(response, view: int | None) -> list[int]:
    """The response tokens the proxy reads: the first ``view`` (all of them when ``view`` is None)."""
    return list(response) if view is None else list(response)[:view]


def training_rows(prompts, responses, h, proxy: Proxy, rng: np.random.Generator) -> list[dict]:
    """{"input_ids": prompt + the response in view, "labels": the (flipped) h} for the regression head."""
    labels = flip_labels(h, proxy.noise, rng)
    return [{"input_ids": list(p) + in_view(r, proxy.view), "labels": float(y)} for p, r, y in zip(prompts, responses, labels)]


def _collate(pad_id: int):
    def collate(rows):
        width = max(len(row["input_ids"]) for row in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row["input_ids"])] = torch.as_tensor(row["input_ids"])
            attention[i, : len(row["input_ids"])] = 1
        batch = {"input_ids": ids, "attention_mask": attention}
        if "labels" in rows[0]:
            batch["labels"] = torch.tensor([row["labels"] for row in rows], dtype=torch.float32)
        return batch

    return collate


def load_head(folder, pad_id: int, device=None):
    """The model in ``folder`` with a fresh scalar regression head (or the fitted one, if ``folder`` is a reward model)."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(folder), num_labels=1, problem_type="regression")
    model.config.pad_token_id = pad_id
    return model.to(device or torch.device("cpu"))


def fit_reward_model(reference_dir, tokenizer, rows: list[dict], hp: dict, output_dir, seed: int, lora: dict | None = None,
                     device=None):
    """Fits r̂ on ``rows`` (`training_rows`) from the reference in ``reference_dir`` with transformers' ``Trainer``
    (mean squared error; under ``lora``, adapters on the given layers plus a trainable head, merged before saving);
    saves the model and tokenizer into ``<output_dir>/final`` and returns its folder."""
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments

    from .trainers import COMMON

    torch.manual_seed(seed)
    pad_id = tokenizer.pad_token_id
    model = load_head(reference_dir, pad_id, device)
    if lora is not None:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=lora["r"], lora_alpha=lora["alpha"],
                                                 target_modules=lora.get("target_modules"),
                                                 layers_to_transform=lora.get("layers_to_transform")))
    settings = {key: value for key, value in COMMON.items() if key in TrainingArguments.__dataclass_fields__}
    args = TrainingArguments(**{**settings, "seed": seed, "data_seed": seed, "output_dir": str(output_dir),
                                "remove_unused_columns": False, "save_strategy": "no",
                                "use_cpu": (device is None or torch.device(device).type == "cpu"), **hp})
    trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_list(rows), data_collator=_collate(pad_id))
    trainer.train()
    model = trainer.model.merge_and_unload() if lora is not None else trainer.model
    final = Path(output_dir) / "final"
    model.save_pretrained(str(final))
    tokenizer.save_pretrained(str(final))
    return final


class RewardModelScorer:
    """r̂(x, y) ∈ [0, 1] of token-id pairs, reading the prompt and the response's first ``view`` tokens."""

    def __init__(self, folder, view: int | None, pad_id: int, batch_size: int = 256, device=None):
        self.model = load_head(folder, pad_id, device).eval()
        self.view, self.pad_id, self.batch_size = view, pad_id, batch_size
        self.collate = _collate(pad_id)

    @torch.no_grad()
    def __call__(self, prompts, responses) -> np.ndarray:
        device = next(self.model.parameters()).device
        rows = [{"input_ids": list(p) + in_view(r, self.view)} for p, r in zip(prompts, responses)]
        out = []
        for start in range(0, len(rows), self.batch_size):
            batch = self.collate(rows[start: start + self.batch_size])
            logits = self.model(**{key: value.to(device) for key, value in batch.items()}).logits
            out.append(logits[:, 0].float().cpu().numpy())
        return np.clip(np.concatenate(out) if out else np.zeros(0), 0.0, 1.0)

    @torch.no_grad()
    def score_many(self, prompts, responses) -> np.ndarray:
        """``self(prompts, responses)`` for many rows that share prompts (the rollouts of a Monte Carlo I_t): each
        distinct prompt runs through the model once, and its KV cache serves every distinct response-in-view of it in
        one batch, so the cost is one prompt forward per prompt plus ≤ ``view`` tokens per row instead of a whole
        prompt per row. The score is the head on the last hidden state whose token is not padding, as the sequence
        classifier reads it (a response ending in the pad token is read before it). Equal to the call up to float
        rounding (a test checks it)."""
        device = next(self.model.parameters()).device
        keys = [(tuple(p), tuple(in_view(r, self.view))) for p, r in zip(prompts, responses)]
        by_prompt: dict[tuple, dict] = {}
        for prompt, seen in keys:
            by_prompt.setdefault(prompt, {})[seen] = None
        backbone, head = self.model.base_model, self.model.score
        scores = {}
        for prompt, distinct in by_prompt.items():
            rows, P = list(distinct), len(prompt)
            for start in range(0, len(rows), self.batch_size):
                chunk = rows[start: start + self.batch_size]
                # One prompt forward per chunk: repeating the cache for a chunk's rows consumes it.
                out = backbone(input_ids=torch.tensor([prompt], device=device), use_cache=True)
                prompt_hidden, cache = out.last_hidden_state[0], out.past_key_values
                width = max(len(seen) for seen in chunk)
                hidden = None
                if width:
                    ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                    mask = torch.ones((len(chunk), P + width), dtype=torch.long)
                    for i, seen in enumerate(chunk):
                        ids[i, : len(seen)] = torch.as_tensor(seen, dtype=torch.long)
                        mask[i, P + len(seen):] = 0
                    cache.batch_repeat_interleave(len(chunk))
                    positions = (P + torch.arange(width)).expand(len(chunk), -1)
                    hidden = backbone(input_ids=ids.to(device), attention_mask=mask.to(device), past_key_values=cache,
                                      position_ids=positions.to(device), use_cache=True).last_hidden_state
                for i, seen in enumerate(chunk):
                    tokens = prompt + seen
                    last = max((j for j, token in enumerate(tokens) if token != self.pad_id), default=len(tokens) - 1)
                    state = prompt_hidden[last] if last < P else hidden[i, last - P]
                    scores[(prompt, seen)] = float(head(state[None].to(head.weight.dtype))[0, 0])
        return np.clip(np.array([scores[key] for key in keys], dtype=float), 0.0, 1.0)


def reward_scorer(env, method: dict) -> RewardModelScorer:
    """The scorer of the learned harm model a method names (``reward_model``): the environment's config entry
    (``reward_models``) gives its view, the environment's ``reward_model_dir`` the fitted model (rule reward_model)."""
    name = method["reward_model"]
    if name not in env.reward_models:
        raise ValueError(f"method reward_model {name!r} is not among the config's reward_models "
                         f"({sorted(env.reward_models)}); add it there")
    if env.reward_model_dir is None:
        raise ValueError(f"reward model {name!r} is not fitted here: the rule must pass its folder as input 'reward_model'")
    proxy = Proxy.from_config(name, env.reward_models[name])
    return RewardModelScorer(env.reward_model_dir, proxy.view, env.pad_id, device=getattr(env, "device", None))


def lazy_scorer(env, method: dict):
    """`reward_scorer` loaded at its first call, so that a run's training inputs stay a function of config and seed
    (no model is read to build them); the proxy's name is checked at once."""
    if method["reward_model"] not in env.reward_models:
        reward_scorer(env, method)  # raises the error naming the config key
    load = functools.cache(lambda: reward_scorer(env, method))
    return lambda prompts, responses: load()(prompts, responses)


def fit_diagnostics(scores, h) -> dict:
    """How r̂ reads held-out responses against the true h: mean squared error, correlation, and accuracy at 1/2."""
    scores, h = np.asarray(scores, dtype=float), np.asarray(h, dtype=float)
    correlation = float(np.corrcoef(scores, h)[0, 1]) if np.std(scores) > 0 and np.std(h) > 0 else float("nan")
    return {"n_heldout": int(len(h)), "mse": float(np.mean((scores - h) ** 2)), "correlation_with_h": correlation,
            "accuracy_at_half": float(np.mean((scores >= 0.5) == (h >= 0.5))), "mean_score": float(np.mean(scores)),
            "mean_h": float(np.mean(h))}


class RewardModelView:
    """An environment whose h is r̂: what ``evaluate.harm_information.mc_rollouts`` reads (T, stop_ids, sample, label,
    decided_positions). With a view k a prefix of ≥ k tokens decides r̂, and rollouts stop at k tokens; nothing else
    of the environment (its judge's early stop, ``rollout_until``) is exposed, so h's decisions do not leak in."""

    def __init__(self, env, scorer: RewardModelScorer):
        self.env, self.scorer, self.view = env, scorer, scorer.view

    @property
    def T(self) -> int:
        return self.env.T

    @property
    def stop_ids(self) -> list[int]:
        return self.env.stop_ids

    def sample(self, model, prefixes, budgets, n_samples: int, seed: int, batch_size: int | None = None,
               progress: bool = False):
        budgets = [budgets] * len(prefixes) if np.isscalar(budgets) else list(budgets)
        if self.view is not None:  # budget = T − p: a rollout from p needs k − p tokens only
            budgets = [max(min(b, self.view - (self.T - b)), 0) for b in budgets]
        # Where the environment's sampler can stop rows early (a chat model), its path that shares one prompt forward
        # among a prefix's rollouts is taken; r̂ decides nothing before the view ends, so no row stops early.
        shared = {"until": never} if hasattr(self.env, "rollout_until") else {}
        return self.env.sample(model, prefixes, budgets, n_samples, seed, batch_size, progress, **shared)

    def label(self, prompts, responses) -> dict:
        return {"harm": self.scorer.score_many(prompts, responses)}

    def decided_positions(self, prompt, response) -> np.ndarray:
        positions = np.arange(len(response))
        return positions >= self.view if self.view is not None else np.zeros(len(response), dtype=bool)
