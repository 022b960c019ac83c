"""Alignment methods as trl trainers, model-agnostic (any AutoModelForCausalLM and tokenizer).

Public API (docs/theory.md §P4–§P6 and §4; docs/experiments.md E5):

- ``losses.recovery_penalty(logits, recover_ids, mask, positions, gamma, form)``: the P5 penalty
  Σ_t γ^t (1 - π_θ(R | y_<t)) (``form="linear"``) or Σ_t γ^t (-log π_θ(R | y_<t)) (``form="log"``)
  over harmful prefixes, summed over positions and averaged over sequences.
- ``trainers.RecoveryPenaltySFTTrainer``: ``SFTTrainer`` whose loss is the SFT loss on its dataset
  (the KL anchor / standard objective) plus μ × ``recovery_penalty`` on a minibatch of harmful
  prefixes drawn each step.
- ``trainers.run_sft``, ``run_dpo``, ``run_grpo``, ``run_recovery``: build the trl config and
  trainer, train (resuming from the latest checkpoint in the output folder), save the final model
  with ``save_pretrained`` and return the trainer.  Hyper-parameters come as a dict of trl config
  fields (``learning_rate``, ``max_steps``, ``per_device_train_batch_size``, ``beta``, ...).
- ``data.augmentation_examples``: Qi et al.-style data augmentation (a harmful prompt, a harmful
  prefix of random length, then the recovery text; the loss is on the recovery only).
- ``data.preference_pairs``: (prompt, chosen = h 0, rejected = h 1) pairs from judged samples.
"""
