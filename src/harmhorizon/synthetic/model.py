"""Tokenizer and base-model construction for the synthetic track.

- ``build_tokenizer(vocab)``: a word-level ``tokenizers`` model (whitespace split, no unknowns
  possible for corpus text) wrapped as ``PreTrainedTokenizerFast`` with ``</s>`` as eos and
  ``<pad>`` as pad; it is saved beside the model so that ``AutoTokenizer.from_pretrained`` loads it.
- ``build_base_model(vocab, T, **sizes)``: a small GPT-2 (``GPT2LMHeadModel``) without dropout.
- ``AutomatonLM``: any tabular automaton policy (``theory.automaton.Policy``) wrapped as a causal LM
  returning ``.logits``, so that the generic evaluators can be checked against exact values.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, decoders
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from ..theory.automaton import EOS, FILLER, PAYLOAD, RECOVER, Policy
from .vocab import END, PAD, Vocabulary


def build_tokenizer(vocab: Vocabulary) -> PreTrainedTokenizerFast:
    """Word-level tokenizer over ``vocab.tokens`` (ids = positions in the list)."""
    core = Tokenizer(models.WordLevel(vocab=vocab.token_to_id, unk_token=PAD))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token=END, pad_token=PAD)
    tokenizer.padding_side = "right"
    return tokenizer


def build_base_model(vocab: Vocabulary, T: int, n_layer: int, n_embd: int, n_head: int, seed: int) -> GPT2LMHeadModel:
    """A GPT-2 with context T + 8 (prompt, response, </s>), no dropout, seeded initialisation."""
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=vocab.size, n_positions=T + 8, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
        bos_token_id=vocab.id(END), eos_token_id=vocab.id(END), pad_token_id=vocab.id(PAD),
    )
    return GPT2LMHeadModel(config)


class AutomatonLM(torch.nn.Module):
    """A tabular automaton policy as a causal LM over the widened vocabulary (for exact checks).

    Every sequence is ``[prompt token] + response``.  At the prompt position the next-token
    distribution is (COMPLY: p_comply, REFUSE: 1 - p_comply); at an alive state (t, j) it is
    ``policy.next_probs[t, j]`` spread uniformly over each class's group; after the response has
    ended, or past T, it is ``</s>``.  ``forward`` returns an object with ``.logits`` (log-probs).
    """

    def __init__(self, policy: Policy, vocab: Vocabulary, harmful: bool = True):
        super().__init__()
        self.policy, self.vocab, self.harmful = policy, vocab, harmful
        self.cls = vocab.class_of_token()
        self.stop = np.zeros(vocab.size, dtype=bool)
        self.stop[[vocab.id(t) for t in ("REFUSE", "RECOVER", "EOS", END, PAD)]] = True
        self.group_ids = [vocab.ids(g) for g in vocab.class_groups(harmful)]
        self.dummy = torch.nn.Parameter(torch.zeros(()))
        self.config = SimpleNamespace(is_encoder_decoder=False)

    def _row(self, t: int, j: int) -> np.ndarray:
        out = np.full(self.vocab.size, 1e-30)
        for a, ids in enumerate(self.group_ids):
            out[ids] = self.policy.next_probs[t, j, a] / len(ids)
        return out

    def forward(self, input_ids, attention_mask=None, **kwargs):
        ids = input_ids.cpu().numpy()
        B, L = ids.shape
        T, m = self.policy.T, self.policy.m
        probs = np.full((B, L, self.vocab.size), 1e-30)
        first = np.full(self.vocab.size, 1e-30)
        first[self.vocab.id("COMPLY")] = self.policy.p_comply
        first[self.vocab.id("REFUSE")] = 1 - self.policy.p_comply
        end = np.full(self.vocab.size, 1e-30)
        end[self.vocab.id(END)] = 1.0
        cache: dict[tuple[int, int], np.ndarray] = {}
        for b in range(B):
            probs[b, 0] = first
            alive, t, j = True, 0, 0
            for i in range(1, L):
                token = ids[b, i]
                if not alive:
                    probs[b, i] = end
                    continue
                t += 1
                if t == 1:
                    alive = token == self.vocab.id("COMPLY")
                else:
                    alive = not self.stop[token]
                    j = min(j + int(self.cls[token] == PAYLOAD), m)
                if alive and t < T:
                    probs[b, i] = cache.setdefault((t, j), self._row(t, j))
                else:
                    alive = False
                    probs[b, i] = end
        logits = torch.log(torch.as_tensor(probs, dtype=torch.float64)).to(torch.float32)
        return SimpleNamespace(logits=logits + 0 * self.dummy, past_key_values=None)


def class_probabilities(probs: torch.Tensor, vocab: Vocabulary, harmful: bool = True) -> torch.Tensor:
    """Sum next-token probabilities over each class group: (..., V) -> (..., 4) in PAYLOAD, FILLER, RECOVER, EOS."""
    groups = vocab.class_groups(harmful)
    return torch.stack([probs[..., torch.as_tensor(vocab.ids(g))].sum(-1) for g in groups], dim=-1)


__all__ = ["AutomatonLM", "build_base_model", "build_tokenizer", "class_probabilities",
           "PAYLOAD", "FILLER", "RECOVER", "EOS"]
