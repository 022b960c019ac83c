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
