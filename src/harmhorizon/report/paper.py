"""Stage the LaTeX sources with the DAG's generated files and compile them with latexmk."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

from ..io import atomic_path

UNRESOLVED = re.compile(r"(undefined references|Citation .* undefined|Reference .* undefined|There were undefined)")


def stage_paper(paper_dir, stage_dir, macros, generated) -> Path:
    """Copy main.tex, sections/ and references.bib, then the generated files into the stage.

    results/figures/X → figures/X, results/tables/X → tables/X, macros → generated/macros.tex.
    """
    paper_dir, stage = Path(paper_dir), Path(stage_dir)
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


def compile_paper(stage: Path, pdf_out, log: logging.Logger) -> None:
    """latexmk -pdf in the stage; fail on errors and on any undefined reference or citation."""
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
    unresolved = sorted(set(m.group(0) for m in UNRESOLVED.finditer(latex_log)))
    if unresolved:
        raise RuntimeError(f"the paper has unresolved references: {unresolved}; see {stage / 'main.log'}")
    with atomic_path(pdf_out) as tmp:
        shutil.copy(stage / "main.pdf", tmp)
