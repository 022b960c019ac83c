"""P1 and P2 (docs/theory.md §2): three routes to ∇E[h] agree to machine precision; zero past the horizon."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harmhorizon.theory.automaton import (
    Automaton,
    base_policy,
    decided_states,
    expected_harm,
    harm_values,
    reach_probabilities,
    softmax_policy,
)
from harmhorizon.theory.gradients import (
    autograd_gradient,
    closed_form_gradient,
    covariance_gradient,
    expected_harm_torch,
    gradient_norm_by_position,
    harm_score_gradient,
    max_abs_difference,
    neural_gradient_check,
    random_logits,
)

EXACT = 1e-12


@settings(max_examples=25, deadline=None)
@given(T=st.integers(2, 20), m=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_forward_dp_matches_backward_dp(T, m, seed):
    logits = random_logits(Automaton(T=T, m=m), np.random.default_rng(seed))
    policy = softmax_policy(*logits)
    forward = expected_harm_torch(torch.tensor(logits[0]), torch.softmax(torch.tensor(logits[1]), -1), m)
    assert float(forward) == pytest.approx(expected_harm(policy), abs=EXACT)


@settings(max_examples=25, deadline=None)
@given(T=st.integers(2, 20), m=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_p1_p2_three_routes_agree(T, m, seed):
    logits = random_logits(Automaton(T=T, m=m), np.random.default_rng(seed))
    policy = softmax_policy(*logits)
    auto = autograd_gradient(logits, m)
    assert max_abs_difference(auto, covariance_gradient(policy)) < EXACT
    assert max_abs_difference(auto, closed_form_gradient(policy)) < EXACT
    assert max_abs_difference(auto, harm_score_gradient(policy)) < EXACT


def test_gradient_is_zero_exactly_past_the_horizon_and_not_before():
    automaton = Automaton(T=12, m=3)
    logits = random_logits(automaton, np.random.default_rng(5))
    _, grad = autograd_gradient(logits, automaton.m)
    policy = softmax_policy(*logits)
    decided = decided_states(policy)
    assert np.abs(grad[decided]).max() < 1e-15
    reach = reach_probabilities(policy)[: automaton.T]
    live = ~decided & (reach > 0)
    live[0] = False
    # per unit of reach probability (P2), every live undecided prefix gets a non-zero gradient
    assert (np.abs(grad[live]).max(axis=-1) / reach[live]).min() > 1e-8


def test_neural_policy_gradient_is_the_sum_of_per_position_covariances():
    result = neural_gradient_check(Automaton(T=10, m=2), seed=3)
    assert result["neural_autograd_vs_covariance_sum"] < 1e-12
    assert max(result["neural_gradient_norm_by_position"]) > 1e-4  # the check is not vacuous


def test_gradient_norm_profile_decays_for_small_m():
    norms = gradient_norm_by_position(base_policy(Automaton(m=1)))
    assert norms[1] > 100 * norms[-1] > 0


def test_monte_carlo_covariance_estimator_is_unbiased_and_lower_variance():
    """E1 by Monte Carlo: the exact directional derivative lies within ~N(0,1) z-scores of the estimate."""
    from harmhorizon.theory.gradients import monte_carlo_gradient_check

    result = monte_carlo_gradient_check(Automaton(T=12, m=2), seed=0, n_samples=20000, n_directions=8)
    assert result["mc_gradient_max_abs_z"] < 4.0
    assert result["mc_gradient_fraction_in_ci"] >= 0.75
    assert result["mc_reinforce_over_covariance_variance"] > 1.0


def test_monte_carlo_check_detects_a_biased_estimator():
    """The z-score check can fail: a wrong target (the gradient scaled by 1.5) is flagged."""
    from harmhorizon.theory import gradients

    original = gradients.expected_harm_torch
    try:
        gradients.expected_harm_torch = lambda *args: 1.5 * original(*args)
        result = gradients.monte_carlo_gradient_check(Automaton(T=12, m=2), seed=0, n_samples=20000, n_directions=8)
    finally:
        gradients.expected_harm_torch = original
    assert result["mc_gradient_max_abs_z"] > 4.0
