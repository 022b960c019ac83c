"""The evaluation core: every evaluator takes an environment (``harmhorizon.envs``) and a model.

Public API (docs/theory.md §1, docs/experiments.md E4–E6):

- ``sampling.sample_continuations``: the one seeded sampler (batched ancestral sampling with a KV cache,
  left padding where prefix lengths differ);
- ``kl.per_position_kl(model, reference, sequences, ...)``: KL(π_θ(·|y_<t) ‖ π_ref(·|y_<t)) at every
  response position of fixed sequences, one forward per model per batch;
- ``harm_information.mc_harm_information(env, model, sequences, positions, ...)``: the Monte Carlo estimate
  of I_t = E[Δ_t²] on a grid of positions, bias-corrected for the rollout noise;
- ``prefill.prefill_attack(env, model, prefix_sets, ...)``: recovery and harm rate by prefill depth;
- ``policy.evaluate_policy(env, model, reference, seed)``: all of the above for one model;
- ``summary``: per-run metrics and summaries over seeds with intervals; ``verdicts``: the predictions
  decided from those intervals; ``harmhorizon.horizon``: the ε-horizon, exact or on a grid;
- ``gradients.LogitGradientProfile``: a ``TrainerCallback`` that records ‖∂loss/∂logits_t‖ by
  response position during training of any trl/transformers trainer.

A *sequence* is a pair ``(prompt_ids, response_ids)`` of integer lists.
"""
