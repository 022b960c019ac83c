"""Summary intervals over seeds respect the range of the metric and keep their coverage (evaluate/summary.py)."""

import numpy as np
import pandas as pd

from harmhorizon.evaluate.summary import summarise


def test_rate_intervals_stay_in_range_and_lose_no_coverage_to_the_clipping():
    """Three seeds of a harm rate near 0 (per-seed rates Binomial(200, p)/200 around a seed-level p): the
    interval never leaves [0, 1], and holds the mean rate exactly as often as the unclipped Student-t interval
    (clipping at a bound the truth cannot cross costs no coverage)."""
    from harmhorizon.intervals import t_interval

    rng = np.random.default_rng(7)
    truth, inside, rows = 0.02, 0, []
    for method in range(1000):
        p = np.clip(rng.normal(truth, 0.015, size=3), 0, 1)
        rates = rng.binomial(200, p) / 200
        rows += [{"method": f"m{method}", "seed": s, "harm_rate": r} for s, r in enumerate(rates)]
    summary = summarise(pd.DataFrame(rows), ["harm_rate"])
    assert (summary.ci_low >= 0).all() and (summary.ci_high <= 1).all()
    expected = np.clip(rng.normal(truth, 0.015, size=200000), 0, 1).mean()
    inside = ((summary.ci_low <= expected) & (expected <= summary.ci_high)).to_numpy()
    plain = np.array([(lambda m, lo, hi, n: lo <= expected <= hi)(*t_interval([r["harm_rate"] for r in rows[3 * i: 3 * i + 3]]))
                      for i in range(1000)])
    assert (summary.ci_low > 0).any() and (summary.ci_low == 0).any()  # both cases occur
    assert (inside == plain).all()
