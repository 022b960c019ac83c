"""The recovery penalty of docs/theory.md §P5 (neural form: §4.2) on a batch of logits."""

from __future__ import annotations

import torch


def recovery_penalty(logits: torch.Tensor, recover_ids, mask: torch.Tensor, positions: torch.Tensor,
                     gamma: float, form: str = "linear") -> torch.Tensor:
    """Mean over sequences b of Σ_i mask[b,i] γ^{positions[b,i]} φ(π_θ(R | prefix ending at i)).

    ``logits[b, i]`` is the next-token logit vector after the prefix ending at index i; ``mask``
    marks the harmful prefixes (complied, not recovered); ``positions`` is the response position t of
    the token chosen there.  φ(p) = 1 - p (``linear``, the P5 objective) or -log p (``log`` ablation),
    with π_θ(R) = Σ_{r ∈ R} softmax(logits)_r.
    """
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    log_recover = torch.logsumexp(log_probs[..., torch.as_tensor(recover_ids, device=logits.device)], dim=-1)
    if form == "linear":
        per_position = 1.0 - log_recover.exp()
    elif form == "log":
        per_position = -log_recover
    else:
        raise ValueError(f"recovery penalty form must be 'linear' or 'log', got {form!r}")
    weights = mask.float() * gamma ** positions.float()
    return (weights * per_position).sum(-1).mean()
