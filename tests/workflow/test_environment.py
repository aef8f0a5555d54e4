"""The conda environment and the pip lock must pin the same versions."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _lock_pins():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _conda_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "==" in dep:
            name, version = dep.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_conda_environment_matches_pip_lock():
    lock, conda = _lock_pins(), _conda_pins()
    assert conda, "environment.yml pins nothing"
    missing = sorted(set(conda) - set(lock))
    assert not missing, f"pinned in environment.yml but not in requirements.lock: {missing}"
    differ = {n: (v, lock[n]) for n, v in conda.items() if lock[n] != v}
    assert not differ, f"environment.yml vs requirements.lock versions differ: {differ}"


def test_top_level_requirements_are_locked():
    lock = _lock_pins()
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            assert lock.get(name.lower()) == version, f"{name} in requirements.in is not locked at {version}"
