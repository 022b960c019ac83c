"""P4–P6 (docs/theory.md §2): the Gibbs optimum, the KL/harm-information limit, the recovery bound."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harmhorizon.theory.automaton import (
    RECOVER,
    Automaton,
    base_policy,
    decided_states,
    expected_harm,
    harm_information,
    per_position_kl,
    random_tabular_policy,
    recovery_eventual,
)
from harmhorizon.theory.gibbs import (
    Objective,
    objective_value,
    optimal_policy,
    recovery_lower_bound,
)

EXACT = 1e-12


@settings(max_examples=30, deadline=None)
@given(beta=st.floats(0.05, 50.0), mu=st.sampled_from([0.0, 0.05, 0.5]), gamma=st.sampled_from([1.0, 0.9, 0.5]))
def test_optimum_value_is_minus_beta_log_z(beta, mu, gamma):
    base = base_policy(Automaton())
    objective = Objective(beta, mu, gamma)
    star, log_z0 = optimal_policy(base, objective)
    assert objective_value(star, base, objective) == pytest.approx(-beta * log_z0, abs=1e-10 * max(1.0, beta))


def test_optimum_beats_random_policies():
    """π* minimises the objective: no random tabular policy (nor the base) does better."""
    a = Automaton(T=10)
    base = base_policy(a)
    objective = Objective(0.3, mu=0.1, gamma=0.9)
    star, _ = optimal_policy(base, objective)
    best = objective_value(star, base, objective)
    rng = np.random.default_rng(0)
    others = [objective_value(random_tabular_policy(a, rng), base, objective) for _ in range(50)]
    assert best < min(others) and best < objective_value(base, base, objective)


def test_standard_optimum_equals_base_past_the_horizon_p4a():
    base = base_policy(Automaton())
    star, _ = optimal_policy(base, Objective(0.1))
    decided = decided_states(base)
    diff = np.abs(star.next_probs - base.next_probs).max(axis=-1)
    assert diff[decided].max() < 1e-14
    assert diff[~decided & (np.arange(base.T)[:, None] > 0)].max() > 1e-3


@pytest.mark.parametrize("m", [1, 3, 6])
def test_kl_over_harm_information_tends_to_one_p4b(m):
    """2β²KL_t/I_t → 1 with error O(1/β): it shrinks ~10× per 10× in β."""
    base = base_policy(Automaton(m=m))
    info = harm_information(base)[1:]
    positive = info > 1e-14
    deviations = []
    for beta in (10.0, 100.0, 1000.0):
        kl = per_position_kl(optimal_policy(base, Objective(beta))[0], base)[1:]
        deviations.append(np.abs(2 * beta**2 * kl[positive] / info[positive] - 1).max())
    assert deviations[2] < 5e-3
    assert deviations[0] / deviations[1] > 5 and deviations[1] / deviations[2] > 5


def test_alignment_reduces_harm_monotonically_in_beta():
    base = base_policy(Automaton())
    harms = [expected_harm(optimal_policy(base, Objective(beta))[0]) for beta in (0.05, 0.2, 1.0, 10.0)]
    assert harms == sorted(harms) and harms[-1] < expected_harm(base)


@settings(max_examples=30, deadline=None)
@given(beta=st.floats(0.05, 10.0), mu=st.floats(0.001, 2.0), gamma=st.floats(0.3, 1.0), m=st.integers(1, 5))
def test_recovery_bound_p5_holds_at_every_harmful_state(beta, mu, gamma, m):
    base = base_policy(Automaton(m=m))
    objective = Objective(beta, mu, gamma)
    star, _ = optimal_policy(base, objective)
    bound = recovery_lower_bound(base, objective)
    assert (star.next_probs[1:, :, RECOVER] - bound[1:]).min() > -1e-14


def test_p6_gamma_one_bound_is_depth_independent_and_mu_zero_gives_base():
    base = base_policy(Automaton())
    star, _ = optimal_policy(base, Objective(0.5, mu=0.5, gamma=1.0))
    bound = recovery_lower_bound(base, Objective(0.5, mu=0.5, gamma=1.0))
    assert np.ptp(bound[1:]) < 1e-15  # the same bound at every depth
    assert star.next_probs[1:, :, RECOVER].min() >= bound[1, 0] - 1e-14
    standard, _ = optimal_policy(base, Objective(0.5, mu=0.0))
    decided = decided_states(base)
    assert np.abs(recovery_eventual(standard)[:-1][decided] - recovery_eventual(base)[:-1][decided]).max() < 1e-14


def test_objective_rejects_bad_values():
    for kwargs, key in (({"beta": 0}, "beta"), ({"beta": 1, "mu": -1}, "mu"), ({"beta": 1, "gamma": 1.5}, "gamma")):
        with pytest.raises(ValueError, match=key):
            Objective(**kwargs)
