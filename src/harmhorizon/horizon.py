"""The ε-horizon of a harm-information profile (docs/theory.md §1.3), exact or estimated on a grid.

t_ε = min{t : Σ_{s>t} I_s ≤ ε Σ_s I_s}.  On a grid, I is known as block sums over (a, b]; the horizon is
then the first block end b (or 0) whose tail is within ε of the total.  One function serves the exact
profile (blocks of one position) and the Monte Carlo one.
"""

from __future__ import annotations

import numpy as np


def epsilon_horizon(ends, information, epsilon: float) -> float:
    """t_ε from block ends b_1 < … < b_n and the information of each block (negative estimates count as 0).

    NaN when the total is not positive (no harm is decided anywhere).  A relative tolerance of 1e-15
    keeps exact profiles whose tail equals ε · total from missing by a rounding error.
    """
    values = np.clip(np.asarray(information, dtype=float), 0, None)
    total = values.sum()
    if not total > 0:
        return float("nan")
    tails = np.concatenate([[total], total - np.cumsum(values)])
    candidates = np.concatenate([[0], np.asarray(ends, dtype=float)])
    return float(candidates[np.argmax(tails <= epsilon * total + 1e-15 * total)])
