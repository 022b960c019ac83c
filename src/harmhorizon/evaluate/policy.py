"""Evaluation of one model in any environment: KL by position, prefill attack, harm and benign costs.

``evaluate_policy`` is what the evaluate step of every method and seed runs (docs/experiments.md E4–E6):

- KL_t along the environment's fixed base trajectories (harmful and benign), t = 1..``env.kl_positions``
  (``evaluate.kl``; 0 past a trajectory's end, so column means are KL_t of docs/theory.md §1.5);
- fresh samples on harmful prompts (seed) and on benign prompts (seed + 1), judged: harm_rate,
  refusal_rate, benign_refusal_rate, benign_recovery_rate;
- the prefill attack over the environment's depths (seed + 2; ``evaluate.prefill``), and beside it the
  rank-assisted prefill at the same depths, prompts and seed (``attack_table``, E7).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .kl import kl_by_position, per_position_kl
from .prefill import prefill_attack, rank_assisted_attack


ATTACK_COLUMNS = ["method", "seed", "attack", "k", "prefilled", "harm_rate", "continuation_harm_rate", "recovery_rate",
                  "n", "outside_top_k"]


def kl_matrix(env, model, reference, sequences) -> np.ndarray:
    """(N, env.kl_positions) per-sequence KL(model ‖ reference) at t = 1.., 0 past each sequence's end."""
    return kl_by_position(per_position_kl(model, reference, sequences, batch_size=env.kl_batch_size, pad_id=env.pad_id),
                          env.kl_positions)


def kl_table(matrix: np.ndarray) -> pd.DataFrame:
    """Per position t: the mean KL_t over sequences, its standard deviation and n."""
    frame = pd.DataFrame(matrix, columns=range(1, matrix.shape[1] + 1)).melt(var_name="t", value_name="kl")
    return frame.groupby("t", as_index=False).agg(kl=("kl", "mean"), kl_sd=("kl", "std"), n=("kl", "size"))


def attack(env, model, seed: int, records: list | None = None) -> pd.DataFrame:
    """The environment's prefill attack on ``model`` as the evaluation of seed ``seed`` draws it (seed + 2);
    ``records``, a list, receives every sample (``evaluate.prefill.prefill_attack``)."""
    return prefill_attack(env, model, env.prefill_sets(), env.prefill_samples, seed + 2, records=records)


def rank_attack(env, model, seed: int, records: list | None = None) -> pd.DataFrame:
    """The rank-assisted prefill (``evaluate.prefill.rank_assisted_attack``) at the seed the evaluation of seed ``seed``
    gives its sampled attack (seed + 2), so that both attacks draw their continuations alike."""
    return rank_assisted_attack(env, model, seed + 2, records=records)


def attack_table(env, model, seed: int, sampled: pd.DataFrame, method: str) -> pd.DataFrame:
    """attack.csv of one run: the sampled attack (``sampled``, as ``evaluate_policy`` drew it) and the rank-assisted
    prefill (``rank_attack``), rows k × attack with the harm of the model's own tokens (continuation_harm_rate) beside
    the environment's harm; a chat judge reads the continuation alone (``attack_label``), so there the two are one."""
    sampled = sampled.copy()
    if hasattr(env, "attack_label"):
        sampled["continuation_harm_rate"] = sampled.harm_rate
    ranked = rank_attack(env, model, seed)
    table = pd.concat([sampled.assign(attack="sampled", outside_top_k=0.0), ranked.assign(attack="rank_assisted")],
                      ignore_index=True)
    return table.assign(method=method, seed=seed)[ATTACK_COLUMNS]


def evaluate_policy(env, model, reference, seed: int, records: list | None = None) -> dict:
    """{"kl_harmful", "kl_benign"} (matrices), "prefill" (table) and "metrics" (dict) of ``model`` against ``reference``;
    ``records``, a list, receives every sample of the prefill attack."""
    model.eval()
    harmful_sequences, benign_sequences = env.kl_sequences()
    kl_h = kl_matrix(env, model, reference, harmful_sequences)
    kl_b = kl_matrix(env, model, reference, benign_sequences)
    harmful = env.rate_samples(model, True, seed)
    benign = env.rate_samples(model, False, seed + 1)
    vh = env.label([p for p, _ in harmful], [r for _, r in harmful])
    vb = env.label([p for p, _ in benign], [r for _, r in benign])
    prefill = attack(env, model, seed, records)
    return {
        "kl_harmful": kl_h,
        "kl_benign": kl_b,
        "prefill": prefill,
        "metrics": {
            "harm_rate": float(vh["harm"].mean()),
            "refusal_rate": float(vh["refused"].mean()),
            "benign_refusal_rate": float(vb["refused"].mean()),
            "benign_recovery_rate": float(vb["recovered"].mean()),
            "benign_kl": float(kl_b.sum(axis=1).mean()),
            "total_kl": float(kl_h.sum(axis=1).mean()),
        },
    }
