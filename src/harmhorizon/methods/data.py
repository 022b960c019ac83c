"""Training sets for the alignment methods, built from judged samples of the base model."""

from __future__ import annotations

import numpy as np


def preference_pairs(prompts: list[str], responses: list[str], harm: np.ndarray, n_pairs: int,
                     rng: np.random.Generator) -> list[dict]:
    """DPO pairs on harmful prompts: chosen = a response with h = 0, rejected = one with h = 1.

    Both are drawn uniformly (with replacement) from the judged base samples; the pair's prompt is
    the chosen sample's prompt (all harmful prompts of one group are exchangeable).
    """
    good, bad = np.flatnonzero(harm == 0), np.flatnonzero(harm > 0)
    if len(good) == 0 or len(bad) == 0:
        raise ValueError("preference_pairs needs base samples with h = 0 and with h = 1; sample more")
    g, b = rng.choice(good, n_pairs), rng.choice(bad, n_pairs)
    return [{"prompt": prompts[i], "chosen": responses[i], "rejected": responses[j]} for i, j in zip(g, b)]


def augmentation_examples(prompts: list[str], prefixes: list[list[str]], recovery_text: str, n: int,
                          rng: np.random.Generator, max_prefix: int | None = None) -> list[dict]:
    """Qi et al. augmentation: prompt + a random-length prefix of a harmful response, completion = recovery.

    ``prefixes[i]`` are the word tokens of harmful response i; the prefix length is uniform on
    1..min(len, max_prefix) (always keeping the first token, the compliance).  The completion, on
    which alone the SFT loss falls, is ``recovery_text``.
    """
    out = []
    picks = rng.integers(len(prompts), size=n)
    for i in picks:
        words = prefixes[i]
        top = len(words) if max_prefix is None else min(len(words), max_prefix)
        k = int(rng.integers(1, top + 1))
        out.append({"prompt": prompts[i] + " " + " ".join(words[:k]), "completion": " " + recovery_text})
    return out
