"""The methods table of a track (report.methods.methods_table): one row per method, from its config."""

from harmhorizon.report.methods import compact_rate, methods_table

METHODS = {
    "dpo": {"objective": "dpo", "hp": {"learning_rate": 2.0e-5, "max_steps": 30, "beta": 0.1}},
    "recovery_gamma": {"objective": "recovery", "mu": 0.01, "gamma": 0.8, "form": "linear", "seeds": [1],
                       "hp": {"learning_rate": 1.0e-3, "max_steps": 40}},
    "rlhf_rm_early": {"objective": "rlhf", "reward_model": "rm_early", "hp": {"learning_rate": 3.0e-4, "max_steps": 40,
                                                                               "beta": 0.1}},
}


def test_each_method_is_a_row_with_its_trainer_settings_and_seeds():
    table = methods_table(METHODS, seeds=[1, 2, 3], track="synthetic")
    rows = {line.split(" & ")[0]: line.split(" & ") for line in table.splitlines() if line.count(" & ") == 6}
    assert set(rows) == {"method", "DPO", "Recovery, discounted", r"RLHF on $\hat r$ (early)"}
    assert rows["DPO"][2] == r"\texttt{DPOTrainer}" and rows["DPO"][3] == r"$2\cdot 10^{-5}$"
    assert rows["Recovery, discounted"][5] == r"$\mu=0.01$, $\gamma=0.8$, linear form"
    assert rows["Recovery, discounted"][6].startswith("1 ")  # its own seeds, not the track's three
    assert rows[r"RLHF on $\hat r$ (early)"][1] == "proxy" and r"$\hat r$: early" in rows[r"RLHF on $\hat r$ (early)"][5]


def test_compact_rate():
    assert compact_rate(1.0e-3) == "$10^{-3}$" and compact_rate(3.0e-4) == r"$3\cdot 10^{-4}$" and compact_rate(None) == "--"


def test_the_chat_model_table_names_its_recovery_set_and_its_reference():
    methods = {"h_deep": {"objective": "h_deep", "mu": 11.0, "gamma": 0.9, "recovery_set": "first_token",
                          "hp": {"learning_rate": 1.0e-3, "max_steps": 24, "beta": 0.1}}}
    table = methods_table(methods, seeds=[0, 1], track="real")
    assert r"\label{tab:real-methods}" in table and "the chat model" in table
    row = next(line.split(" & ") for line in table.splitlines() if line.startswith("Deep objective"))
    assert row[5] == r"$\beta=0.1$, $\mu=11$, $\gamma=0.9$, $R$: first token" and row[6].startswith("2 ")
