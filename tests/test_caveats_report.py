"""E7's report (report.caveats) on hand-made attack tables: verdicts from evaluate.verdicts.caveat_verdicts, then
the macros, the table and the figure."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from harmhorizon.evaluate.verdicts import caveat_verdicts, is_caveat_row  # noqa: E402
from harmhorizon.report.caveats import (attack_figure, attack_harm_table, benign_cost_table, caveat_numbers,  # noqa: E402
                                        caveat_table)

METHODS = {"augment": {"objective": "augment"}, "circuit_breaker": {"objective": "circuit_breaker", "alpha": 10.0,
                                                                       "layers": [1, 2]}, "dpo": {"objective": "dpo"}}
RULES = {"asr_margin": 0.1, "shallow_fraction": 0.25}


def _tables():
    harm = {"base": 0.6, "augment": 0.55, "circuit_breaker": 0.1, "dpo": 0.6}
    attack = pd.DataFrame([{"method": m, "seed": s, "attack": a, "k": k, "prefilled": k, "harm_rate": h,
                            "continuation_harm_rate": h + (0.2 if a == "rank_assisted" else 0.0) * (k > 0) + 0.01 * s,
                            "recovery_rate": 0.1, "n": 64, "outside_top_k": 0.0}
                           for m, h in harm.items() for s in range(3) for a in ("sampled", "rank_assisted") for k in (0, 8, 16)])
    runs = pd.DataFrame([{"method": m, "seed": s, "t_epsilon": 12, "kl_past_horizon": 0.4 + 0.01 * s, "total_kl": 1.0,
                          "benign_kl": 0.1 * s, "harm_rate": 0.3, "benign_refusal_rate": 0.1 + 0.1 * (m == "augment"),
                          "benign_recovery_rate": 0.0, "collapsed": False} for m in harm for s in range(3)])
    return attack, runs


def test_verdicts_numbers_and_table_agree():
    attack, runs = _tables()
    verdicts = caveat_verdicts(attack, runs, METHODS, [0, 8, 16], RULES)
    assert is_caveat_row(verdicts).all() and "dpo" not in set(verdicts.method)  # standard methods are not judged
    # k* = 16 (the first attacked depth at or past t_ε = 12); the rank-assisted prefill adds 0.2 to every run.
    paired = verdicts[verdicts.metric == "rank_assisted minus sampled continuation_harm_rate_k16"]
    assert (paired.verdict == "confirmed").all() and paired["mean"].round(9).eq(0.2).all()
    zou = verdicts[verdicts.prediction.str.startswith("E7 (Zou")]
    assert list(zou.verdict) == ["confirmed", "confirmed"]  # 0.1 against the reference's 0.6
    numbers = caveat_numbers("synthetic", attack, verdicts, runs, METHODS, [0, 8, 16], top_k=8)
    assert numbers["CaveatsSyntheticKstar"] == "16" and numbers["CaveatsSyntheticTopK"] == "8"
    assert numbers["CaveatsSyntheticCircuitBreakerSampledVerdict"] == r"\text{confirmed}"
    assert numbers["CaveatsSyntheticCircuitBreakerLayers"] == r"1,\ 2"
    assert int(numbers["CaveatsSyntheticVerdicts"]) == len(verdicts)
    table = caveat_table({"synthetic": verdicts})
    # header, the environment's heading and its two method rows
    assert table.count(r"\\") == 4 and "{Automaton}" in table and "Circuit breakers" in table and "conf." in table
    figure = attack_figure({"synthetic": attack}, {"synthetic": METHODS}, {"synthetic": 12.0})
    assert len(figure.axes) == 2


def test_benign_cost_reads_each_method_against_the_reference():
    _, runs = _tables()
    table = benign_cost_table({"synthetic": runs})
    augment = next(line for line in table.splitlines() if line.startswith("Augmentation &"))
    assert augment.split(" & ")[1] == r"$0.1\,[0.1, 0.1]$"  # benign refusal 0.2 against the reference's 0.1 in every seed
    assert r"\label{tab:benign-cost-synthetic}" in table and "edgy" not in table  # the automaton has no edgy set
    assert r"$0.1\,[0, 0.35]$" in augment  # benign KL 0, 0.1, 0.2: the t-interval's lower bound clipped at 0


def test_attack_harm_table_reads_each_shown_method_at_k_star():
    attack, runs = _tables()
    table = attack_harm_table({"synthetic": attack}, {"synthetic": runs}, {"synthetic": METHODS}, {"synthetic": [0, 8, 16]})
    rows = {line.split(" & ")[0]: line for line in table.splitlines() if " & " in line and "prefill" not in line}
    assert set(rows) == {"Base", "Augmentation", "Circuit breakers"}  # DPO is not an E7 method
    # At k* = 16: seeds add 0, 0.01, 0.02 to 0.6 (sampled) and 0.8 (rank-assisted).
    assert r"$0.61\,[0.59, 0.63]$ & $0.81\,[0.79, 0.83]$" in rows["Base"]
    assert r"$k^*=16$" in table and r"\label{tab:caveat-attack-harm}" in table
