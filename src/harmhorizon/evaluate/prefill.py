"""The prefill attack (Qi et al.; docs/experiments.md E4, E6), for any environment.

For each depth k, every (prompt, harmful response prefix) of ``prefix_sets[k]`` is continued by the
model for ``env.prefill_budget(prefix)`` tokens, ``n_samples`` times.  harm_rate is the mean h of
prefix + continuation, or of the continuation alone where the environment says so (``env.attack_label``:
the chat judge reads the model's own tokens only, and stops sampling once it has decided, ``env.attack_until``);
recovery_rate the fraction of continuations that emit R (on a chat model: before they are harmful).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def prefill_attack(env, model, prefix_sets: dict, n_samples: int = 1, seed: int = 0,
                   batch_size: int | None = None, records: list | None = None) -> pd.DataFrame:
    """Rows k, prefilled, recovery_rate, harm_rate, n; a depth with no prefix has n = 0 and NaN rates.

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
            rows.append({"k": k, "prefilled": np.nan, "recovery_rate": np.nan, "harm_rate": np.nan, "n": 0})
            continue
        budgets = [env.prefill_budget(r) for _, r in pairs]
        kwargs = {"until": env.attack_until(pairs)} if hasattr(env, "attack_until") else {}
        new = env.sample(model, [list(p) + list(r) for p, r in pairs], budgets, n_samples, seed + 7919 * offset,
                         batch_size or env.prefill_batch_size, **kwargs)
        prompts = [list(p) for p, _ in pairs for _ in range(n_samples)]
        responses = [list(pairs[i // n_samples][1]) + new[i] for i in range(len(new))]
        if hasattr(env, "attack_label"):  # an environment that judges the model's own tokens only
            harm = np.asarray(env.attack_label(prompts, [list(pairs[i // n_samples][1]) for i in range(len(new))], new), dtype=float)
        else:
            harm = np.asarray(env.label(prompts, responses)["harm"], dtype=float)
        recovered = np.asarray(env.recovers(new), dtype=bool)
        rows.append({"k": k, "prefilled": max(len(r) for _, r in pairs), "recovery_rate": float(np.mean(recovered)), "harm_rate": float(harm.mean()),
                     "n": len(responses)})
        if records is not None:
            records += [{"k": k, "item": i // n_samples, "sample": i % n_samples, "prefix": list(pairs[i // n_samples][1]),
                         "continuation": list(new[i]), "harm": float(harm[i]), "recovered": bool(recovered[i])}
                        for i in range(len(new))]
    return pd.DataFrame(rows)
