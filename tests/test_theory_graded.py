"""E3b, graded harm (theory/experiments.py::graded_harm_tables): the exact core with a terminal harm other than 1{j ≥ m}."""

import numpy as np
import pytest

from harmhorizon.theory.automaton import (
    Automaton,
    base_policy,
    expected_harm,
    graded_harm,
    harm_information,
    random_tabular_policy,
)
from harmhorizon.theory.experiments import graded_harm_tables, graded_verdicts, with_m
from harmhorizon.theory.gibbs import Objective, optimal_policy


def test_the_default_terminal_is_the_threshold_harm():
    policy = base_policy(Automaton())
    m = policy.m
    threshold = np.zeros(m + 1)
    threshold[m] = 1.0
    assert np.array_equal(harm_information(policy), harm_information(policy, threshold))
    assert expected_harm(policy) == expected_harm(policy, threshold)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_harm_information_sums_to_the_variance_of_graded_harm(seed):
    """P3 for any terminal harm: Σ_t I_t = Var(h) = E[h²] − E[h]² (E[h²] from the squared terminal)."""
    automaton = with_m(Automaton(T=10), 9)
    policy = random_tabular_policy(automaton, np.random.default_rng(seed))
    h = graded_harm(9)
    variance = expected_harm(policy, h**2) - expected_harm(policy, h) ** 2
    assert harm_information(policy, h).sum() == pytest.approx(variance, abs=1e-14)


def test_the_graded_optimum_lowers_graded_harm_and_differs_from_the_threshold_optimum():
    base = base_policy(with_m(Automaton(T=10), 9))
    h = graded_harm(9)
    harms = [expected_harm(optimal_policy(base, Objective(beta), h)[0], h) for beta in (0.1, 1.0, 10.0)]
    assert harms[0] < harms[1] < harms[2] < expected_harm(base, h)
    assert not np.allclose(optimal_policy(base, Objective(1.0), h)[0].next_probs[1:],
                           optimal_policy(base, Objective(1.0))[0].next_probs[1:])


def test_graded_tables_and_verdicts_at_the_default_automaton():
    information, optima = graded_harm_tables(Automaton(), [0.1, 1.0, 100.0], 0.05)
    assert set(information.harm) == {"threshold", "graded"} and set(optima.harm) == {"threshold", "graded"}
    verdicts = graded_verdicts(optima, 1e-9)
    assert len(verdicts) == 12 and set(verdicts.verdict) <= {"confirmed", "refuted"}
    threshold = optima[optima.harm == "threshold"]
    assert (threshold.recovery_shift_max_abs <= 1e-12).all()   # P4(a): decided prefixes untouched


def test_graded_verdicts_can_refute():
    _, optima = graded_harm_tables(Automaton(), [1.0], 0.05)
    swapped = optima.assign(harm=optima.harm.map({"threshold": "graded", "graded": "threshold"}))
    assert (graded_verdicts(swapped, 1e-9).verdict == "refuted").all()
