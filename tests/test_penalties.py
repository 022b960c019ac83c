"""The recovery penalty (docs/theory.md §4.2) against a value computed by hand."""

import math

import pytest
import torch

from harmhorizon.methods.penalties import PhraseRecoveryPenalty, recovery_penalty


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


class _FixedLogits(torch.nn.Module):
    """A "model" whose next-token distribution after position i is row i of a fixed table."""

    def __init__(self, logits):
        super().__init__()
        self.table = torch.nn.Parameter(logits)

    def forward(self, input_ids, attention_mask=None):
        return type("Out", (), {"logits": self.table[None].expand(len(input_ids), -1, -1)})()


def test_phrase_penalty_scores_every_token_of_the_phrase_and_nothing_after_it():
    # Row: prompt token 0, prefix token 1, phrase (2, 3), then padding (0). The logit at index i predicts
    # token i + 1, so log π(R) = log π(2 | idx 1) + log π(3 | idx 2); index 3 (predicting the pad) must not count.
    probs = torch.tensor([[0.25] * 4, [0.1, 0.1, 0.5, 0.3], [0.1, 0.1, 0.2, 0.6], [0.7, 0.1, 0.1, 0.1], [0.25] * 4])
    model = _FixedLogits(probs.log())
    ids = torch.tensor([[0, 1, 2, 3, 0]])
    hook = PhraseRecoveryPenalty(ids, torch.tensor([[1, 1, 1, 1, 0]]), torch.tensor([[0, 0, 1, 1, 0]]), torch.tensor([2]))
    gamma = 0.5
    log_phrase = math.log(0.5) + math.log(0.6)
    rows = torch.tensor([0])
    assert hook(model, rows, gamma, "log", 0).item() == pytest.approx(gamma**2 * -log_phrase, rel=1e-6)
    assert hook(model, rows, gamma, "linear", 0).item() == pytest.approx(gamma**2 * (1 - math.exp(log_phrase)), rel=1e-6)
