"""One registry of alignment objectives, shared by every environment (docs/architecture.md "Methods").

A method in the config names an ``objective`` and sets its fields; the objective fixes its family
(``standard``: what the paper analyses; ``deep``: built to act past the harm horizon; ``baseline``),
its trl config class, its trainer class and the inputs it asks of an environment:

| objective | family   | config / trainer                                   | environment supplies             |
|-----------|----------|----------------------------------------------------|----------------------------------|
| dpo       | standard | DPOConfig / DPOTrainer                              | preference pairs, a reference     |
| rlhf      | standard | GRPOConfig / GRPOTrainer                            | harmful prompts, reward −h        |
| sft       | standard | SFTConfig / SFTTrainer                              | refusals and the benign anchor    |
| augment   | deep     | SFTConfig / SFTTrainer                              | the sft data + harmful prefix → R |
| recovery  | deep     | RecoveryPenaltyConfig / RecoveryPenaltyTrainer      | anchor data + a penalty hook      |
| recovery_rl | deep   | GRPOConfig / GRPOTrainer                            | harmful prompts, rewards −h and   |
|           |          |                                                    | −μ Σ_t γ^t 1{harmful} 1{y_t ∉ R}  |
| h_deep    | deep     | DeepObjectiveConfig / DeepObjectiveTrainer          | harmful prompts, reward −h, and   |
|           |          |                                                    | Q: adversarial prefixes (a hook)  |
| circuit_breaker | baseline | CircuitBreakerConfig / CircuitBreakerTrainer | retain data + harmful responses   |
|           |          |                                                    | to reroute, a frozen reference    |

``h_deep`` is Young's deep objective as the paper writes it (Def 17, eq. 43): λ·E[Harm] + μ·E_{y∼Q}[Σ_t γ^{t−1}
(1 − π(R | y_<t))] + KL, with λ = 1/β, Q the environment's adversarial prefixes, and its exact optimum
``theory.deep.solve_deep``. ``recovery`` is the off-policy surrogate (an SFT anchor plus the penalty on fixed
base prefixes, no KL term); ``recovery_rl`` optimises our on-policy variant P5-on, with GRPO's KL term β to
π_ref: E[h] + μ Σ_t γ^t P(harmful, not recovering at t) + β KL, whose exact optimum is
``theory.gibbs.optimal_policy``.

A new method needs a config entry only (an existing objective with other fields); a new objective is
one row here and, where it asks for new data, one method on each environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from datasets import Dataset
from trl import DPOConfig, DPOTrainer, GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

from . import families
from .families import FAMILIES, FAMILY
from .trainers import (COMMON, CircuitBreakerConfig, CircuitBreakerTrainer, DeepObjectiveConfig, DeepObjectiveTrainer,
                       RecoveryPenaltyConfig, RecoveryPenaltyTrainer, train)

__all__ = ["FAMILIES", "OBJECTIVES", "Objective", "align", "family_of", "objective_of"]


@dataclass(frozen=True)
class Objective:
    """How a method of this objective trains: family, trl config and trainer, and its inputs from an environment.

    ``inputs(env, method, rng, seed)`` returns the trainer's keyword arguments that do not depend on the
    model (datasets, reward, penalty); ``config(method)`` the config fields the method sets outside ``hp``.
    """

    name: str
    family: str
    config_cls: type
    trainer_cls: type
    inputs: Callable
    config: Callable = lambda method: {}
    needs_reference: bool = False
    config_defaults: tuple = ()
    reference_argument: str = "ref_model"


def _dpo_inputs(env, method, rng, seed):
    return {"train_dataset": env.preference_pairs(method, rng)}


def _rlhf_inputs(env, method, rng, seed):
    return {"train_dataset": env.rl_prompts(method, rng), "reward_funcs": env.harm_reward(method)}


def _recovery_rl_inputs(env, method, rng, seed):
    return {"train_dataset": env.rl_prompts(method, rng),
            "reward_funcs": [env.harm_reward(method), env.recovery_reward(method)]}


def _h_deep_inputs(env, method, rng, seed):
    return {"train_dataset": env.rl_prompts(method, rng), "reward_funcs": env.harm_reward(method),
            "penalty": env.adversarial_prefixes(method, rng)}


def _h_deep_config(method):
    return {"deep_mu": method["mu"], "deep_gamma": method["gamma"], "penalty_batch_size": method.get("penalty_batch_size", 64)}


def _sft_inputs(env, method, rng, seed):
    return {"train_dataset": env.refusal_data(method, rng, seed)}


def _augment_inputs(env, method, rng, seed):
    return {"train_dataset": env.augmentation_data(method, rng, seed)}


def _recovery_inputs(env, method, rng, seed):
    dataset, penalty = env.recovery_data(method, rng, seed)
    return {"train_dataset": dataset, "penalty": penalty}


def _circuit_breaker_inputs(env, method, rng, seed):
    dataset, reroute = env.circuit_breaker_data(method, rng, seed)
    return {"train_dataset": dataset, "reroute": reroute}


def _circuit_breaker_config(method):
    return {"cb_alpha": method["alpha"], "cb_layers": list(method["layers"]),
            "penalty_batch_size": method.get("penalty_batch_size", 64)}


def _recovery_config(method):
    return {"recovery_mu": method["mu"], "recovery_gamma": method["gamma"], "recovery_form": method.get("form", "linear"),
            "penalty_batch_size": method.get("penalty_batch_size", 64)}


SFT_DEFAULTS = (("completion_only_loss", True), ("packing", False))
# On-policy sampling at temperature 1 over the full vocabulary (top_k 0, top_p 1).
ON_POLICY_DEFAULTS = (("temperature", 1.0), ("top_p", 1.0), ("top_k", 0), ("log_completions", False))
# Dr. GRPO's loss (no division by the reward's spread, a constant token normaliser): proportional to E[h] + β KL.
H_DEEP_DEFAULTS = ON_POLICY_DEFAULTS + (("loss_type", "dr_grpo"), ("scale_rewards", "none"))
OBJECTIVES = {
    "dpo": Objective("dpo", FAMILY["dpo"], DPOConfig, DPOTrainer, _dpo_inputs, needs_reference=True),
    "rlhf": Objective("rlhf", FAMILY["rlhf"], GRPOConfig, GRPOTrainer, _rlhf_inputs, config_defaults=ON_POLICY_DEFAULTS),
    "recovery_rl": Objective("recovery_rl", FAMILY["recovery_rl"], GRPOConfig, GRPOTrainer, _recovery_rl_inputs,
                             config_defaults=ON_POLICY_DEFAULTS),
    "h_deep": Objective("h_deep", FAMILY["h_deep"], DeepObjectiveConfig, DeepObjectiveTrainer, _h_deep_inputs,
                        config=_h_deep_config, config_defaults=H_DEEP_DEFAULTS),
    "sft": Objective("sft", FAMILY["sft"], SFTConfig, SFTTrainer, _sft_inputs, config_defaults=SFT_DEFAULTS),
    "augment": Objective("augment", FAMILY["augment"], SFTConfig, SFTTrainer, _augment_inputs, config_defaults=SFT_DEFAULTS),
    "recovery": Objective("recovery", FAMILY["recovery"], RecoveryPenaltyConfig, RecoveryPenaltyTrainer, _recovery_inputs,
                          config=_recovery_config, config_defaults=SFT_DEFAULTS),
    "circuit_breaker": Objective("circuit_breaker", FAMILY["circuit_breaker"], CircuitBreakerConfig, CircuitBreakerTrainer,
                                 _circuit_breaker_inputs, config=_circuit_breaker_config, config_defaults=SFT_DEFAULTS,
                                 needs_reference=True, reference_argument="frozen"),
}


def objective_of(method: dict) -> Objective:
    """The registered objective a config method names, or an error naming the choices."""
    name = method.get("objective")
    if name not in OBJECTIVES:
        raise ValueError(f"method objective {name!r} is not registered; use one of {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]


def family_of(method: dict) -> str:
    """The method's family (``methods.families.family_of``), after checking its objective is registered here."""
    objective_of(method)
    return families.family_of(method)


def trl_config(objective: Objective, method: dict, env, output_dir, seed: int):
    """The trl config of one run: shared settings < objective defaults < environment < method fields < hp."""
    fields = {**COMMON, "seed": seed, "data_seed": seed, "output_dir": str(output_dir), **dict(objective.config_defaults),
              **env.trainer_settings(objective.name), **objective.config(method), **method["hp"]}
    return objective.config_cls(**fields)


def align(env, method: dict, seed: int, output_dir, profile=None, snapshots=None):
    """Train one method from the environment's reference model; returns the trainer (model in ``trainer.model``).

    Data come first (a numpy generator seeded by ``seed``), then torch is seeded and the policy loaded, so
    a run is a pure function of (environment, method, seed).
    """
    objective = objective_of(method)
    inputs = objective.inputs(env, method, np.random.default_rng(seed), seed)
    if isinstance(inputs["train_dataset"], list):
        inputs["train_dataset"] = Dataset.from_list(inputs["train_dataset"])
    torch.manual_seed(seed)
    model, tokenizer = env.load_policy()
    if objective.needs_reference:
        inputs[objective.reference_argument] = env.load_reference(model)
    args = trl_config(objective, method, env, output_dir, seed)
    trainer = objective.trainer_cls(model=model, args=args, processing_class=tokenizer, **inputs)
    return train(trainer, output_dir, profile, snapshots)
