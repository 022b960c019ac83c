"""The checks the paper rule enforces (docs/architecture.md, "The paper's checks"): no hand-typed number, no
overfull line, no dangling reference.

- `typed_numbers`: every number the paper states comes from a generated macro (rule paper_macros). A numeral in a
  section's source is allowed only where it is not a result: a year, a numbered result or section of a cited work
  ("Theorem~8", "Appendix~A"), a name that starts with a letter ("SmolLM2-135M", "E5"), the confidence level
  "95\\%" of every interval, and in math a single digit (the 2 of 2β², the 4 of p/4, the 0 of Z_0): a formula's
  constants, not results. Everything else is reported with its file and line.
- `overfull_boxes`: TeX's "Overfull \\hbox (Xpt too wide)" warnings wider than a limit.
- `unresolved_references`: undefined references and citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

OVERFULL = re.compile(r"Overfull \\hbox \((?P<width>[\d.]+)pt too wide\) (?P<where>[^\n]*)")
FLOAT_TOO_LARGE = re.compile(r"Float too large for page by (?P<height>[\d.]+)pt on input line (?P<line>\d+)")
UNRESOLVED = re.compile(r"(undefined references|Citation .* undefined|Reference .* undefined|There were undefined)")

# Commands whose braced argument is a key, a path or a length, never prose.
ARGUMENT_COMMANDS = ("label", "ref", "eqref", "autoref", "cref", "Cref", "pageref", "cite", "citet", "citep",
                     "citeauthor", "citeyear", "input", "include", "includegraphics", "bibliography",
                     "bibliographystyle", "begin", "end", "hspace", "vspace", "setlength", "url", "href", "texttt",
                     "newcommand", "renewcommand", "usepackage", "documentclass", "rule", "multicolumn", "path",
                     "resizebox", "scalebox", "raisebox", "fontsize")
ARGUMENTS = re.compile(r"\\(?:" + "|".join(ARGUMENT_COMMANDS) + r")\*?(?:\[[^\]]*\])*(?:\{[^{}]*\})+")
COMMENT = re.compile(r"(?<!\\)%[^\n]*")
MATH = re.compile(r"\\\[.*?\\\]|\\\(.*?\\\)|\$\$.*?\$\$|\$(?:\\\$|[^$])*?\$"
                  r"|\\begin\{(equation|align|gather|multline|eqnarray)\*?\}.*?\\end\{\1\*?\}", re.S)
NUMERAL = re.compile(r"(?<![A-Za-z0-9\\])\d+(?:\.\d+)*")
# A name starting with a letter, digits and hyphens inside it: SmolLM2-135M-Instruct, GPT-2, E5, Q4\_1.
NAME = re.compile(r"(?<![\w\\])[A-Za-z][A-Za-z0-9]*(?:(?:-|\\_)[A-Za-z0-9]+)+|(?<![\w\\])[A-Za-z]+\d[A-Za-z0-9]*")
# A cited work's numbered results or sections, lists included: "Thms.~8--10 and~13", "§4--§7", "Defs.~1, 3 and 5".
RESULT_WORDS = (r"Theorem|Thm|Corollary|Cor|Lemma|Proposition|Prop|Definition|Def|Remark|Assumption|Example|"
                r"Appendix|Section|Equation|eq|Eq|\\S|§")
NUMBER_LIST = r"(?:~|\s)*(?:\\S|§)?\d+(?:\.\d+)*"
CITED_RESULT = re.compile(rf"(?:{RESULT_WORDS})s?\.?{NUMBER_LIST}(?:\s*(?:,|--|–|and|or)\s*(?:~)?{NUMBER_LIST})*")
YEAR = re.compile(r"(19|20)\d\d$")
# The confidence level of every interval of the project (intervals.py: confidence=0.95).
ALLOWED_PROSE = {"95\\%"}


@dataclass(frozen=True)
class TypedNumber:
    path: str
    line: int
    number: str
    context: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.number!r} in “{self.context}”"


def _blank(match: re.Match) -> str:
    """Replace a match by spaces, keeping its newlines so that line numbers survive."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _math_allowed(number: str) -> bool:
    """A numeral inside math that is a formula's constant: a single digit."""
    return len(number) == 1


def typed_numbers(text: str, path: str = "<tex>") -> list[TypedNumber]:
    """The numerals of one .tex source that are not allowed (module docstring), in order of appearance."""
    text = COMMENT.sub(_blank, text)
    findings, prose = [], list(text)
    for math in MATH.finditer(text):
        body = ARGUMENTS.sub(_blank, math.group(0))
        for number in NUMERAL.finditer(body):
            if not _math_allowed(number.group(0)):
                findings.append((math.start() + number.start(), number.group(0)))
        prose[math.start():math.end()] = _blank(math)
    prose = "".join(prose)
    for pattern in (ARGUMENTS, NAME, CITED_RESULT):
        prose = pattern.sub(_blank, prose)
    for number in NUMERAL.finditer(prose):
        after = prose[number.end():number.end() + 2]
        if YEAR.match(number.group(0)) or number.group(0) + after in ALLOWED_PROSE:
            continue
        findings.append((number.start(), number.group(0)))
    out = []
    for offset, number in sorted(findings):
        line = text.count("\n", 0, offset) + 1
        source_line = text.splitlines()[line - 1].strip()
        out.append(TypedNumber(path, line, number, source_line[:100]))
    return out


def typed_numbers_in(paths) -> list[TypedNumber]:
    """`typed_numbers` over several .tex files."""
    return [finding for path in map(Path, paths) for finding in typed_numbers(path.read_text(), str(path))]


def overfull_boxes(latex_log: str, limit_pt: float) -> list[str]:
    """The overfull \\hbox warnings of a LaTeX log wider than limit_pt, as 'Xpt: where'."""
    return [f"{m.group('width')}pt {m.group('where').strip()}" for m in OVERFULL.finditer(latex_log)
            if float(m.group("width")) > limit_pt]


def oversized_floats(latex_log: str) -> list[str]:
    """The floats taller than a page (LaTeX sets them past the bottom margin), as 'Xpt: input line N'; such a table
    belongs in a longtable (latex.booktabs_table or grouped_table with long=True)."""
    return [f"{m.group('height')}pt too tall: input line {m.group('line')}" for m in FLOAT_TOO_LARGE.finditer(latex_log)]


def unresolved_references(latex_log: str) -> list[str]:
    """Undefined references or citations named in a LaTeX log."""
    return sorted(set(m.group(0) for m in UNRESOLVED.finditer(latex_log)))
