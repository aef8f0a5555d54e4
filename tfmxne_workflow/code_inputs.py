"""The project modules a rule script runs, found by walking its imports.

Snakemake reruns a rule when its script changes (``rerun-triggers: code``) but not when a
module that the script imports changes. Each rule therefore declares the files of
those modules as inputs, and this walk derives them, so a helper edit cannot be
missed by a hand-kept list.

Only the project's own packages count: :data:`WALKED` (whose imports are followed,
including imports inside functions) and :data:`WHOLE` (the solver: importing any part
of it depends on all of it, since ``tfmxne`` resolves its public names lazily).
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

#: Packages whose modules are followed import by import.
WALKED = ("tfmxne_workflow",)
#: Packages that count as one unit: every module file of them.
WHOLE = ("tfmxne",)


def _module_file(root: Path, name: str) -> Path | None:
    """``root/a/b.py`` or ``root/a/b/__init__.py`` for module ``a.b``, if it exists."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(tree: ast.AST, package: str) -> set[str]:
    """Absolute names of every module a parsed file may import (``package``: its own)."""
    names = set()
    for node in ast.walk(tree):
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
    return names


@functools.lru_cache(maxsize=None)
def _walk(root: Path, fname: Path, package: str) -> frozenset[Path]:
    """Project module files that ``fname`` imports, directly or not (import cycles allowed)."""
    found, todo = set(), [(fname, package)]
    while todo:
        current, own_package = todo.pop()
        for name in _imported_names(ast.parse(current.read_text(encoding="utf-8")), own_package):
            top = name.split(".")[0]
            if top in WHOLE:
                found.update((root / top).rglob("*.py"))
                continue
            if top not in WALKED:
                continue
            # the module itself and the packages it lives in (their __init__ runs first)
            for depth in range(1, name.count(".") + 2):
                module = ".".join(name.split(".")[:depth])
                path = _module_file(root, module)
                if path is None or path in found:
                    continue
                found.add(path)
                todo.append((path, module if path.name == "__init__.py" else module.rpartition(".")[0]))
    return frozenset(found)


def code_inputs(script, root) -> list[str]:
    """Sorted files of the project modules that ``script`` imports, directly or not.

    Parameters
    ----------
    script : str | Path
        A rule script (``scripts/<rule>.py``).
    root : str | Path
        The repository root (where the packages live).
    """
    root = Path(root).resolve()
    return sorted(str(p) for p in _walk(root, Path(script).resolve(), ""))
