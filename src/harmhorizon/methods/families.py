"""The family of each registered objective, readable without importing trl (the verdicts need only this).

``standard``: the objectives the paper analyses (dpo, rlhf, sft); ``deep``: built to act past the harm
horizon (h_deep, Young's Def 17; recovery, recovery_rl, augment); ``baseline``: peer defences to compare with
(circuit_breaker, Zou et al. 2024); ``proxy``: a method of any objective that aligns against a learned harm model
(``reward_model``, E7) instead of h, judged by E7's own predictions only. ``methods.registry`` takes each
objective's family from here; a test checks that both list the same objectives.
"""

from __future__ import annotations

FAMILIES = ("standard", "deep", "baseline", "proxy")
FAMILY = {"dpo": "standard", "rlhf": "standard", "sft": "standard", "augment": "deep", "recovery": "deep",
          "recovery_rl": "deep", "h_deep": "deep", "circuit_breaker": "baseline"}


def family_of(method: dict) -> str:
    """The family of a config method's objective (``proxy`` when it names a ``reward_model``), or an error naming
    the choices."""
    objective = method.get("objective")
    if objective not in FAMILY:
        raise ValueError(f"method objective {objective!r} is not registered; use one of {sorted(FAMILY)}")
    return "proxy" if method.get("reward_model") else FAMILY[objective]
