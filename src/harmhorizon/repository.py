"""Where the repository is, for the tools that run the DAG from outside it (`verify`, `bench`).

The tools take the repository as an argument (`--repo`); without it they use the repository that holds
the current directory, and only then the one this package was installed from (an editable install).
A folder is the repository when it holds the `Snakefile` and `config/schema.yaml`.
"""

from __future__ import annotations

from pathlib import Path


def is_repository(folder: Path) -> bool:
    return (folder / "Snakefile").is_file() and (folder / "config" / "schema.yaml").is_file()


def find_repository(start: str | Path | None = None) -> Path:
    """``start`` if given (it must be the repository), else the nearest repository at or above the
    current directory, else the folder this package sits in (src layout); a clear error otherwise."""
    if start is not None:
        folder = Path(start).resolve()
        if not is_repository(folder):
            raise FileNotFoundError(f"--repo {folder} is not a harm-horizon repository (no Snakefile and "
                                    "config/schema.yaml); pass the folder that holds them")
        return folder
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if is_repository(folder):
            return folder
    installed = Path(__file__).resolve().parents[2]
    if is_repository(installed):
        return installed
    raise FileNotFoundError("no harm-horizon repository at or above the current directory; run from the "
                            "repository or pass --repo <path>")


def default_repository() -> Path | None:
    """`find_repository()` or None, for module defaults that must not fail at import."""
    try:
        return find_repository()
    except FileNotFoundError:
        return None
