"""Numbers and tables into LaTeX: every number the paper cites goes through these functions.

A track writes `results/<track>/numbers.json` = {MacroName: LaTeX text}; the `paper_macros` rule
merges all of them into one `paper/generated/macros.tex` of `\\newcommand`s.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from ..io import atomic_path

MACRO_NAME = re.compile(r"^[A-Za-z]+$")
ONES = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve",
        "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"]
TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]


def number_word(n: int) -> str:
    """An integer 0 ≤ n < 1,000,000 in words, for macro names: 16 → 'Sixteen', 64 → 'SixtyFour', 300 → 'ThreeHundred'."""
    n = int(n)
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_word: {n} is outside 0..999999")
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + (ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return ONES[n // 100] + "Hundred" + (number_word(n % 100) if n % 100 else "")
    return number_word(n // 1000) + "Thousand" + (number_word(n % 1000) if n % 1000 else "")


def macro_word(name) -> str:
    """A config name as macro letters: runs of letters capitalised, runs of digits spelled, the rest dropped.

    'recovery_discounted' → 'RecoveryDiscounted', 'rlhf_m1' → 'RlhfMOne', 'harm_rate_k40' → 'HarmRateKForty'.
    Distinct names can still meet ('rlhf1', 'rlhf_1'): `macro_words` refuses such a set.
    """
    words = re.findall(r"[A-Za-z]+|\d+", str(name))
    return "".join(number_word(w) if w.isdigit() else w[0].upper() + w[1:] for w in words)


def macro_words(names) -> dict:
    """{name: macro_word(name)} for a set of names, refusing two names that give the same word."""
    words, owner = {}, {}
    for name in names:
        word = words[name] = macro_word(name)
        if owner.setdefault(word, name) != name:
            raise ValueError(f"config names {owner[word]!r} and {name!r} both give the macro word {word!r}; rename one")
    return words


def fmt(value: float, digits: int = 3) -> str:
    """A number as LaTeX text: fixed point when readable, m×10^{e} otherwise; NaN as 'n/a'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return r"\text{n/a}"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return f"{value:d}"
    value = float(value)
    if value == 0.0:
        return "0"
    if value.is_integer() and abs(value) < 1e7:
        return f"{int(value):d}"
    if 1e-3 <= abs(value) < 1e4:
        text = f"{value:.{digits}g}"
        if "e" in text:  # 'g' writes 7660 as 7.66e+03 at 3 digits: round to the digits, print in full
            text = f"{round(value, digits - 1 - math.floor(math.log10(abs(value)))):.0f}"
        return text
    mantissa, exponent = f"{value:.{max(digits - 1, 0)}e}".split("e")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}"


def fmt_sci(value: float, digits: int = 2) -> str:
    """Always scientific (for errors at machine precision)."""
    value = float(value)
    if value == 0.0:
        return "0"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}"


def fmt_interval(mean: float, low: float, high: float, digits: int = 2) -> str:
    """'mean [low, high]' for a 95% interval."""
    return f"{fmt(mean, digits)}\\,[{fmt(low, digits)}, {fmt(high, digits)}]"


def check_macro_names(numbers: dict) -> None:
    bad = [name for name in numbers if not MACRO_NAME.match(name)]
    if bad:
        raise ValueError(f"LaTeX macro names must be letters only: {bad}")


def write_numbers(numbers: dict, path) -> None:
    check_macro_names(numbers)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")


def artefact_macro(path: str) -> str:
    """The macro naming the rule that drew a paper artefact: results/figures/synthetic/kl_profile.pdf →
    RuleFigSyntheticKlProfile, results/tables/real/summary.tex → RuleTabRealSummary."""
    parts = Path(path).with_suffix("").parts
    if len(parts) < 4 or parts[0] != "results" or parts[1] not in ("figures", "tables"):
        raise ValueError(f"{path}: not a figure or table of results/figures/ or results/tables/")
    return "Rule" + {"figures": "Fig", "tables": "Tab"}[parts[1]] + macro_word("_".join(parts[2:]))


def macros_tex(number_files, paper_index=None) -> str:
    """One \\newcommand per number, from several numbers.json files; a name defined twice is an error.

    With ``paper_index`` (the table of rule paper_index), one more text macro per figure and table names the
    rule that drew it (`artefact_macro`), for the captions: the rule names come from the DAG, not from the
    caption's author.
    """
    merged: dict[str, tuple[str, str]] = {}
    for path in number_files:
        for name, text in json.loads(open(path).read()).items():
            if name in merged:
                raise ValueError(f"macro \\{name} is defined by both {merged[name][1]} and {path}")
            merged[name] = (text, str(path))
    check_macro_names(merged)
    lines = ["% Generated by the paper_macros rule from results/*/numbers.json. Do not edit."]
    lines += [f"\\newcommand{{\\{name}}}{{\\ensuremath{{{text}}}}}  % {source}" for name, (text, source) in sorted(merged.items())]
    if paper_index is not None:
        rules = {artefact_macro(row.artefact): row.rule for row in paper_index.itertuples()}
        clash = sorted(set(rules) & set(merged))
        if clash:
            raise ValueError(f"rule macros {clash} clash with numbers macros")
        lines += [f"\\newcommand{{\\{name}}}{{{rule.replace('_', chr(92) + '_')}}}  % rule that drew it"
                  for name, rule in sorted(rules.items())]
    return "\n".join(lines) + "\n"


def booktabs_table(frame: pd.DataFrame, caption: str, label: str, column_format: str | None = None,
                   fit_width: bool = False, footnotesize: bool = False, scriptsize: bool = False) -> str:
    """A booktabs table from a DataFrame whose cells are already LaTeX text (pandas Styler.to_latex).

    ``fit_width`` scales the tabular down to the text width (graphicx's \\resizebox) when it is wider;
    ``footnotesize`` sets the table in \\footnotesize, ``scriptsize`` in \\scriptsize (8 pt in an 11 pt paper).
    """
    styler = frame.style.hide(axis="index")
    text = styler.to_latex(
        caption=caption,
        label=label,
        hrules=True,
        position="t",
        position_float="centering",
        column_format=column_format or "l" * frame.shape[1],
    )
    if fit_width:
        start, end = text.index("\\begin{tabular}"), text.index("\\end{tabular}") + len("\\end{tabular}")
        text = (text[:start] + "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
                + text[start:end] + "}" + text[end:])
    if footnotesize or scriptsize:
        size = "\\scriptsize" if scriptsize else "\\footnotesize"
        text = text.replace("\\centering\n", "\\centering\n" + size + "\n", 1)
    return text


def texttt(name: str) -> str:
    """``name`` (a rule or function name) in typewriter type, underscores escaped."""
    return r"\texttt{" + name.replace("_", r"\_") + "}"
