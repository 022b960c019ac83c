"""Macro names: one helper turns config names and numbers into LaTeX macro letters, and refuses clashes."""

import itertools

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO
from harmhorizon.report.latex import MACRO_NAME, macro_word, macro_words, number_word, stacked_interval, write_numbers


def test_number_words():
    assert [number_word(n) for n in (0, 5, 10, 16, 20, 32, 40, 64, 100, 1234)] == [
        "Zero", "Five", "Ten", "Sixteen", "Twenty", "ThirtyTwo", "Forty", "SixtyFour", "OneHundred",
        "OneThousandTwoHundredThirtyFour"]
    with pytest.raises(ValueError):
        number_word(-1)


@given(st.integers(0, 999_999), st.integers(0, 999_999))
def test_distinct_numbers_give_distinct_words(a, b):
    assert (number_word(a) == number_word(b)) == (a == b)
    assert MACRO_NAME.match(number_word(a))


def test_macro_words_spell_digits_and_keep_letters():
    assert macro_word("recovery_discounted") == "RecoveryDiscounted"
    assert macro_word("rlhf_m1") == "RlhfMOne" and macro_word("rlhf") == "Rlhf"
    assert macro_word("harm_rate_k3") != macro_word("harm_rate_k6")
    assert macro_word("harm_rate_kzero") == "HarmRateKzero"


def test_names_that_would_share_a_macro_are_refused_naming_both():
    with pytest.raises(ValueError, match="'rlhf1' and 'rlhf_1' both give the macro word 'RlhfOne'"):
        macro_words(["rlhf1", "rlhf_1"])


@pytest.mark.parametrize("config", ["config/config.yaml", "config/test.yaml", "config/gpu.yaml"])
def test_every_shipped_method_name_gets_its_own_macro_word(config):
    spec = yaml.safe_load((REPO / config).read_text())
    for track in ("synthetic", "real"):
        names = ["base", *spec.get(track, {}).get("methods", {})]
        words = macro_words(names)
        assert len(set(words.values())) == len(names)
        assert all(MACRO_NAME.match(word) for word in words.values())
    for a, b in itertools.combinations(["rlhf", "rlhf_m1", "rlhf_m2", "dpo_lr_high", "dpo_beta_high"], 2):
        assert macro_word(a) != macro_word(b)


def test_numbers_below_ten_thousand_are_never_written_with_an_exponent():
    from harmhorizon.report.latex import fmt

    assert fmt(7660.5, 3) == "7660" and fmt(120.4, 2) == "120" and fmt(-118.0, 2) == "-118"
    assert fmt(0.0123, 2) == "0.012" and fmt(3.14159) == "3.14" and fmt(12345.0, 3) == "12345"
    assert fmt(1.5e-5, 2) == r"1.5\times 10^{-5}"


def test_every_figure_and_table_reaches_its_code_through_the_appendix_index():
    """Captions name no code; the appendix table (rule paper_code_index) maps each figure and table to its rule."""
    import re

    import pandas as pd

    from harmhorizon.report.paper import artefact_labels, code_index_table

    sections = [path.read_text() for path in sorted((REPO / "paper/sections").glob("*.tex"))]
    for text in sections:
        for block in re.findall(r"\\begin\{figure\*?\}.*?\\end\{figure\*?\}", text, flags=re.S):
            assert not re.search(r"rule\s+\\texttt|harmhorizon\.report", block), block[:200]
    for source in sorted((REPO / "src/harmhorizon/report").glob("*.py")):  # nor do the generated tables' captions
        assert "Drawn by rule" not in source.read_text(), source.name
    table = "\\begin{table}\\caption{x}\\label{tab:real-summary}\\end{table}"
    labels = artefact_labels(sections, {"results/tables/real/summary.tex": table})
    assert labels["results/tables/real/summary.tex"] == ["tab:real-summary"]
    figures = [path for path in labels if path.startswith("results/figures/")]
    assert len(figures) >= 10 and all(labels[path] for path in figures)
    index = pd.DataFrame({"artefact": list(labels), "rule": ["r_" + str(i) for i in range(len(labels))],
                          "script": ["workflow/scripts/s.py"] * len(labels)})
    text = code_index_table(index, labels)
    assert r"Table~\ref{tab:real-summary} & \texttt{r\_0}" not in text  # figures come first in paper order
    assert r"\ref{tab:real-summary}" in text and r"\texttt{s.py}" in text


def test_a_table_cell_is_refused_as_a_macro(tmp_path):
    """Macros are set in running text: a stacked interval (a table cell) would break the line it sits in."""
    with pytest.raises(ValueError, match="RealDpoHarm"):
        write_numbers({"RealDpoHarm": stacked_interval(0.26, 0.24, 0.27), "RealNSeeds": "3"}, tmp_path / "numbers.json")
    assert not (tmp_path / "numbers.json").exists()  # nothing half-written
    write_numbers({"RealDpoHarm": r"0.26\,[0.24, 0.27]"}, tmp_path / "numbers.json")
