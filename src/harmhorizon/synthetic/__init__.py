"""The synthetic track (docs/theory.md §3 "Neural version"; docs/experiments.md E3, E5).

- ``vocab.Vocabulary``: the widened token groups; ``data``: automaton samples as tokens and the
  automaton judge; ``model``: the word-level tokenizer, the small GPT-2 base and ``AutomatonLM`` (an
  exact tabular policy as a model); ``experiment``: the steps the workflow scripts call (corpus,
  base pretraining, base samples, method training sets, evaluation of a trained model).
"""
