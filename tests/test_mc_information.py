"""The Monte Carlo I_t estimator's statistic and interval (evaluate/harm_information.py) and its coverage
simulation on the exact automaton (theory/mc_coverage.py)."""

import numpy as np
import pytest

from harmhorizon.evaluate.harm_information import MIN_UNDECIDED, information_blocks, undecided_bound
from harmhorizon.theory.automaton import Automaton, base_policy, harm_information
from harmhorizon.theory.mc_coverage import mc_information_coverage, simulated_estimates


def test_undecided_bound_is_a_quarter_of_the_clopper_pearson_upper_limit():
    # u = 0 of n: the upper 97.5% limit solves (1 − p)^n = 0.025.
    assert undecided_bound(0, 100) == pytest.approx(0.25 * (1 - 0.025 ** (1 / 100)), rel=1e-9)
    assert undecided_bound(100, 100) == 0.25
    assert undecided_bound(3, 100) < undecided_bound(6, 100)


def test_blocks_without_undecided_sequences_get_the_bound_not_a_collapsed_interval():
    """All sequences decided at a: D = 0 everywhere and the t-interval is [0, 0]; the interval is [0, ¼ CP⁺(0, N)]."""
    N = 50
    H = np.tile([0.5, 1.0, 1.0], (N, 1))
    V = np.zeros_like(H)
    undecided = np.zeros_like(H, dtype=bool)
    undecided[:, 0] = True
    table = information_blocks(H, V, undecided, [0, 1, 2])
    late = table.iloc[1]
    assert late.harm_information == 0 and late.t_ci_low == late.t_ci_high == 0
    assert late.interval == "undecided_bound" and late.n_undecided == 0
    assert late.ci_low == 0 and late.ci_high == pytest.approx(undecided_bound(0, N))
    # The first block rests on N < MIN_UNDECIDED undecided sequences as well.
    assert N < MIN_UNDECIDED and table.iloc[0].interval == "undecided_bound"


def test_simulated_estimates_are_decided_past_the_end_and_unbiased():
    automaton = Automaton(T=8, m=2)
    rng = np.random.default_rng(0)
    H, V, undecided = simulated_estimates(automaton, 20000, 4, rng)
    assert (V[~undecided] == 0).all() and np.isin(H[:, -1], [0.0, 1.0]).all() and not undecided[:, -1].any()
    D = (np.diff(H, axis=1) ** 2) - V[:, :-1] - V[:, 1:]
    exact = harm_information(base_policy(automaton))[1:]
    se = D.std(axis=0, ddof=1) / np.sqrt(len(D))
    assert np.all(np.abs(D.mean(axis=0) - exact) <= 5 * se + 1e-12)


def test_coverage_is_nominal_with_enough_sequences_and_low_with_the_plain_t_interval_on_few():
    """The interval holds the exact I_t at ≈ 95% at every position with 2000 sequences; with 64 the plain
    t-interval misses late positions far more often than 5% (what the bound repairs)."""
    automaton = Automaton()
    table = mc_information_coverage(automaton, [{"n_sequences": 2000, "n_rollouts": 8},
                                                {"n_sequences": 64, "n_rollouts": 8}], 120, seed=4)
    big, small = table[table.n_sequences == 2000], table[table.n_sequences == 64]
    # Pooled over positions (1200 intervals) the coverage is nominal; no position is far below it (5 SE at 120).
    assert 0.93 <= big.coverage.mean() <= 0.99
    assert big.coverage.min() >= 0.85
    assert small.t_coverage.min() < 0.8 and (small.coverage_ci_high >= 0.95).all()
    assert np.allclose(big.exact, harm_information(base_policy(automaton))[1:])
