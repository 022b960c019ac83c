"""Which synthetic runs a config asks for (used by workflow/rules/synthetic.smk; pure functions)."""

from __future__ import annotations


def runs(synthetic: dict, objective: str | None = None) -> list[tuple[str, int]]:
    """(method, seed) of every alignment run (of one objective), honouring a method's own ``seeds``."""
    return [(name, seed) for name, method in synthetic["methods"].items() if objective is None or method["objective"] == objective
            for seed in method.get("seeds", synthetic["seeds"])]


def method_pattern(synthetic: dict, objective: str) -> str:
    """A wildcard regex matching exactly the method names of one objective."""
    names = [name for name, method in synthetic["methods"].items() if method["objective"] == objective]
    return "|".join(names) if names else "^$"


def run_dirs(synthetic: dict, work_dir: str) -> list[str]:
    """One folder per method (and the base), holding ``seed<s>/{kl,prefill,grad}.csv`` and ``metrics.json``."""
    return [f"{work_dir}/runs/base"] + [f"{work_dir}/runs/{name}" for name, method in synthetic["methods"].items()
                                        if method.get("seeds", synthetic["seeds"])]


def seeds_of(synthetic: dict, method: str) -> list[int]:
    """The seeds of one method (the base uses ``synthetic.seeds``)."""
    if method == "base":
        return list(synthetic["seeds"])
    return list(synthetic["methods"][method].get("seeds", synthetic["seeds"]))
