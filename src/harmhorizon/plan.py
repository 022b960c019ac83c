"""Which runs a config asks for, in either environment (pure functions; used by workflow/rules/runs.smk).

A track's config section (``synthetic`` or ``real``) has ``seeds`` and ``methods``; a method may set its
own ``seeds``.  The base (the reference model, unaligned) is evaluated at every seed of the track.
"""

from __future__ import annotations


def seeds_of(track: dict, method: str) -> list[int]:
    """The seeds of one method (the base uses the track's ``seeds``)."""
    if method == "base":
        return list(track["seeds"])
    return list(track["methods"][method].get("seeds", track["seeds"]))


def runs(track: dict, objective: str | None = None, include_base: bool = False) -> list[tuple[str, int]]:
    """(method, seed) of every alignment run (of one objective), honouring a method's own ``seeds``."""
    out = [("base", seed) for seed in track["seeds"]] if include_base else []
    return out + [(name, seed) for name, method in track["methods"].items()
                  if objective is None or method["objective"] == objective for seed in seeds_of(track, name)]


def paper_model(config: dict, env: str) -> str:
    """The model of an environment whose results the paper shows: results/<env>/<model>/.

    The automaton environment has one model per config, named by its size (gpt2-<layers>x<width>), so
    that configs of different sizes never share checkpoints; a chat model is ``real.paper_model``.
    """
    if env == "synthetic":
        model = config["synthetic"]["model"]
        return f"gpt2-{model['n_layer']}x{model['n_embd']}"
    return config["real"]["paper_model"]
