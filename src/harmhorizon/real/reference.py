"""The reference model of the real-model track: the imported chat model after a refusal SFT stage
(docs/experiments.md E6, "A reference that refuses").

A small instruction model never refuses HarmBench requests, so nothing is decided early and the theory has
nothing to test.  Deployed chat models refuse because an SFT stage taught them to before RLHF.  The
reference here gets the same stage, with a refusal rate that the config sets:

- a seeded subset of the harmful train prompts, a fraction ρ = ``reference.refusal_fraction``, gets the
  refusal text as its SFT target;
- every other harmful train prompt, and every benign train prompt, gets the imported model's own response
  (one sample), so that the stage changes *whether* the model refuses, not how it writes otherwise.

A model that cannot tell the refused prompts from the others learns to refuse an unseen harmful request with
probability about ρ, and decides it in its first tokens, as deployed models do.  ``refusal_fraction: 0``
skips the stage: the reference is then the imported model itself (a copy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def refusal_sft_rows(prompts: pd.DataFrame, responses: list[str], refusal_text: str, refusal_fraction: float,
                     seed: int) -> pd.DataFrame:
    """The SFT table: prompt_id, kind, refused (bool), prompt (the rendered prompt text), completion.

    ``prompts`` are the train prompts (kind, prompt_text) in a fixed order and ``responses`` the imported
    model's responses to them; round(ρ · n_harmful) harmful prompts, drawn with ``seed``, get the refusal.
    """
    harmful = np.flatnonzero(prompts.kind.to_numpy() == "harmful")
    n_refused = int(round(refusal_fraction * len(harmful)))
    refused = np.zeros(len(prompts), dtype=bool)
    refused[np.random.default_rng(seed).choice(harmful, size=n_refused, replace=False)] = True
    completion = np.where(refused, refusal_text, np.asarray(responses, dtype=object))
    return pd.DataFrame({"prompt_id": prompts.prompt_id.to_numpy(), "kind": prompts.kind.to_numpy(), "refused": refused,
                         "prompt": prompts.prompt_text.to_numpy(), "completion": completion})
