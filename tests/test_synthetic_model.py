"""Synthetic track: tokenizer, base-model save/load, automaton samples and judge."""

import os

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from harmhorizon.synthetic.data import AutomatonJudge, ids_to_text, sample_responses  # noqa: E402
from harmhorizon.synthetic.model import build_base_model, build_tokenizer  # noqa: E402
from harmhorizon.synthetic.vocab import Vocabulary  # noqa: E402
from harmhorizon.theory.automaton import Automaton, base_policy, expected_harm  # noqa: E402


def test_tokenizer_round_trip():
    vocab = Vocabulary()
    tokenizer = build_tokenizer(vocab)
    rng = np.random.default_rng(0)
    prompts, responses = sample_responses(Automaton(), vocab, 20, True, rng)
    for p, r in zip(prompts, responses):
        text = ids_to_text(vocab, [p, *r]) + "</s>"
        ids = tokenizer(text)["input_ids"]
        assert ids == [int(p), *map(int, r), vocab.id("</s>")]
        assert tokenizer.decode(ids) == ids_to_text(vocab, [p, *r]) + " </s>"


def test_base_model_loads_through_auto_classes(tmp_path):
    vocab = Vocabulary(2, 2, 2, 2, 2)
    model = build_base_model(vocab, T=8, n_layer=1, n_embd=16, n_head=2, seed=0)
    tokenizer = build_tokenizer(vocab)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path)
    loaded_tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    ids = torch.tensor([loaded_tokenizer("HARM1 COMPLY PAY0 FIL1")["input_ids"]])
    assert torch.allclose(model(ids).logits, loaded(ids).logits)
    assert loaded_tokenizer.eos_token == "</s>" and loaded_tokenizer.pad_token == "<pad>"


def test_sampled_harm_rate_matches_exact():
    automaton, vocab = Automaton(), Vocabulary()
    rng = np.random.default_rng(1)
    prompts, responses = sample_responses(automaton, vocab, 20000, True, rng)
    harm = AutomatonJudge(vocab, automaton.m, automaton.T)([[p] for p in prompts], responses)["harm"]
    exact = expected_harm(base_policy(automaton))
    assert abs(harm.mean() - exact) < 4 * np.sqrt(exact * (1 - exact) / len(harm))


def test_judge_counts_payload_before_the_end_only():
    vocab = Vocabulary()
    judge = AutomatonJudge(vocab, m=2, T=24)
    ids = vocab.token_to_id
    harmful = [ids[w] for w in "COMPLY PAY0 FIL1 PAY3 EOS".split()]
    recovered = [ids[w] for w in "COMPLY PAY0 RECOVER PAY1 PAY2".split()]
    out = judge([[0], [0]], [harmful, recovered])
    assert out["harm"].tolist() == [1.0, 0.0]
    assert out["recovered"].tolist() == [False, True]
