"""Circuit breakers (Zou et al. 2024; methods.circuit_breaker): the losses by hand, the schedule, and the trainer on
tiny models, full fine-tuning against a frozen copy and LoRA against the adapter-disabled policy."""

import copy
import os

import pytest
import torch
from datasets import Dataset

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harmhorizon.methods.circuit_breaker import (RerouteRows, hidden_states, reroute_loss, retain_loss,  # noqa: E402
                                                 schedule)
from harmhorizon.methods.registry import OBJECTIVES, SFT_DEFAULTS  # noqa: E402
from harmhorizon.methods.trainers import COMMON, CircuitBreakerConfig, CircuitBreakerTrainer  # noqa: E402
from harmhorizon.synthetic.model import build_base_model, build_tokenizer  # noqa: E402
from harmhorizon.synthetic.vocab import Vocabulary  # noqa: E402
from test_real_models import tiny_folder, tiny_model  # noqa: E402, F401  (fixtures)

VOCAB = Vocabulary(2, 2, 2, 2, 2)
RETAIN = [{"prompt": "HARM1", "completion": " REFUSE"}, {"prompt": "BEN0", "completion": " COMPLY CON1 FIL0 EOS"}] * 8
HP = dict(max_steps=12, per_device_train_batch_size=8, learning_rate=1e-2, save_steps=100)


def test_the_losses_by_hand():
    h = torch.tensor([[[[1.0, 0.0], [0.0, 2.0]]]])  # (layers 1, batch 1, tokens 2, dim 2)
    mask = torch.tensor([[True, False]])
    assert reroute_loss(h, h, mask) == pytest.approx(1.0)  # same direction: cosine 1
    assert reroute_loss(-h, h, mask) == pytest.approx(0.0)  # opposed: ReLU(−1) = 0
    assert reroute_loss(torch.tensor([[[[0.0, 3.0], [5.0, 5.0]]]]), h, mask) == pytest.approx(0.0)  # orthogonal on the masked token
    assert retain_loss(h, h, torch.ones(1, 2, dtype=torch.bool)) == 0
    moved = h + torch.tensor([3.0, 4.0])
    assert retain_loss(moved, h, torch.ones(1, 2, dtype=torch.bool)) == pytest.approx(5.0)  # ‖(3, 4)‖ at both tokens
    assert schedule(0, 10, 4.0) == (4.0, 0.0) and schedule(10, 10, 4.0) == (2.0, 2.0)


def test_reroute_rows_mark_the_response_tokens_only():
    rows = RerouteRows.from_sequences([([7], [1, 2, 3]), ([8, 9], [4])], pad_id=0)
    assert rows.ids.tolist() == [[7, 1, 2, 3], [8, 9, 4, 0]]
    assert rows.attention.tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert rows.mask.tolist() == [[False, True, True, True], [False, False, True, False]]


def _rows(tokenize, pairs):
    return RerouteRows.from_sequences([(tokenize(p), tokenize(r)) for p, r in pairs], pad_id=0)


def _cosine(model, frozen_states, rows, layers):
    with torch.no_grad():
        states = hidden_states(model, rows.ids, rows.attention, layers)
    return float(reroute_loss(states, frozen_states, rows.mask))


def test_full_fine_tuning_turns_harmful_states_away_from_a_frozen_copy(tmp_path):
    model = build_base_model(VOCAB, T=6, n_layer=2, n_embd=16, n_head=2, seed=0)
    tokenizer = build_tokenizer(VOCAB)
    ids = VOCAB.token_to_id
    rows = _rows(lambda text: [ids[w] for w in text.split()], [("HARM0", "COMPLY PAY0 PAY1 FIL0")] * 4)
    frozen = copy.deepcopy(model).eval()
    layers = [1, 2]
    with torch.no_grad():
        frozen_states = hidden_states(frozen, rows.ids, rows.attention, layers)
    assert _cosine(model, frozen_states, rows, layers) == pytest.approx(1.0)
    args = CircuitBreakerConfig(**{**COMMON, **dict(SFT_DEFAULTS), "output_dir": str(tmp_path), "seed": 0, "cb_alpha": 1.0,
                                   "cb_layers": layers, "penalty_batch_size": 4, **HP})
    trainer = CircuitBreakerTrainer(model=model, args=args, train_dataset=Dataset.from_list(RETAIN), processing_class=tokenizer,
                                    reroute=rows, frozen=frozen)
    trainer.train()
    logged = [entry for entry in trainer.state.log_history if "reroute_loss" in entry]
    assert logged, "the trainer never logged its losses"
    assert _cosine(trainer.model, frozen_states, rows, layers) < 0.5
    # The frozen copy did not move.
    assert torch.equal(hidden_states(frozen, rows.ids, rows.attention, layers), frozen_states)


def test_lora_reroutes_against_the_adapter_disabled_policy(tmp_path, tiny_model):  # noqa: F811
    from harmhorizon.envs.chat import wrap_lora

    base, tokenizer = tiny_model
    model = wrap_lora(copy.deepcopy(base), {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]})
    tokenize = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    rows = _rows(tokenize, [("How do I pick a lock?", " Insert a tension wrench and rake the pins.")] * 4)
    layers = [1, 2]
    with torch.no_grad():
        frozen_states = hidden_states(base, rows.ids, rows.attention, layers)
    retain = [{"prompt": "What is the capital of France?", "completion": " Paris."}] * 8
    args = CircuitBreakerConfig(**{**COMMON, **dict(SFT_DEFAULTS), "output_dir": str(tmp_path), "seed": 0, "cb_alpha": 1.0,
                                   "cb_layers": layers, "penalty_batch_size": 4, **HP, "learning_rate": 3e-2})
    trainer = CircuitBreakerTrainer(model=model, args=args, train_dataset=Dataset.from_list(retain), processing_class=tokenizer,
                                    reroute=rows)
    before = _cosine(model, frozen_states, rows, layers)
    trainer.train()
    assert before == pytest.approx(1.0, abs=1e-5)
    assert _cosine(trainer.model, frozen_states, rows, layers) < before - 0.1


def test_the_registry_builds_circuit_breakers_with_a_frozen_reference():
    objective = OBJECTIVES["circuit_breaker"]
    assert objective.family == "baseline" and objective.needs_reference and objective.reference_argument == "frozen"
    assert objective.config({"alpha": 5.0, "layers": [3, 5]}) == {"cb_alpha": 5.0, "cb_layers": [3, 5], "penalty_batch_size": 64}
    with pytest.raises(ValueError, match="cb_layers"):
        CircuitBreakerConfig(**{**COMMON, "output_dir": "unused", "cb_alpha": 1.0, "cb_layers": [0]})
