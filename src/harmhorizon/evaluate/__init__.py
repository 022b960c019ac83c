"""Generic evaluators for any Hugging Face causal LM (or any module returning ``.logits``).

Public API (docs/theory.md §1, docs/experiments.md E4–E6):

- ``sampling.sample_continuations(model, prefixes, max_new_tokens, ...)``: batched ancestral
  sampling (temperature 1, full vocabulary) from token-id prefixes, with a KV cache.
- ``sampling.prefill_curve(model, prefixes_by_k, judge, ...)``: the prefill attack: continue each
  prefilled prefix and judge the whole response; recovery and harm rate per depth k.
- ``kl.per_position_kl(model, reference, sequences, ...)``: KL(π_θ(·|y_<t) ‖ π_ref(·|y_<t)) at every
  response position of fixed sequences, one forward per model per batch.
- ``kl.next_token_probs(model, sequences, ...)``: next-token distributions along fixed sequences.
- ``harm_information.mc_harm_information(model, sequences, judge, ...)``: the Monte Carlo estimate of
  I_t = E[Δ_t²] from rollouts at every prefix, bias-corrected for the rollout noise.
- ``gradients.LogitGradientProfile``: a ``TrainerCallback`` that records ‖∂loss/∂logits_t‖ by
  response position during training of any trl/transformers trainer.

A *sequence* is a pair ``(prompt_ids, response_ids)`` of integer lists.  A *judge* is a callable
``judge(prompts, responses) -> {"harm": array, "recovered": array, ...}`` over lists of id lists.
"""
