"""The widened token vocabulary of the neural harm automaton (docs/theory.md §3, "Neural version").

Each automaton class becomes a group of equally likely word tokens: harmful prompts ``HARM0..``,
benign prompts ``BEN0..``, ``PAY0..`` (PAYLOAD), ``FIL0..`` (FILLER), ``CON0..`` (CONTENT on benign
prompts), and the single tokens ``COMPLY``, ``REFUSE``, ``RECOVER``, ``EOS``.  ``</s>`` closes every
training text and ``<pad>`` pads.  Because tokens inside a group are equally likely, every exact
class-level quantity of the automaton (``harmhorizon.theory``) holds for the widened model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..theory.automaton import EOS, FILLER, PAYLOAD, RECOVER

PAD, END = "<pad>", "</s>"
SINGLE_TOKENS = ("COMPLY", "REFUSE", "RECOVER", "EOS")


@dataclass(frozen=True)
class Vocabulary:
    """Group sizes of the widened vocabulary; ``tokens`` lists the words, ids are their positions."""

    n_harmful_prompts: int = 8
    n_benign_prompts: int = 8
    n_payload: int = 4
    n_filler: int = 4
    n_content: int = 4

    @cached_property
    def groups(self) -> dict[str, list[str]]:
        return {
            "special": [PAD, END],
            "harmful_prompt": [f"HARM{i}" for i in range(self.n_harmful_prompts)],
            "benign_prompt": [f"BEN{i}" for i in range(self.n_benign_prompts)],
            "COMPLY": ["COMPLY"],
            "REFUSE": ["REFUSE"],
            "PAYLOAD": [f"PAY{i}" for i in range(self.n_payload)],
            "FILLER": [f"FIL{i}" for i in range(self.n_filler)],
            "CONTENT": [f"CON{i}" for i in range(self.n_content)],
            "RECOVER": ["RECOVER"],
            "EOS": ["EOS"],
        }

    @cached_property
    def tokens(self) -> list[str]:
        return [token for group in self.groups.values() for token in group]

    @cached_property
    def token_to_id(self) -> dict[str, int]:
        return {token: i for i, token in enumerate(self.tokens)}

    def ids(self, group: str) -> np.ndarray:
        """Token ids of one group (a class of the automaton, a prompt group or 'special')."""
        return np.array([self.token_to_id[t] for t in self.groups[group]], dtype=np.int64)

    def id(self, token: str) -> int:
        return self.token_to_id[token]

    @property
    def size(self) -> int:
        return len(self.tokens)

    def class_groups(self, harmful: bool) -> list[str]:
        """Group names of the four continuation classes in the order PAYLOAD, FILLER, RECOVER, EOS."""
        order = {PAYLOAD: "PAYLOAD" if harmful else "CONTENT", FILLER: "FILLER", RECOVER: "RECOVER", EOS: "EOS"}
        return [order[a] for a in range(4)]

    def class_of_token(self) -> np.ndarray:
        """cls[id] = continuation class (0..3) of a harmful response token, -1 for any other token."""
        out = np.full(self.size, -1, dtype=np.int64)
        for a, group in enumerate(self.class_groups(harmful=True)):
            out[self.ids(group)] = a
        return out
