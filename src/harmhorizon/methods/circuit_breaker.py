"""Circuit breakers by representation rerouting (Zou et al. 2024), a peer defence (docs/theory.md §4.7).

The policy π_θ starts at the reference π_0 (LoRA adapters on it, or a full copy) and is trained on two sets:

- the **reroute** set: harmful responses to harmful prompts; at every response token and every chosen layer ℓ
  the loss is ReLU(cos(h_θ^ℓ, h_0^ℓ)), which pushes the policy's hidden state to be orthogonal to (or point
  away from) the reference's;
- the **retain** set: the method's benign and refusal data; at every token the loss is ‖h_θ^ℓ − h_0^ℓ‖₂,
  which keeps the policy's representation where the reference's was.

The two weights follow Zou et al.'s schedule over steps s of S: c_rr = α(1 − s/2S), c_ret = α·s/2S. Nothing in
the loss reads the output distribution, so it sits outside Young's output-level objective: where its KL to
π_0 lies against I_t is what E7 measures. ``layers`` index ``hidden_states`` (0: the embeddings, i: after i
blocks); each environment's config scales them to its model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class RerouteRows:
    """N harmful (prompt, response) rows: ``ids`` (N, L) right-padded, ``attention`` (N, L) marks the tokens,
    ``mask`` (N, L) the response tokens, whose hidden states are rerouted."""

    ids: torch.Tensor
    attention: torch.Tensor
    mask: torch.Tensor

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_sequences(cls, sequences, pad_id: int) -> "RerouteRows":
        """From (prompt ids, response ids) pairs; every response token is rerouted."""
        width = max(len(p) + len(r) for p, r in sequences)
        ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(sequences), width), dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.bool)
        for b, (prompt, response) in enumerate(sequences):
            row = list(prompt) + list(response)
            ids[b, : len(row)] = torch.tensor(row)
            attention[b, : len(row)] = 1
            mask[b, len(prompt): len(row)] = True
        return cls(ids, attention, mask)


def hidden_states(model, ids: torch.Tensor, attention: torch.Tensor, layers) -> torch.Tensor:
    """(len(layers), B, L, D): the hidden states of ``model`` at the chosen layers."""
    states = model(input_ids=ids, attention_mask=attention, output_hidden_states=True).hidden_states
    return torch.stack([states[layer] for layer in layers]).float()


def reroute_loss(states: torch.Tensor, frozen: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over layers and masked tokens of ReLU(cos(h_θ, h_0)): 0 once every state is orthogonal or opposed."""
    cosine = torch.nn.functional.cosine_similarity(states, frozen, dim=-1)
    weights = mask[None].float().expand_as(cosine)
    return (torch.relu(cosine) * weights).sum() / weights.sum().clamp(min=1)


def retain_loss(states: torch.Tensor, frozen: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over layers and masked tokens of ‖h_θ − h_0‖₂: 0 when the representation is the reference's."""
    distance = (states - frozen).norm(dim=-1)
    weights = mask[None].float().expand_as(distance)
    return (distance * weights).sum() / weights.sum().clamp(min=1)


def schedule(step: int, max_steps: int, alpha: float) -> tuple[float, float]:
    """Zou et al.'s weights (c_rr, c_ret) at step s of S: α(1 − s/2S) and α·s/2S."""
    fraction = step / (2 * max(max_steps, 1))
    return alpha * (1 - fraction), alpha * fraction
