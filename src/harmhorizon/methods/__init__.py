"""Alignment methods: one registry of objectives over trl trainers, for every environment.

- ``families``: the family of each objective (standard, deep, baseline), without trl;
- ``registry``: ``OBJECTIVES`` (name → family, trl config and trainer, inputs asked of an environment)
  and ``align(env, method, seed, output_dir, profile)``;
- ``trainers``: ``RecoveryPenaltyConfig``/``RecoveryPenaltyTrainer`` (an ``SFTTrainer`` plus a penalty
  hook), how a run trains and the shared trl settings;
- ``checkpoints``: where a run's checkpoints and snapshots lie, which are resumed (no trl import);
- ``penalties``: the recovery penalty of docs/theory.md §P5 as token and phrase hooks;
- ``data``: preference pairs and Qi et al.'s augmentation examples from judged samples.
"""
