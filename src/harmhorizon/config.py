"""Config checks beyond the JSON schema (config/schema.yaml): cross-key constraints, with the key named."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key and the fix."""


def check_config(config: dict) -> None:
    """Raise ConfigError for constraints that span several keys (the schema checks single keys)."""
    automaton = config["exact"]["automaton"]
    total = automaton["q"] + automaton["r"] + automaton["e"]
    if total > 1.0:
        raise ConfigError(
            f"exact.automaton: q + r + e = {total:g} > 1, but FILLER takes probability 1 - q - r - e; "
            "lower exact.automaton.q, .r or .e"
        )
    T = automaton["T"]
    too_large = [m for m in config["exact"]["m_sweep"] if m > T - 1]
    if too_large:
        raise ConfigError(
            f"exact.m_sweep: m = {too_large} cannot be reached in T - 1 = {T - 1} complying tokens; "
            "use m <= exact.automaton.T - 1"
        )
    if automaton["m"] > T - 1:
        raise ConfigError(f"exact.automaton.m = {automaton['m']} exceeds T - 1 = {T - 1}; lower m or raise T")
    prefill = config["exact"]["prefill"]
    for key, grid in (("beta", "betas"), ("mu", "mus")):
        if prefill["figure"][key] not in prefill[grid]:
            raise ConfigError(
                f"exact.prefill.figure.{key} = {prefill['figure'][key]} is not in exact.prefill.{grid} = {prefill[grid]}; "
                f"add it to exact.prefill.{grid}"
            )
    if "real" in config:
        check_real_config(config["real"])
    if "synthetic" in config:
        check_synthetic_config(config["synthetic"], automaton)


def check_real_config(real: dict) -> None:
    """Cross-key checks of the real-model track (config.real)."""
    if real["paper_model"] not in real["models"]:
        raise ConfigError(
            f"real.paper_model = {real['paper_model']!r} is not a key of real.models ({sorted(real['models'])}); "
            "add it to real.models or change real.paper_model"
        )
    T = real["sampling"]["max_new_tokens"]
    if real["evaluation"]["kl"]["positions"] > T:
        raise ConfigError(f"real.evaluation.kl.positions exceeds real.sampling.max_new_tokens = {T}; lower it or raise T")
    if max(real["evaluation"]["prefill"]["ks"]) >= T:
        raise ConfigError(
            f"real.evaluation.prefill.ks = {real['evaluation']['prefill']['ks']} must stay below "
            f"real.sampling.max_new_tokens = {T}; lower the largest k"
        )
    needs = {"recovery": ("mu", "gamma", "form", "n_prefixes", "penalty_batch_size", "max_prefix"),
             "augment": ("n_examples", "max_prefix"), "h_deep": ("mu", "gamma", "n_prefixes", "max_prefix")}
    for name, method in real["methods"].items():
        missing = [key for key in needs.get(method["objective"], ()) if key not in method]
        if missing:
            raise ConfigError(f"real.methods.{name}: objective {method['objective']} needs {missing}; add them")
        check_h_deep(method, f"real.methods.{name}")
        if name == "base":
            raise ConfigError("real.methods.base: 'base' is reserved for the unaligned model; rename the method")
    check_reward_models(real, "real")


def check_reward_models(section: dict, where: str) -> None:
    """A method's ``reward_model`` names an entry of the section's ``reward_models`` and an on-policy objective."""
    for name, method in section["methods"].items():
        proxy = method.get("reward_model")
        if proxy is None:
            continue
        if proxy not in section.get("reward_models", {}):
            raise ConfigError(f"{where}.methods.{name}.reward_model = {proxy!r} is not a key of {where}.reward_models "
                              f"({sorted(section.get('reward_models', {}))}); add it there")
        if method["objective"] not in ("rlhf", "recovery_rl", "h_deep"):
            raise ConfigError(f"{where}.methods.{name}: reward_model needs an on-policy objective (rlhf, recovery_rl, "
                              f"h_deep), not {method['objective']}; remove it or change the objective")


def check_h_deep(method: dict, where: str) -> None:
    """Young's deep objective weighs KL by 1 and harm by λ = 1/β: it needs hp.beta > 0."""
    if method["objective"] == "h_deep" and not method["hp"].get("beta", 0) > 0:
        raise ConfigError(f"{where}: objective h_deep needs hp.beta > 0 (its harm weight is lambda = 1/beta); set it")


def check_synthetic_config(synthetic: dict, automaton: dict) -> None:
    """Cross-key checks of the synthetic track (config.synthetic)."""
    T = automaton["T"]
    model = synthetic["model"]
    if model["n_embd"] % model["n_head"]:
        raise ConfigError(f"synthetic.model.n_embd = {model['n_embd']} is not divisible by n_head = {model['n_head']}; change one")
    if max(synthetic["evaluation"]["prefill_ks"]) > T - 2:
        raise ConfigError(
            f"synthetic.evaluation.prefill_ks = {synthetic['evaluation']['prefill_ks']} must be <= exact.automaton.T - 2 = {T - 2}; "
            "lower the largest k"
        )
    shared = synthetic.get("shared_parameters", {})
    if shared.get("K", 2) > T - 1:
        raise ConfigError(f"synthetic.shared_parameters.K = {shared['K']} must be at most exact.automaton.T - 1 = {T - 1} "
                          "(positions past K must exist); lower it")
    needs = {"recovery": ("mu", "gamma"), "recovery_rl": ("mu", "gamma"), "h_deep": ("mu", "gamma")}
    check_reward_models(synthetic, "synthetic")
    for name, method in synthetic["methods"].items():
        if name == "base":
            raise ConfigError("synthetic.methods.base: 'base' is reserved for the unaligned model; rename the method")
        missing = [key for key in needs.get(method["objective"], ()) if key not in method]
        if missing:
            raise ConfigError(f"synthetic.methods.{name}: objective {method['objective']} needs {missing}; add them")
        check_h_deep(method, f"synthetic.methods.{name}")
        if method.get("m", automaton["m"]) > T - 1:
            raise ConfigError(f"synthetic.methods.{name}.m = {method['m']} exceeds exact.automaton.T - 1 = {T - 1}; lower it")

        hp = method["hp"]
        if "max_steps" not in hp or not 0 < hp.get("save_steps", hp["max_steps"]) <= hp["max_steps"]:
            raise ConfigError(
                f"synthetic.methods.{name}.hp needs max_steps, and save_steps (default max_steps) with "
                f"0 < save_steps <= max_steps (got {hp.get('max_steps')}, {hp.get('save_steps')}): each checkpoint "
                "is a point of the run's harm–KL frontier; set them"
            )
