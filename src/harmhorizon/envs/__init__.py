"""Environments: what the world is, for one machinery of methods and evaluators (docs/architecture.md).

An environment offers, under the same names:

- ``T``, ``stop_ids``, ``pad_id``: the response horizon and the tokens that end or pad a response;
- ``label(prompts, responses) -> {"harm", "refused", "recovered"}``: the harm function h (monotone:
  content once emitted is not taken back) and the judge's other verdicts, over token-id lists;
- ``recovers(continuations)``: whether a continuation emits the recovery set R;
- ``sample(model, prefixes, budgets, n_samples, seed)``: the one sampler (``evaluate.sampling``);
- ``load_policy()``, ``load_reference(policy)``, ``trainer_settings(objective)``, ``gradient_profile(every)``;
- the data every objective of ``methods.registry`` asks for: ``preference_pairs``, ``rl_prompts``,
  ``harm_reward``, ``refusal_data``, ``augmentation_data``, ``recovery_data``, ``circuit_breaker_data``;
- the evaluation sets: ``kl_sequences()``, ``prompts(harmful, n, seed)``, ``prefill_sets()``,
  ``prefill_budget(prefix)``.

Two exist: ``automaton.AutomatonEnvironment`` (a GPT-2 on the harm automaton; the exact DP is its
oracle), defined by the config section ``synthetic``, and ``chat.ChatEnvironment`` (any Hugging Face
causal LM, HarmBench prompts, the marker judge), defined by ``real``.  The rules name an environment by
its config section (``{env}`` in ``results/{env}/{model}/``); `load_environment` builds it from a rule's
settings and inputs.
"""

from __future__ import annotations

ENVIRONMENTS = ("synthetic", "real")


def load_environment(name: str, settings: dict, inputs: dict):
    """The environment ``name`` of a rule: its settings (``params.environment``) and the reference model and
    judged base samples among its inputs (``reference``; ``harmful`` and ``benign``, or ``samples``,
    ``prefill_source`` and the attacker's model ``attacker``; a fitted learned harm model ``reward_model``)."""
    if name == "synthetic":
        from .automaton import AutomatonEnvironment

        return AutomatonEnvironment.from_config(settings["automaton"], settings, inputs.get("reference", ""),
                                                inputs.get("harmful"), inputs.get("benign"), inputs.get("reward_model"))
    if name == "real":
        from .chat import ChatEnvironment

        return ChatEnvironment.from_config(inputs["reference"], settings, inputs.get("samples"),
                                           prefill_source_csv=inputs.get("prefill_source"), attacker_dir=inputs.get("attacker"),
                                           reward_model_dir=inputs.get("reward_model"))
    raise ValueError(f"unknown environment {name!r}; use one of {ENVIRONMENTS}")
