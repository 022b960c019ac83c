"""Numbers and tables into LaTeX: every number the paper cites goes through these functions.

A track writes `results/<track>/numbers.json` = {MacroName: LaTeX text}; the `paper_macros` rule
merges all of them into one `paper/generated/macros.tex` of `\\newcommand`s.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
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


def registered_numbers(predictions: dict) -> dict[str, str]:
    """A macro per numeric threshold of config/predictions.yaml, so that the paper quotes the registered value:
    `reward_model: {kl_share_margin: 0.1}` → RegisteredRewardModelKlShareMargin = 0.1 (nested keys joined)."""
    numbers = {}

    def walk(node, words):
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, words + [macro_word(key)])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                numbers["Registered" + "".join(words) + macro_word(key)] = fmt(value)

    walk(predictions, [])
    return numbers


def check_macro_names(numbers: dict) -> None:
    bad = [name for name in numbers if not MACRO_NAME.match(name)]
    if bad:
        raise ValueError(f"LaTeX macro names must be letters only: {bad}")


# A bare word (three letters or more, outside \text{}): set in math it would print as italic letters.
BARE_WORD = re.compile(r"[A-Za-z][A-Za-z ,.'-]{2,}")


def check_macro_texts(numbers: dict) -> None:
    """A macro is set in running text: a table cell (a nested tabular, a line break) is refused, and so is a bare word,
    which macro_body would set in math as italic letters; each naming the macro."""
    cells = [name for name, text in numbers.items() if r"\begin{tabular" in str(text) or r"\\" in str(text)]
    if cells:
        raise ValueError(f"macros {cells} hold a table cell (a stacked interval or a line break), but macros are set in "
                         "running text: format them with fmt_interval, and keep stacked_interval for tables")
    words = [name for name, text in numbers.items() if BARE_WORD.fullmatch(str(text))]
    if words:
        raise ValueError(f"macros {words} are bare words, which would be set as math: wrap each in \\text{{...}}")


def write_numbers(numbers: dict, path) -> None:
    check_macro_names(numbers)
    check_macro_texts(numbers)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")


def macros_tex(number_files) -> str:
    """One \\newcommand per number, from several numbers.json files; a name defined twice is an error. The code
    behind each figure and table is in the appendix's table (rule paper_code_index), not in the captions."""
    merged: dict[str, tuple[str, str]] = {}
    for path in number_files:
        for name, text in json.loads(open(path).read()).items():
            if name in merged:
                raise ValueError(f"macro \\{name} is defined by both {merged[name][1]} and {path}")
            merged[name] = (text, str(path))
    check_macro_names(merged)
    lines = ["% Generated by the paper_macros rule from results/*/numbers.json. Do not edit."]
    lines += [f"\\newcommand{{\\{name}}}{{{macro_body(text)}}}  % {source}" for name, (text, source) in sorted(merged.items())]
    return "\n".join(lines) + "\n"


# A macro whose whole text is words (\\text{...}): set as text, so that a line can break inside it.
WORDS_ONLY = re.compile(r"^\\text\{([^{}]*)\}$")


def macro_body(text: str) -> str:
    """The body of a number's \\newcommand: math in \\ensuremath (usable in and out of $...$); words in \\textnormal,
    which also works in both but breaks across lines in running text."""
    words = WORDS_ONLY.match(text)
    return rf"\textnormal{{{words.group(1)}}}" if words else rf"\ensuremath{{{text}}}"


def table_setup(size: str | None, tabcolsep_pt: float | None) -> list[str]:
    """The lines after a table's \\centering: the space between columns (LaTeX's default is 6 pt) and the font size
    (``size``: "small" or "footnotesize"; None keeps the text's)."""
    return ([f"\\setlength{{\\tabcolsep}}{{{tabcolsep_pt:g}pt}}"] if tabcolsep_pt is not None else []) + (
        [f"\\{size}"] if size else [])


def booktabs_table(frame: pd.DataFrame, caption: str, label: str, column_format: str | None = None,
                   size: str | None = None, tabcolsep_pt: float | None = None, long: bool = False) -> str:
    """A booktabs table from a DataFrame whose cells are already LaTeX text (pandas Styler.to_latex), set as
    `table_setup` says. ``long``: a longtable (package longtable), set where it stands and broken across pages, its
    header repeated under a short "(continued)" caption, for a table taller than a page."""
    styler = frame.style.hide(axis="index")
    format_ = column_format or "l" * frame.shape[1]
    setup = "".join(line + "\n" for line in table_setup(size, tabcolsep_pt))
    if long:
        text = styler.to_latex(caption=caption, label=label, hrules=True, environment="longtable",
                               column_format=format_)
        text = text.replace(f"\\caption[]{{{caption}}}", "\\caption[]{(continued)}", 1)
        return "\\begingroup\n" + setup + text + "\\endgroup\n"
    text = styler.to_latex(caption=caption, label=label, hrules=True, position="tbp", position_float="centering",
                           column_format=format_)
    return text.replace("\\centering\n", "\\centering\n" + setup, 1)


# A table's method column, wrapped when a label is long ("RLHF on r̂ (noisy), replication"); needs the array package.
METHOD_COLUMN = r">{\raggedright\arraybackslash}p{3.1cm}"


def stacked_interval(mean: float, low: float, high: float, digits: int = 2) -> str:
    """A table cell with the mean above its interval (two lines, so that six columns of intervals fit the text
    width); the mean alone without an interval, -- without a mean."""
    if not np.isfinite(mean):
        return "--"
    if not np.isfinite(low):
        return f"${fmt(mean, digits)}$"
    largest = max(abs(mean), abs(low), abs(high))
    if 0 < largest < 1e-3:  # one power of ten for all three: 3.3×10^{-6} over [2.9, 3.7]
        exponent = math.floor(math.log10(largest))
        scale = 10.0 ** -exponent
        text = rf"{fmt(mean * scale, digits)}\times 10^{{{exponent}}}"
        bounds = f"[{fmt(low * scale, digits)}, {fmt(high * scale, digits)}]"
    else:
        text, bounds = fmt_interval(mean, low, high, digits).split(r"\,", 1)
    # Top-aligned, so that the mean sits on the row's baseline beside the method's name.
    return rf"\begin{{tabular}}[t]{{@{{}}r@{{}}}}${text}$\\${bounds}$\end{{tabular}}"


def method_cell(name: str, env: str | None = None) -> str:
    """A method's name as a table cell: its one display label (report/style.py), as in every figure; a difference
    of two methods ("rlhf_m1 - rlhf") as the difference of their labels; a key without a label with its underscores
    escaped."""
    from .style import METHOD_LABELS, method_label

    def one(key: str) -> str:
        label = method_label(key, env, tex=True)
        return label.replace("_", r"\_") if key not in METHOD_LABELS else label

    return " $-$ ".join(one(part.strip()) for part in str(name).split(" - "))


def grouped_table(groups, columns, caption: str, label: str, column_format: str, size: str | None = "small",
                  tabcolsep_pt: float | None = None, long: bool = False) -> str:
    """A booktabs table of the text's width whose rows come in groups, each under a heading that spans the table
    (a prediction above the methods that test it), so that a long shared text is set once.

    ``groups``: [(heading, rows)], rows a list of lists of LaTeX cells; ``columns``: the header cells;
    ``column_format``: one letter per column (l, r, c), spread over the text width; ``size`` and ``tabcolsep_pt`` as
    in `table_setup` (here the least space between columns); ``long``: a longtable (package longtable) of the text's
    width, set where it stands and broken across pages under its repeated header, for a table taller than a page.
    """
    n = len(columns)
    header = ["\\toprule", " & ".join(columns) + " \\\\", "\\midrule"]
    spread = f"@{{\\extracolsep{{\\fill}}}}{column_format}@{{}}"
    if long:
        lines = ["\\begingroup", *table_setup(size, tabcolsep_pt), "\\setlength{\\LTleft}{0pt}",
                 "\\setlength{\\LTright}{0pt}", f"\\begin{{longtable}}{{{spread}}}",
                 f"\\caption{{{caption}}}\\label{{{label}}} \\\\", *header, "\\endfirsthead",
                 "\\caption[]{(continued)} \\\\", *header, "\\endhead", "\\bottomrule", "\\endfoot",
                 "\\bottomrule", "\\endlastfoot"]
    else:
        lines = ["\\begin{table}[tbp]", "\\centering", *table_setup(size, tabcolsep_pt), f"\\caption{{{caption}}}",
                 f"\\label{{{label}}}", f"\\begin{{tabular*}}{{\\linewidth}}{{{spread}}}", *header]
    for i, (heading, rows) in enumerate(groups):
        if i:
            lines.append("\\addlinespace")
        lines.append(f"\\multicolumn{{{n}}}{{@{{}}p{{\\linewidth}}@{{}}}}{{\\emph{{{heading}}}}} \\\\")
        lines += [" & ".join(row) + " \\\\" for row in rows]
    lines += ["\\end{longtable}", "\\endgroup", ""] if long else ["\\bottomrule", "\\end{tabular*}", "\\end{table}", ""]
    return "\n".join(lines)


def texttt(name: str) -> str:
    """``name`` (a rule or function name) in typewriter type, underscores escaped."""
    return r"\texttt{" + name.replace("_", r"\_") + "}"
