"""The recovery penalty of docs/theory.md §P5 (neural form: §4.2) as hooks of ``RecoveryPenaltyTrainer`` and
of ``DeepObjectiveTrainer`` (Young's Def 17, whose prefixes are the adversarial distribution Q).

A hook holds N harmful prefixes and, for a draw of row indices, returns the mean over the drawn rows of
Σ_t γ^{e_t} φ(π_θ(R | x, y_<t)) (the exponent e_t is t for P5, t − 1 for Def 17) with φ(p) = 1 - p (``linear``, P5) or -log p (``log``).  The recovery set R
is the environment's: a set of tokens (``TokenRecoveryPenalty``, the automaton's RECOVER) or one phrase
whose probability is the product of its token probabilities (``PhraseRecoveryPenalty``, a chat model).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def phi(log_p: torch.Tensor, form: str) -> torch.Tensor:
    """φ(p) from log p: 1 - p (linear) or -log p (log)."""
    if form == "linear":
        return 1.0 - log_p.exp()
    if form == "log":
        return -log_p
    raise ValueError(f"recovery penalty form must be 'linear' or 'log', got {form!r}")


def recovery_penalty(logits: torch.Tensor, recover_ids, mask: torch.Tensor, positions: torch.Tensor,
                     gamma: float, form: str = "linear") -> torch.Tensor:
    """Mean over sequences b of Σ_i mask[b,i] γ^{positions[b,i]} φ(π_θ(R | prefix ending at i)).

    ``logits[b, i]`` is the next-token logit vector after the prefix ending at index i; ``mask``
    marks the harmful prefixes (complied, not recovered); ``positions`` is the response position t of
    the token chosen there; π_θ(R) = Σ_{r ∈ R} softmax(logits)_r.
    """
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    log_recover = torch.logsumexp(log_probs[..., torch.as_tensor(recover_ids, device=logits.device)], dim=-1)
    per_position = phi(log_recover, form)
    weights = mask.float() * gamma ** positions.float()
    return (weights * per_position).sum(-1).mean()


@dataclass
class TokenRecoveryPenalty:
    """R is a set of tokens; every harmful prefix of a sequence is penalised.

    ``ids`` (N, L) are harmful sequences (prompt + response, right-padded); ``mask`` (N, L) marks the
    logits indices whose prefix is harmful; ``positions`` (N, L) the exponent of γ there: the response
    position t chosen there (P5's γ^t), or t − 1 (Young's γ^{t−1}).
    """

    ids: torch.Tensor
    mask: torch.Tensor
    positions: torch.Tensor
    recover_ids: list

    def __len__(self) -> int:
        return len(self.ids)

    def __call__(self, model, rows, gamma: float, form: str, pad_id: int) -> torch.Tensor:
        device = next(model.parameters()).device
        ids = self.ids[rows].to(device)
        logits = model(input_ids=ids, attention_mask=(ids != pad_id).long()).logits
        return recovery_penalty(logits, self.recover_ids, self.mask[rows].to(device), self.positions[rows].to(device),
                                gamma, form)


@dataclass
class PhraseRecoveryPenalty:
    """R is one phrase; each row is one harmful prefix followed by R.

    ``ids`` (N, L) rows are prompt + harmful prefix + R, right-padded; ``attention`` (N, L) marks the
    tokens of each row (padding 0); ``mask`` (N, L) marks the tokens of R; ``positions`` (N,) is the
    exponent of γ for the row (the response position t_b at which R would start, or t_b − 1 for Young's
    γ^{t−1}). log π_θ(R | ·) = Σ_i log π_θ(r_i | ·, r_<i): the logit at index i predicts token i + 1, so it
    counts where token i + 1 belongs to R. ``scale`` (N,), optional, multiplies each row: a row that stands
    for one uniformly drawn prefix of a sequence with n + 1 prefixes carries n + 1, so that the mean over
    rows estimates the sum over a sequence's prefixes.
    """

    ids: torch.Tensor
    attention: torch.Tensor
    mask: torch.Tensor
    positions: torch.Tensor
    scale: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def __call__(self, model, rows, gamma: float, form: str, pad_id: int) -> torch.Tensor:
        device = next(model.parameters()).device
        ids, mask = self.ids[rows].to(device), self.mask[rows].to(device)
        logits = model(input_ids=ids, attention_mask=self.attention[rows].to(device)).logits[:, :-1].float()
        token_logp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None])[..., 0]
        log_phrase = (token_logp * mask[:, 1:]).sum(-1)
        weights = gamma ** self.positions[rows].to(device).float()
        if self.scale is not None:
            weights = weights * self.scale[rows].to(device).float()
        return (weights * phi(log_phrase, form)).mean()
