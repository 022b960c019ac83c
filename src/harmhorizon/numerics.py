"""Numerics that do not depend on scheduling (docs/architecture.md, "Determinism").

A float32 reduction depends on how it is split across threads: the same base model trained with one
and with two intra-op threads differs in its last bits, and every later number inherits the
difference. So the thread count of a torch computation is part of its result. It comes from the
config key ``torch_threads``, never from ``--cores`` (Snakemake lowers a rule's ``threads`` to the
cores it was given) or from how many jobs run at once. Seeds come from the config and the job's own
identity (method, seed), never from the order in which jobs run.
"""

from __future__ import annotations


def fix_torch_threads(n_threads: int) -> None:
    """Set torch's intra-op thread count to ``n_threads`` (config ``torch_threads``) for this process."""
    import torch

    if int(n_threads) < 1:
        raise ValueError(f"torch_threads must be >= 1, got {n_threads!r}; set config key torch_threads")
    torch.set_num_threads(int(n_threads))
