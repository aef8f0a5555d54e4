"""Lint as the field does it: ruff (with numpy docstrings), snakefmt and ``snakemake --lint``.

The settings are in pyproject.toml. ``ruff check --fix .`` and ``snakefmt .`` fix what
they can.
"""
import collections
import subprocess
import sys
from pathlib import Path

from conftest import REPO, run_snakemake, write_tiny_bids

BIN = Path(sys.executable).parent


def _run(*cmd):
    return subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_ruff_is_clean():
    proc = _run("ruff", "check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_snakefmt_is_clean():
    proc = _run("snakefmt", "--check", ".")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:] + "\nrun `snakefmt .`"


def test_snakemake_lint_is_clean(tmp_path):
    """Every rule (the group stage too: 2 subjects) has log, benchmark and params as Snakemake wants."""
    bids = write_tiny_bids(tmp_path / "bids", subjects=("01", "02"), runs=(None,))
    config = tmp_path / "config.yaml"
    config.write_text(f"bids_root: {bids}\ntask: tiny\nderiv_root: {tmp_path / 'deriv'}\n")
    proc = run_snakemake("--lint", "--configfile", str(config), workdir=tmp_path, timeout=300)
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr, (
        proc.stdout[-4000:])


def test_test_modules_have_unique_names():
    """pytest imports test modules by basename (no packages here): two of one name break collection."""
    names = collections.Counter(p.name for p in REPO.joinpath("tests").rglob("test_*.py"))
    assert [name for name, n in names.items() if n > 1] == []
