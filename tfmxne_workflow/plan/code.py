"""The project modules a rule script runs, found by walking its imports.

Snakemake reruns a rule when its script changes (``rerun-triggers: code``) but not when a
module that the script imports changes. Each rule therefore passes the versions (content
hashes) of those modules as a parameter, ``params.code``, and this walk derives them, so
a helper edit cannot be missed by a hand-kept list. A parameter rather than input files:
an edited module reruns the rules that run it ("params have changed"), and a failing job's
message lists its data, not dozens of code paths.

The walk follows the project's packages (:data:`WALKED`) import by import, imports inside
functions included. ``tfmxne`` resolves its public names lazily, so a name imported from
the package itself (``from tfmxne import tf_mixed_norm``) depends on all of it; a
submodule (``tfmxne._mne_private``) only on itself and the package's ``__init__``.
"""
from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

#: Packages whose modules are followed import by import.
WALKED = ("tfmxne_workflow", "tfmxne")


def _module_file(root: Path, name: str) -> Path | None:
    """``root/a/b.py`` or ``root/a/b/__init__.py`` for module ``a.b``, if it exists."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def _imported_names(fname: Path, package: str) -> frozenset[str]:
    """Absolute names of every module (or module attribute) ``fname`` may import (parsed once)."""
    names = set()
    for node in ast.walk(ast.parse(fname.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def _package_files(root: Path, name: str) -> set[Path]:
    """Every module file of a top-level package whose names resolve lazily."""
    return set((root / name).rglob("*.py"))


@functools.lru_cache(maxsize=None)
def _walk(root: Path, fname: Path, package: str) -> frozenset[Path]:
    """Project module files that ``fname`` imports, directly or not (import cycles allowed)."""
    found, todo = set(), [(fname, package)]
    while todo:
        current, own_package = todo.pop()
        for name in _imported_names(current, own_package):
            parts = name.split(".")
            if parts[0] not in WALKED:
                continue
            if len(parts) == 2 and parts[0] == "tfmxne" and _module_file(root, name) is None:
                found.update(_package_files(root, "tfmxne"))  # a lazy public name
                continue
            # the module itself and the packages it lives in (their __init__ runs first)
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                path = _module_file(root, module)
                if path is None or path in found:
                    continue
                found.add(path)
                todo.append((path, module if path.name == "__init__.py" else module.rpartition(".")[0]))
    return frozenset(found)


def code_files(script, root) -> list[str]:
    """Sorted paths (relative to ``root``) of the project modules ``script`` imports.

    Parameters
    ----------
    script : str | Path
        A rule script (``scripts/<rule>.py``).
    root : str | Path
        The repository root (where the packages live).
    """
    root = Path(root).resolve()
    return sorted(str(p.relative_to(root)) for p in _walk(root, Path(script).resolve(), ""))


def versions(script, root) -> dict:
    """``{module path: content hash}`` of :func:`code_files` (the rule's ``params.code``)."""
    root = Path(root).resolve()
    return {name: _digest(root / name) for name in code_files(script, root)}


@functools.lru_cache(maxsize=None)
def _digest(fname: Path) -> str:
    return hashlib.sha1(fname.read_bytes()).hexdigest()[:12]
