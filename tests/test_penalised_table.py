"""The synthetic track's table of penalised on-policy methods (report.synthetic.penalised_table)."""

import pandas as pd

from harmhorizon.report.synthetic import penalised_table

METHODS = {
    "dpo": {"objective": "dpo", "hp": {"max_steps": 4}},
    "rlhf": {"objective": "rlhf", "hp": {"max_steps": 4}},
    "recovery_rl": {"objective": "recovery_rl", "mu": 0.05, "gamma": 1.0, "hp": {"max_steps": 4}},
    "h_deep_gamma": {"objective": "h_deep", "mu": 1.0, "gamma": 0.9, "hp": {"max_steps": 4}},
}


def frontier() -> pd.DataFrame:
    """Two seeds per method, a snapshot at step 2 whose shift must be ignored and the final one at step 4."""
    rows = []
    for method, final in (("dpo", 9.0), ("rlhf", 1.0), ("recovery_rl", 2.0), ("h_deep_gamma", 3.0)):
        for seed, offset in ((1, -0.5), (2, 0.5)):
            rows.append({"method": method, "seed": seed, "step": 2, "recovery_shift_decided": 100.0})
            rows.append({"method": method, "seed": seed, "step": 4, "recovery_shift_decided": final + offset})
    return pd.DataFrame(rows)


def deep() -> pd.DataFrame:
    return pd.DataFrame([
        {"method": "recovery_rl", "total_kl": 7.25, "recovery_shift_decided": 2.25, "shift_thm20": float("nan")},
        {"method": "h_deep_gamma", "total_kl": 35.5, "recovery_shift_decided": 19.5, "shift_thm20": 0.251},
    ])


def rows_of(table: str) -> dict[str, str]:
    body = table.split(r"\midrule")[1].split(r"\bottomrule")[0]
    return {line.split(" & ")[0]: line for line in body.strip().splitlines()}


def test_rlhf_and_every_penalised_method_is_a_row_with_its_final_shift_and_its_optimum():
    rows = rows_of(penalised_table(frontier(), deep(), METHODS))
    assert list(rows) == ["RLHF", "Recovery RL", "Deep objective, discounted"]  # no DPO: not penalised, not RLHF
    cells = {name: row.rstrip(r" \\").split(" & ") for name, row in rows.items()}
    # Final models only (step 4), mean over the two seeds; the snapshot at step 2 would give 100.
    assert "$1$" in cells["RLHF"][3] and "$2$" in cells["Recovery RL"][3] and "$3$" in cells["Deep objective, discounted"][3]
    assert cells["RLHF"][5] == "$0$" and cells["RLHF"][6] == "--"  # the Gibbs optimum of RLHF shifts nothing
    assert cells["Recovery RL"][4] == "--" and cells["Recovery RL"][5:7] == ["$2.25$", "$7.25$"]
    assert cells["Deep objective, discounted"][1:3] == ["$1$", "$0.9$"]
    assert cells["Deep objective, discounted"][4] == "$0.251$"  # Thm 20's stated shift, for the deep objective only
    assert all(cell[-1] == "2" for cell in cells.values())  # seeds
