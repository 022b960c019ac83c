"""95% intervals over seeds or sequences, and the verdict rules that read them (shared by every track).

- `t_interval`: Student-t interval of a mean; `t_intervals` the same from per-row moments (vectorised).
- `wald_interval`: normal-approximation interval of a proportion; `clopper_pearson` its exact interval.
- `welch_difference`: Welch t-interval of a difference of two means.
- `one_sided_verdict`, `equivalence_verdict`: confirmed / refuted / inconclusive from an interval.
- `one_sided_p`, `welch_one_sided_p`: one-sided t-test p-values of a mean (or a difference of means) against a
  threshold, the tests whose Holm-adjusted p-values decide pre-registered verdicts.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def _stats():
    """scipy.stats, imported on first use: it takes half a second, and most jobs that import this module never
    compute an interval."""
    from scipy import stats

    return stats


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n): Student-t interval of the mean of the finite values; the bounds are NaN when n < 2."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(values.mean())
    if n < 2:
        return mean, np.nan, np.nan, n
    half = float(_stats().t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def t_intervals(mean, sd, n, confidence: float = 0.95):
    """(low, high) arrays: Student-t intervals of means from their sample SDs and sizes (SD NaN counts as 0)."""
    mean, sd, n = (np.asarray(x, dtype=float) for x in (mean, sd, n))
    half = _stats().t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)) * np.nan_to_num(sd) / np.sqrt(n)
    return mean - half, mean + half


def wald_interval(values, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(p, low, high, n): the normal-approximation interval p ± z √(p(1 − p)/n) of the mean of 0/1 values."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    p = float(values.mean())
    half = float(_stats().norm.ppf(0.5 + confidence / 2) * (p * (1 - p) / n) ** 0.5)
    return p, p - half, p + half, n


def clopper_pearson(k, n, confidence: float = 0.95):
    """(low, high) arrays: exact (Clopper–Pearson) intervals of proportions from k successes in n trials."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    a = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k <= 0, 0.0, _stats().beta.ppf(a, np.maximum(k, 1), n - k + 1))
        high = np.where(k >= n, 1.0, _stats().beta.ppf(1 - a, k + 1, np.maximum(n - k, 1)))
    return low, high


def welch_difference(a, b, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean(a) − mean(b), low, high, min n): Welch t-interval of a difference of means; NaN bounds if n < 2."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return np.nan, np.nan, np.nan, 0
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return diff, np.nan, np.nan, min(len(a), len(b))
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return diff, diff, diff, min(len(a), len(b))
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(_stats().t.ppf(0.5 + confidence / 2, dof) * np.sqrt(va + vb))
    return diff, diff - half, diff + half, min(len(a), len(b))


def one_sided_verdict(low, high, threshold, confirm_below: bool) -> str:
    """confirmed if the interval lies on the predicted side of ``threshold``, refuted if wholly on the other."""
    if not np.isfinite(low) or not np.isfinite(high):
        return "inconclusive"
    if confirm_below:
        return "confirmed" if high <= threshold else "refuted" if low > threshold else "inconclusive"
    return "confirmed" if low > threshold else "refuted" if high < threshold else "inconclusive"


def equivalence_verdict(low, high, margin) -> str:
    """confirmed if the interval lies inside (-margin, margin), refuted if it lies wholly outside it."""
    if not np.isfinite(low) or not np.isfinite(high):
        return "inconclusive"
    if -margin < low and high < margin:
        return "confirmed"
    return "refuted" if low >= margin or high <= -margin else "inconclusive"


def one_sided_p(values, threshold: float, above: bool) -> float:
    """p-value of the one-sided t-test of H0: mean ≤ threshold (``above``) or mean ≥ threshold; NaN if n < 2.
    Values that do not vary give 0 or 1 (the mean is then known exactly)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return np.nan
    sign = 1.0 if above else -1.0
    se = values.std(ddof=1) / np.sqrt(len(values))
    if se == 0:
        return 0.0 if sign * (values.mean() - threshold) > 0 else 1.0
    return float(_stats().t.sf(sign * (values.mean() - threshold) / se, len(values) - 1))


def welch_one_sided_p(a, b, threshold: float, above: bool) -> float:
    """p-value of the one-sided Welch test of H0: mean(a) − mean(b) ≤ threshold (``above``), or ≥; NaN if n < 2."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return np.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    sign = 1.0 if above else -1.0
    diff = a.mean() - b.mean() - threshold
    if va + vb == 0:
        return 0.0 if sign * diff > 0 else 1.0
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(_stats().t.sf(sign * diff / np.sqrt(va + vb), dof))
