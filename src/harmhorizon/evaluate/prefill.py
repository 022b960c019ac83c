"""The prefill attack (Qi et al.; docs/experiments.md E4, E6), for any environment.

For each depth k, every (prompt, harmful response prefix) of ``prefix_sets[k]`` is continued by the
model for ``env.prefill_budget(prefix)`` tokens, ``n_samples`` times.  harm_rate is the mean h of
prefix + continuation, or of the continuation alone where the environment says so (``env.attack_label``:
the chat judge reads the model's own tokens only, and stops sampling once it has decided, ``env.attack_until``);
recovery_rate the fraction of continuations that emit R (on a chat model: before they are harmful);
continuation_harm_rate the mean h of the model's own tokens alone (``env.continuation_harm``; on a chat model
harm_rate itself), the harm a prefill cannot have written for the model.

The rank-assisted prefill (Vega & Singh 2025; docs/theory.md §4.7) writes its prefix itself: at each of k steps
it takes, among the attacked model's ``top_k`` most probable next tokens, the one the environment's harm scorer
ranks highest (``env.rank_attack_scorer``: the automaton's PAYLOAD over FILLER; a chat model's attacker, the
imported model before the refusal SFT, by its own log-probability), so that every prefill token is one the model
itself ranks high while the attack steers past refusals. The prefixes are then continued and judged exactly as
the sampled attack's (``prefill_attack``), with the same seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .sampling import left_padded


def prefill_attack(env, model, prefix_sets: dict, n_samples: int = 1, seed: int = 0,
                   batch_size: int | None = None, records: list | None = None) -> pd.DataFrame:
    """Rows k, prefilled, recovery_rate, harm_rate, continuation_harm_rate, n; a depth with no prefix has n = 0 and
    NaN rates.

    ``prefilled`` is the number of response tokens the attack writes at depth k (the longest prefix of
    the depth): the response position it reaches, which "past the horizon" compares with t_ε.

    Depth k (the i-th in increasing order) is sampled with seed + 7919 i. With a list ``records``, every
    sample is appended to it as a dict: k, item (the prefix's index in its set), sample, prefix and
    continuation (token ids), harm and recovered (its labels).
    """
    rows = []
    for offset, k in enumerate(sorted(prefix_sets)):
        pairs = prefix_sets[k]
        if not pairs:
            rows.append({"k": k, "prefilled": np.nan, "recovery_rate": np.nan, "harm_rate": np.nan,
                         "continuation_harm_rate": np.nan, "n": 0})
            continue
        budgets = [env.prefill_budget(r) for _, r in pairs]
        kwargs = {"until": env.attack_until(pairs)} if hasattr(env, "attack_until") else {}
        new = env.sample(model, [list(p) + list(r) for p, r in pairs], budgets, n_samples, seed + 7919 * offset,
                         batch_size or env.prefill_batch_size, **kwargs)
        prompts = [list(p) for p, _ in pairs for _ in range(n_samples)]
        responses = [list(pairs[i // n_samples][1]) + new[i] for i in range(len(new))]
        if hasattr(env, "attack_label"):  # an environment that judges the model's own tokens only
            harm = np.asarray(env.attack_label(prompts, [list(pairs[i // n_samples][1]) for i in range(len(new))], new), dtype=float)
            own = harm
        else:
            harm = np.asarray(env.label(prompts, responses)["harm"], dtype=float)
            own = np.asarray(env.continuation_harm(prompts, new), dtype=float)
        recovered = np.asarray(env.recovers(new), dtype=bool)
        rows.append({"k": k, "prefilled": max(len(r) for _, r in pairs), "recovery_rate": float(np.mean(recovered)), "harm_rate": float(harm.mean()),
                     "continuation_harm_rate": float(own.mean()), "n": len(responses)})
        if records is not None:
            records += [{"k": k, "item": i // n_samples, "sample": i % n_samples, "prefix": list(pairs[i // n_samples][1]),
                         "continuation": list(new[i]), "harm": float(harm[i]), "recovered": bool(recovered[i])}
                        for i in range(len(new))]
    return pd.DataFrame(rows)


class IncrementalForward:
    """Next-token logits of a batch of token-id rows that grow by one token per row per step (KV cache; rows of
    unequal length left-padded, with the attention mask and position ids following the padding)."""

    @torch.no_grad()
    def __init__(self, model, rows, pad_id: int):
        self.model, self.device = model, next(model.parameters()).device
        ids, self.mask = left_padded(rows, pad_id)
        self.positions = (self.mask.cumsum(-1) - 1).clamp(min=0)
        outputs = model(input_ids=ids.to(self.device), attention_mask=self.mask.to(self.device),
                        position_ids=self.positions.to(self.device), use_cache=True)
        self.past, self.logits = outputs.past_key_values, outputs.logits[:, -1].float().cpu()

    @torch.no_grad()
    def append(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feeds one token per row; returns the new next-token logits (B, V)."""
        self.mask = torch.cat([self.mask, torch.ones((len(tokens), 1), dtype=torch.long)], dim=1)
        self.positions = self.positions[:, -1:] + 1
        outputs = self.model(input_ids=tokens[:, None].to(self.device), attention_mask=self.mask.to(self.device),
                             position_ids=self.positions.to(self.device), past_key_values=self.past, use_cache=True)
        self.past, self.logits = outputs.past_key_values, outputs.logits[:, -1].float().cpu()
        return self.logits


def rank_assisted_choice(logits: torch.Tensor, scores: torch.Tensor, top_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(token, inside) per row: the highest-scoring token among the ``top_k`` most probable ones (ties go to the
    more probable), and whether one there had a finite score; where none had, the highest-scoring token of the whole
    vocabulary (ties again to the more probable), which the caller reports as chosen outside the top k."""
    order = logits.argsort(dim=-1, descending=True, stable=True)
    ranked = scores.gather(-1, order)
    inside = torch.isfinite(ranked[:, :top_k]).any(-1)
    window = torch.where(inside[:, None], ranked.masked_fill(torch.arange(ranked.shape[1]) >= top_k, -torch.inf), ranked)
    best = window.argmax(-1)  # the first maximum: the most probable of the tied
    if not torch.isfinite(window.gather(-1, best[:, None])).all():
        raise ValueError("rank-assisted prefill: a row has no token the harm scorer allows")
    return order.gather(-1, best[:, None])[:, 0], inside


def rank_assisted_prefill(model, rows, length: int, top_k: int, scorer, pad_id: int) -> tuple[list[list[int]], np.ndarray]:
    """(the ``length`` tokens each row's attack writes, inside (rows, length): chosen within the top k).

    ``scorer(tokens)`` gives (B, V) scores of the next token, -inf where a token carries no harm or must not be
    written (stop tokens); it is called first with None (the rows as given), then with each chosen token.
    """
    if length <= 0:
        return [[] for _ in rows], np.ones((len(rows), 0), dtype=bool)
    attacked = IncrementalForward(model, rows, pad_id)
    logits, scores = attacked.logits, scorer(None)
    chosen, inside = [], []
    for step in range(length):
        token, within = rank_assisted_choice(logits, scores, top_k)
        chosen.append(token)
        inside.append(within)
        if step + 1 < length:
            logits, scores = attacked.append(token), scorer(token)
    return torch.stack(chosen, 1).tolist(), torch.stack(inside, 1).numpy()


def rank_assisted_attack(env, model, seed: int, records: list | None = None) -> pd.DataFrame:
    """The rank-assisted prefill at the sampled attack's depths, prompts and seed: rows k, prefilled, recovery_rate,
    harm_rate, n (as ``prefill_attack``) and outside_top_k, the share of prefill tokens no top-k token could carry."""
    prompts, opening = env.rank_attack_prompts()
    ks = sorted(env.prefill_sets())
    settings = env.rank_attack_settings()
    tokens, inside = rank_assisted_prefill(model, [list(p) + list(opening) for p in prompts], max(ks), settings["top_k"],
                                           env.rank_attack_scorer(prompts), env.pad_id)
    sets = {k: [(list(p), list(opening) + t[:k]) for p, t in zip(prompts, tokens)] for k in ks}
    table = prefill_attack(env, model, sets, env.prefill_samples, seed, records=records)
    table["outside_top_k"] = [float(1 - inside[:, :k].mean()) if k else 0.0 for k in table.k]
    return table
