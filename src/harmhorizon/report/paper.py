"""Stage the LaTeX sources with the DAG's generated files and compile them with latexmk."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from ..io import atomic_path
from .latex import booktabs_table, texttt
from .paper_checks import overfull_boxes, oversized_floats, typed_numbers_in, unresolved_references

# The widest overfull line the paper may have (docs/architecture.md, "The paper's checks").
OVERFULL_LIMIT_PT = 5.0


def check_sources(paper_dir) -> None:
    """Refuse sources that type a number by hand (paper_checks.typed_numbers) before anything compiles."""
    paper_dir = Path(paper_dir)
    found = typed_numbers_in([paper_dir / "main.tex", *sorted((paper_dir / "sections").glob("*.tex"))])
    if found:
        listing = "\n".join(map(str, found))
        raise ValueError(f"the paper types {len(found)} number(s) by hand; make each a macro of its track's numbers.json "
                         f"(report/*.py), or write it in words where it is not a result:\n{listing}")


def stage_paper(paper_dir, stage_dir, macros, generated) -> Path:
    """Copy main.tex, sections/ and references.bib, then the generated files into the stage.

    results/figures/X → figures/X, results/tables/X → tables/X, macros → generated/macros.tex.
    """
    paper_dir, stage = Path(paper_dir), Path(stage_dir)
    check_sources(paper_dir)
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "generated").mkdir(parents=True)
    shutil.copy(paper_dir / "main.tex", stage / "main.tex")
    shutil.copy(paper_dir / "references.bib", stage / "references.bib")
    shutil.copytree(paper_dir / "sections", stage / "sections")
    shutil.copy(macros, stage / "generated" / "macros.tex")
    for path in map(Path, generated):
        parts = path.parts
        if "figures" in parts:
            relative = Path(*parts[parts.index("figures"):])
        elif "tables" in parts:
            relative = Path(*parts[parts.index("tables"):])
        else:
            raise ValueError(f"paper input {path} is neither under results/figures nor results/tables")
        (stage / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, stage / relative)
    return stage


def compile_paper(stage: Path, pdf_out, log: logging.Logger, overfull_limit_pt: float = OVERFULL_LIMIT_PT) -> None:
    """latexmk -pdf in the stage; fail on errors, on any undefined reference or citation, on a line wider than the
    text by more than overfull_limit_pt and on a float taller than a page."""
    if shutil.which("latexmk") is None:
        raise RuntimeError("latexmk not found: run `make setup` (installs TeX Live when root) or "
                           "`apt-get install latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended`")
    command = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "main.tex"]
    # TeX writes its messages in the fonts' 8-bit encodings (an overfull line holding \\S prints byte 0xa7).
    result = subprocess.run(command, cwd=stage, capture_output=True, text=True, encoding="utf-8", errors="replace")
    log.info("%s", result.stdout[-20000:])
    if result.returncode != 0:
        raise RuntimeError(f"latexmk failed (exit {result.returncode}); see {stage / 'main.log'}:\n{result.stdout[-3000:]}")
    latex_log = (stage / "main.log").read_text(errors="replace")
    unresolved = unresolved_references(latex_log)
    if unresolved:
        raise RuntimeError(f"the paper has unresolved references: {unresolved}; see {stage / 'main.log'}")
    overfull = overfull_boxes(latex_log, overfull_limit_pt)
    if overfull:
        listing = "\n".join(overfull)
        raise RuntimeError(f"the paper has {len(overfull)} line(s) wider than the text by more than {overfull_limit_pt}pt "
                           f"(see {stage / 'main.log'}):\n{listing}")
    oversized = oversized_floats(latex_log)
    if oversized:
        raise RuntimeError(f"the paper has {len(oversized)} float(s) taller than a page, set past its bottom margin (see "
                           f"{stage / 'main.log'}): make each a longtable (long=True):\n" + "\n".join(oversized))
    with atomic_path(pdf_out) as tmp:
        shutil.copy(stage / "main.pdf", tmp)


FIGURE_BLOCK = re.compile(r"\\begin\{figure\*?\}.*?\\end\{figure\*?\}", re.S)
GRAPHICS = re.compile(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]+)\}")
LABEL = re.compile(r"\\label\{([^}]+)\}")
INPUT = re.compile(r"\\input\{([^}]+)\}")


def sections_in_paper_order(sources) -> list[str]:
    """The texts of the sections that main.tex inputs, in its order (``sources``: paths of main.tex and the sections)."""
    by_name = {Path(path).name: Path(path) for path in sources}
    names = [Path(name).name for name in INPUT.findall(by_name["main.tex"].read_text()) if name.startswith("sections/")]
    return [by_name[name if name.endswith(".tex") else name + ".tex"].read_text() for name in names]


def artefact_labels(sections, tables: dict) -> dict[str, list[str]]:
    """{artefact under results/: its LaTeX labels}, in the order the paper shows them: a figure's from the figure
    environment that includes it (``sections``: the section sources in paper order), a table's from the generated
    file itself (``tables``: {results/tables/... path: its text})."""
    by_stage = {f"tables/{Path(path).relative_to('results/tables')}": path for path in tables}
    labels = {}
    for text in sections:
        figures = {m.start(): m.group(0) for m in FIGURE_BLOCK.finditer(text)}
        inputs = {m.start(): m.group(1) for m in INPUT.finditer(text) if m.group(1) in by_stage}
        for start in sorted(figures | inputs):
            if start in figures:
                for graphic in GRAPHICS.findall(figures[start]):
                    labels[f"results/{graphic}"] = LABEL.findall(figures[start])
            else:
                path = by_stage[inputs[start]]
                labels[path] = LABEL.findall(tables[path])
    return labels


def code_index_table(index: pd.DataFrame, labels: dict) -> str:
    """The appendix table from every figure and table of the paper to the rule and the script that drew it
    (rule paper_index), in the order the paper shows them."""
    rules = index.set_index("artefact")
    rows = []
    for artefact, names in labels.items():
        kind = "Figure" if artefact.startswith("results/figures/") else "Table"
        refs = ", ".join(rf"{kind}~\ref{{{name}}}" for name in names)
        row = rules.loc[artefact]
        rows.append({"shown as": refs, "rule": texttt(row.rule), "script": texttt(Path(row.script).name)})
    frame = pd.DataFrame(rows, columns=["shown as", "rule", "script"])
    return booktabs_table(frame, caption=r"From each figure and table to the code that drew it: the Snakemake rule "
                          r"and its script (in \texttt{workflow/scripts/}), which calls one function of "
                          r"\texttt{harmhorizon.report}. Rerun one with \texttt{snakemake --forcerun} followed by the rule's name.",
                          label="tab:code-index", column_format="lll", size="small")
