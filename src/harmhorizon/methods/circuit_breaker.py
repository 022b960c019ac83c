"""Circuit breakers by representation rerouting (Zou et al. 2024), a peer defence (docs/theory.md §4.7).

The policy π_θ starts at the reference π_0 (LoRA adapters on it, or a full copy) and is trained on two sets:

- the **reroute** set: harmful responses to harmful prompts; at every response token and every chosen layer ℓ
  the loss is ReLU(cos(h_θ^ℓ, h_0^ℓ)), which pushes the policy's hidden state to be orthogonal to (or point
  away from) the reference's;
- the **retain** set: the method's benign and refusal data; at every token the loss is ‖h_θ^ℓ − h_0^ℓ‖₂,
  which keeps the policy's representation where the reference's was.

**Standardised rerouting** (ours, ``standardize``): the cosine is taken between z = (h − μ_ℓ)/σ_ℓ, with μ_ℓ and σ_ℓ
the per-coordinate mean and standard deviation of the reference's states at layer ℓ over the reroute set's response
tokens (`reference_statistics`, fixed before the first step). A model whose states carry a few massive coordinates
(SmolLM2: one coordinate holds about half of the norm) gives a raw cosine near 1 between any two tokens, so
ReLU(cos) is flat in every direction that LoRA can reach; after standardisation unrelated tokens are near
orthogonal, and rerouting asks for a change of the size of the states' own spread. The retain term is unchanged.

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


def reference_statistics(frozen: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(μ, σ), each (layers, D): the per-coordinate mean and standard deviation of the states ``frozen`` (layers, B, L,
    D) over the tokens ``mask`` (B, L) marks; σ is floored at 1e-6 of its largest entry (a constant coordinate)."""
    tokens = frozen[:, mask]  # (layers, n, D)
    if tokens.shape[1] < 2:
        raise ValueError("standardised rerouting needs at least 2 response tokens in the reroute set")
    mean, std = tokens.mean(dim=1), tokens.std(dim=1)
    return mean, std.clamp(min=1e-6 * float(std.max()))


def standardized(states: torch.Tensor, statistics: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """z = (h − μ)/σ per layer and coordinate (`reference_statistics`), for states (layers, B, L, D)."""
    mean, std = statistics
    return (states - mean[:, None, None]) / std[:, None, None]


def reroute_loss(states: torch.Tensor, frozen: torch.Tensor, mask: torch.Tensor, statistics=None) -> torch.Tensor:
    """Mean over layers and masked tokens of ReLU(cos(h_θ, h_0)): 0 once every state is orthogonal or opposed.
    With ``statistics`` (μ, σ) the cosine is that of the standardised states (`standardized`)."""
    if statistics is not None:
        states, frozen = standardized(states, statistics), standardized(frozen, statistics)
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
