"""The methods table of a track: every aligned method of its config, one row each (docs/architecture.md, "Methods")."""

from __future__ import annotations

import pandas as pd

from .latex import METHOD_COLUMN, booktabs_table, fmt, method_cell, texttt

# The settings that set a method apart, as (config key, symbol); others are listed by name (methods_table).
METHOD_SETTINGS = (("beta", r"\beta"), ("mu", r"\mu"), ("gamma", r"\gamma"), ("m", "m"), ("alpha", r"\alpha"))
TRACK_NAMES = {"synthetic": "the synthetic track", "real": "the chat model"}


def compact_rate(rate) -> str:
    """A learning rate as short LaTeX: 3e-4 → $3\\cdot10^{-4}$, 0.001 → $10^{-3}$; -- when unset."""
    if rate is None:
        return "--"
    mantissa, exponent = f"{float(rate):.1e}".split("e")
    mantissa = mantissa.removesuffix(".0")
    factor = "" if mantissa == "1" else mantissa + r"\cdot "
    return f"${factor}10^{{{int(exponent)}}}$"


def method_settings(spec: dict) -> str:
    """What sets one method apart: KL weight β, penalty weight μ and discount γ, the penalty's form and recovery
    set, the harm's threshold m, a learned harm model r̂, circuit breakers' α and layers."""
    hp = {**spec.get("hp", {}), **{k: v for k, v in spec.items() if k != "hp"}}
    settings = [f"${symbol}={fmt(hp[key])}$" for key, symbol in METHOD_SETTINGS if key in hp]
    if spec.get("form"):
        settings.append(f"{spec['form']} form")
    if spec.get("recovery_set"):
        settings.append(f"$R$: {spec['recovery_set'].replace('_', ' ')}")
    if spec.get("reward_model"):
        settings.append(rf"$\hat r$: {spec['reward_model'].removeprefix('rm_').replace('_', ' ')}")
    if spec.get("layers"):
        settings.append("layers " + ", ".join(fmt(layer) for layer in spec["layers"]))
    return ", ".join(settings) or "--"


def methods_table(methods: dict, seeds, track: str) -> str:
    """Every aligned method of ``track`` (a config section: synthetic or real): its family and trl trainer
    (methods/registry.py), learning rate, optimiser steps, the settings that set it apart (`method_settings`) and its
    seeds."""
    from ..methods.registry import family_of, objective_of

    rows = []
    for name, spec in methods.items():
        rows.append({"method": method_cell(name, track), "family": family_of(spec),
                     "trainer": texttt(objective_of(spec).trainer_cls.__name__),
                     "lr": compact_rate(spec["hp"].get("learning_rate")),
                     "steps": fmt(int(spec["hp"]["max_steps"])), "settings": method_settings(spec),
                     "seeds": fmt(len(spec.get("seeds", seeds)))})
    return booktabs_table(pd.DataFrame(rows), caption=rf"The aligned methods of {TRACK_NAMES[track]}: family, TRL "
                          r"trainer (a subclass where the objective is ours), learning rate, optimiser steps, the "
                          r"settings that set each apart, and seeds. Every other setting is the configuration's default.",
                          label=f"tab:{track}-methods",
                          column_format=METHOD_COLUMN + r"llrr>{\raggedright\arraybackslash}p{3.1cm}r",
                          size="small", tabcolsep_pt=4)
