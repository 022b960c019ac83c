"""The rank-assisted prefill (Vega & Singh 2025; evaluate.prefill): the choice rule by hand, the cached forward
against a full one, and the attack's prefixes against the rule step by step."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from harmhorizon.evaluate.prefill import IncrementalForward, rank_assisted_choice, rank_assisted_prefill


def _tiny_gpt2(vocab_size=9):
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab_size, n_positions=32, n_embd=8, n_layer=1, n_head=2,
                                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)).eval()


def test_the_choice_takes_the_best_scored_token_inside_the_top_k():
    logits = torch.tensor([[5.0, 4.0, 3.0, 2.0], [5.0, 4.0, 3.0, 2.0], [5.0, 4.0, 3.0, 2.0]])
    scores = torch.tensor([[-torch.inf, 1.0, 2.0, 9.0],       # 9 is ranked 4th: outside the top 3
                           [1.0, 2.0, 2.0, -torch.inf],        # tie between ranks 2 and 3: the more probable wins
                           [-torch.inf, -torch.inf, -torch.inf, 1.0]])  # nothing allowed inside: the best outside
    token, inside = rank_assisted_choice(logits, scores, top_k=3)
    assert token.tolist() == [2, 1, 3] and inside.tolist() == [True, True, False]
    with pytest.raises(ValueError, match="no token"):
        rank_assisted_choice(logits[:1], torch.full((1, 4), -torch.inf), top_k=2)


def test_the_cached_forward_matches_a_full_forward_on_left_padded_rows():
    model = _tiny_gpt2()
    rows = [[1, 2, 3], [4]]
    forward = IncrementalForward(model, rows, pad_id=0)
    appended = forward.append(torch.tensor([5, 6]))
    for b, row in enumerate(rows):
        full = model(torch.tensor([row + [[5, 6][b]]])).logits[0, -1]
        assert torch.allclose(appended[b], full, atol=1e-5)


def test_each_prefill_token_follows_the_rule_against_the_model_at_that_prefix():
    model = _tiny_gpt2()
    scores = torch.full((9,), -torch.inf)
    scores[torch.tensor([2, 3])] = torch.tensor([2.0, 1.0])  # "harm" 2 over "filler" 3; nothing else allowed
    rows = [[1], [4, 5]]
    tokens, inside = rank_assisted_prefill(model, rows, length=6, top_k=4, scorer=lambda _: scores.expand(2, -1), pad_id=0)
    assert inside.shape == (2, 6)
    for row, chosen, within in zip(rows, tokens, inside):
        for step, token in enumerate(chosen):
            logits = model(torch.tensor([row + chosen[:step]])).logits[0, -1]
            top = logits.topk(4).indices.tolist()
            allowed = [t for t in top if torch.isfinite(scores[t])]
            assert within[step] == bool(allowed)
            expected = max(allowed, key=lambda t: (scores[t], logits[t])) if allowed else 2
            assert token == expected
