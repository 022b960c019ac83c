"""The pins agree everywhere: pyproject.toml, requirements.lock and the conda env files in envs/."""

import re
import tomllib

import pytest
import yaml

from conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    pins = {}
    for requirement in requirements:
        match = PIN.match(requirement)
        assert match, f"pyproject.toml: {requirement!r} is not pinned with =="
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def test_every_lock_entry_is_pinned_and_agrees_with_pyproject():
    pins = pyproject_pins()
    lock = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = PIN.match(line.strip())
            assert match, f"requirements.lock: {line!r} is not pinned"
            lock[canonical(match.group(1))] = match.group(2)
    for name, version in pins.items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"


@pytest.mark.parametrize("env_file", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_conda_env_pins_match_pyproject(env_file):
    pins = pyproject_pins()
    spec = yaml.safe_load(env_file.read_text())
    pip_entries = [entry for item in spec["dependencies"] if isinstance(item, dict) for entry in item.get("pip", [])]
    checked = 0
    for entry in pip_entries:
        match = PIN.match(entry)
        if match:
            name, version = canonical(match.group(1)), match.group(2)
            assert pins.get(name) == version, f"{env_file.name}: {name}=={version}, pyproject has {pins.get(name)}"
            checked += 1
    assert checked > 0, f"{env_file.name} pins nothing"


def test_nodeps_packages_are_pinned():
    for line in (REPO / "requirements-nodeps.txt").read_text().split():
        assert PIN.match(line), line
