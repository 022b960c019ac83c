"""Every shell command of the README files works as written: each fenced bash block is dry-run.

Workflow commands (`snakemake …`, `.venv/bin/snakemake …`) get `--dry-run`, make targets get `make -n`,
and any other line (a heredoc that writes a config file) runs as written. Each block runs with
`bash -euo pipefail` in a scratch copy of the repository, so a block that writes a file leaves the
checkout untouched. A line of a kind this test does not know fails it: a new kind of command must be
taught here, not skipped.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, snakemake_executable

pytestmark = pytest.mark.workflow
DOCUMENTS = ["README.md", "profiles/slurm/README.md", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.S | re.M)
SNAKEMAKE = re.compile(r"^(?:\.venv/bin/)?snakemake(?=\s)")
MAKE = re.compile(r"^make(?=\s|$)")


def blocks(document: str) -> list[str]:
    return FENCE.findall((REPO / document).read_text())


def dry(block: str) -> str:
    """The block with `--dry-run` after every snakemake and `-n` after every make; other lines as written."""
    out, heredoc_end = [], None
    for line in block.splitlines():
        stripped = line.strip()
        if heredoc_end is not None:
            heredoc_end = None if stripped == heredoc_end else heredoc_end
            out.append(line)
        elif not stripped or stripped.startswith("#") or line.startswith((" ", "\t")):
            out.append(line)  # blank, comment, or the continuation of the previous command
        elif SNAKEMAKE.match(stripped):
            out.append(SNAKEMAKE.sub('"$SNAKEMAKE" --dry-run', stripped, count=1))
        elif MAKE.match(stripped):
            out.append(MAKE.sub("make -n", stripped, count=1))
        elif match := re.match(r"^cat > \S+ <<'?(\w+)'?$", stripped):
            heredoc_end = match.group(1)
            out.append(line)
        else:
            raise AssertionError(f"README command of an unknown kind (teach tests/test_readme_commands.py): {line!r}")
    return "\n".join(out) + "\n"


def scratch_copy(destination: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".git", "work", ".snakemake", "logs", "build", "__pycache__")
    shutil.copytree(REPO, destination, ignore=ignore, symlinks=True)
    return destination


CASES = [(document, index, block) for document in DOCUMENTS for index, block in enumerate(blocks(document))]


def test_the_readme_has_commands_to_check():
    assert sum(document == "README.md" for document, _, _ in CASES) >= 4
    assert any("my-model" in block for _, _, block in CASES)


def test_a_command_of_an_unknown_kind_is_refused():
    with pytest.raises(AssertionError, match="unknown kind"):
        dry("rm -rf results\n")
    assert dry(".venv/bin/snakemake --cores all x  # y\nmake verify CONFIG=a\n") == (
        '"$SNAKEMAKE" --dry-run --cores all x  # y\nmake -n verify CONFIG=a\n'
    )


@pytest.mark.parametrize(("document", "index", "block"), CASES, ids=[f"{d}#{i}" for d, i, _ in CASES])
def test_readme_block_dry_runs(document, index, block, tmp_path):
    copy = scratch_copy(tmp_path / "repo")
    environment = {**os.environ, "SNAKEMAKE": snakemake_executable(), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", dry(block)], cwd=copy, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{document} block {index} failed:\n{block}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
