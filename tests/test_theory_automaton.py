"""The exact automaton (docs/theory.md §1, §3): harm rate, martingale, P3, horizons, reach probabilities."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harmhorizon.theory.automaton import (
    EOS,
    FILLER,
    PAYLOAD,
    RECOVER,
    Automaton,
    base_policy,
    decided_states,
    epsilon_horizon,
    expected_harm,
    harm_information,
    harm_values,
    per_position_kl,
    random_tabular_policy,
    reach_probabilities,
    recovery_eventual,
)

EXACT = 1e-12


def brute_force_harm(automaton: Automaton) -> float:
    """P(h = 1) by enumerating the number of continuing tokens and payloads (independent of the DP)."""
    from math import comb

    a = automaton
    total = 0.0
    # The response continues for n tokens after COMPLY (n = 0..T-1), then stops (RECOVER/EOS) or is cut.
    for n in range(a.T):
        stop = (a.r + a.e) if n < a.T - 1 else 1.0
        for j in range(a.m, n + 1):
            total += comb(n, j) * a.q**j * a.filler ** (n - j) * stop
    return a.c * total


def test_default_harm_rate_matches_theory():
    """docs/theory.md §3 gives P(h = 1) = 0.46846839… (truncated digits)."""
    assert 0.46846839 <= expected_harm(base_policy(Automaton())) < 0.46846840


@settings(max_examples=40, deadline=None)
@given(
    T=st.integers(2, 30),
    c=st.floats(0.05, 0.95),
    q=st.floats(0.05, 0.6),
    r=st.floats(0.01, 0.2),
    e=st.floats(0.01, 0.2),
    m=st.integers(1, 5),
)
def test_harm_rate_matches_enumeration(T, c, q, r, e, m):
    automaton = Automaton(T=T, c=c, q=q, r=r, e=e, m=m)
    assert expected_harm(base_policy(automaton)) == pytest.approx(brute_force_harm(automaton), abs=EXACT)


@settings(max_examples=40, deadline=None)
@given(T=st.integers(2, 30), m=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_variance_decomposition_p3_for_random_policies(T, m, seed):
    """P3: Σ_t I_t = Var(h) = p(1 - p) for one prompt, for any policy."""
    policy = random_tabular_policy(Automaton(T=T, m=m), np.random.default_rng(seed))
    p = expected_harm(policy)
    assert harm_information(policy).sum() == pytest.approx(p * (1 - p), abs=EXACT)


def test_martingale_property_of_conditional_harm():
    """E[H_t | y_<t] = H_{t-1}: at every state, Σ_a π(a) Q(a) = V."""
    policy = random_tabular_policy(Automaton(), np.random.default_rng(1))
    V, Q = harm_values(policy)
    assert np.abs((policy.next_probs[1:] * Q[1:]).sum(-1) - V[1 : policy.T]).max() < EXACT


def test_reach_probabilities_conserve_mass():
    """Mass alive at t plus the mass stopped before t equals P(COMPLY)."""
    automaton = Automaton()
    policy = random_tabular_policy(automaton, np.random.default_rng(2))
    reach = reach_probabilities(policy)
    stopped = 0.0
    for t in range(1, automaton.T):
        assert reach[t].sum() + stopped == pytest.approx(policy.p_comply, abs=EXACT)
        stopped += (reach[t] * (policy.next_probs[t, :, RECOVER] + policy.next_probs[t, :, EOS])).sum()


def test_harm_values_at_decided_states_are_constant():
    """Past the horizon H stops moving: Q(s, a) = V(s) for every a at decided states."""
    policy = random_tabular_policy(Automaton(T=10, m=3), np.random.default_rng(3))
    V, Q = harm_values(policy)
    decided = decided_states(policy)
    spread = np.abs(Q - V[: policy.T, :, None]).max(axis=-1)
    assert spread[decided].max() < EXACT
    undecided = ~decided
    undecided[0] = False
    assert spread[undecided].min() > 1e-6  # and it moves everywhere else


def test_epsilon_horizon_definition():
    info = np.array([0.0, 0.5, 0.3, 0.1, 0.05, 0.05])
    assert epsilon_horizon(info, 0.1) == 3  # tail after 3 is 0.1 = 0.1 * total
    assert epsilon_horizon(info, 0.099) == 4
    assert epsilon_horizon(info, 0.5) == 1


def test_horizon_moves_later_with_m():
    automaton = Automaton()
    horizons = [epsilon_horizon(harm_information(base_policy(Automaton(m=m))), 0.05) for m in (1, 2, 3, 4, 6)]
    assert horizons == sorted(horizons) and horizons[0] < horizons[-1]
    assert automaton.m == 3


def test_per_position_kl_is_zero_for_the_reference_and_positive_otherwise():
    base = base_policy(Automaton())
    assert np.abs(per_position_kl(base, base)).max() == 0.0
    other = random_tabular_policy(Automaton(), np.random.default_rng(4))
    assert (per_position_kl(other, base)[1:] > 0).all()


def test_recovery_eventual_base_closed_form():
    """Under π_ref from (t, j): P(RECOVER eventually) = r Σ_{n<T-t} (q + f)^n."""
    a = Automaton()
    U = recovery_eventual(base_policy(a))
    for t in (1, 10, a.T - 1):
        n = np.arange(a.T - t)
        assert U[t, 0] == pytest.approx(a.r * ((a.q + a.filler) ** n).sum(), abs=EXACT)


@pytest.mark.parametrize(
    "kwargs, key",
    [({"q": 0.6, "r": 0.3, "e": 0.2}, "q + r + e"), ({"c": 1.5}, "automaton.c"), ({"T": 1}, "automaton.T"), ({"m": 0}, "automaton.m")],
)
def test_bad_automaton_parameters_are_rejected(kwargs, key):
    with pytest.raises(ValueError, match=key.replace("+", r"\+")):
        Automaton(**kwargs)


def test_token_indices_are_distinct():
    assert len({PAYLOAD, FILLER, RECOVER, EOS}) == 4
