"""The recovery penalty (docs/theory.md §4.2) against a value computed by hand."""

import math

import pytest
import torch

from harmhorizon.align.losses import recovery_penalty


def test_recovery_penalty_linear_and_log_by_hand():
    # One sequence, three logits rows over a 3-token vocabulary; token 2 is RECOVER.
    logits = torch.tensor([[[0.0, 0.0, 0.0], [math.log(3.0), 0.0, 0.0], [0.0, 0.0, math.log(2.0)]]])
    mask = torch.tensor([[False, True, True]])
    positions = torch.tensor([[1, 2, 3]])
    gamma = 0.5
    # p(R) at rows 1 and 2: 1/5 and 2/4.
    expected_linear = gamma**2 * (1 - 1 / 5) + gamma**3 * (1 - 1 / 2)
    expected_log = gamma**2 * -math.log(1 / 5) + gamma**3 * -math.log(1 / 2)
    assert recovery_penalty(logits, [2], mask, positions, gamma).item() == pytest.approx(expected_linear, rel=1e-6)
    assert recovery_penalty(logits, [2], mask, positions, gamma, "log").item() == pytest.approx(expected_log, rel=1e-6)


def test_recovery_penalty_sums_a_recovery_group_and_averages_sequences():
    logits = torch.zeros((2, 1, 4))
    mask = torch.tensor([[True], [False]])
    value = recovery_penalty(logits, [2, 3], mask, torch.ones((2, 1), dtype=torch.long), 1.0)
    assert value.item() == pytest.approx(0.5 * (1 - 0.5))
    with pytest.raises(ValueError, match="linear"):
        recovery_penalty(logits, [2], mask, torch.ones((2, 1)), 1.0, "square")
