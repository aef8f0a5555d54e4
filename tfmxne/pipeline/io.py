"""Atomic writes: every derivative is written under a temporary name, then renamed.

A killed job therefore never leaves a file that looks complete: either the old file
(or nothing) is there, or the whole new file is.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path


def _temporary_sibling(path: Path) -> Path:
    """Name a temporary file next to ``path`` that keeps its name ending.

    MNE checks file name endings (``_ave.fif``, ``-fwd.fif`` ...), so the temporary
    name only gets a hidden prefix.
    """
    return path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path to write to; rename it to ``path`` on success.

    Parameters
    ----------
    path : str | Path
        Final file (or directory) name.

    Yields
    ------
    tmp : Path
        Where to write. On an exception it is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_sibling(path)
    try:
        yield tmp
        if path.is_dir() and tmp.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path, obj) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_jsonable) + "\n")


def write_tsv(path, frame) -> None:
    """Write a pandas DataFrame as a BIDS TSV (tab separated, ``n/a`` for missing)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, na_rep="n/a", float_format="%.6g")


def save_fif(obj, path) -> None:
    """Save any MNE object with a ``save(fname, overwrite=...)`` method atomically."""
    with atomic_path(path) as tmp:
        obj.save(tmp, overwrite=True, verbose="error")


def write_forward(fwd, path) -> None:
    """Write a forward solution atomically."""
    import mne

    with atomic_path(path) as tmp:
        mne.write_forward_solution(tmp, fwd, overwrite=True, verbose="error")


def write_cov(cov, path) -> None:
    """Write a covariance atomically."""
    with atomic_path(path) as tmp:
        cov.save(tmp, overwrite=True, verbose="error")


def stc_basename(lh_path) -> str:
    """The name MNE expects for ``stc.save``: the ``-lh.stc`` file without that ending."""
    lh_path = str(lh_path)
    if not lh_path.endswith("-lh.stc"):
        raise ValueError(f"Expected a '-lh.stc' file name, got {lh_path!r}")
    return lh_path[: -len("-lh.stc")]


def save_stc(stc, lh_path) -> None:
    """Save a surface source estimate (two files ``*-lh.stc``/``*-rh.stc``) atomically.

    Parameters
    ----------
    stc : mne.SourceEstimate
        The estimate; vector estimates are saved as their magnitude.
    lh_path : str | Path
        The left-hemisphere file name, ending in ``-lh.stc``.
    """
    import mne

    if isinstance(stc, mne.VectorSourceEstimate):
        stc = stc.magnitude()
    base = Path(stc_basename(lh_path))
    tmp_base = _temporary_sibling(base)
    try:
        stc.save(tmp_base, ftype="stc", overwrite=True, verbose="error")
        for hemi in ("lh", "rh"):
            os.replace(f"{tmp_base}-{hemi}.stc", f"{base}-{hemi}.stc")
    finally:
        for hemi in ("lh", "rh"):
            Path(f"{tmp_base}-{hemi}.stc").unlink(missing_ok=True)


def _jsonable(obj):
    """Convert numpy scalars/arrays and paths for ``json.dumps``."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"Not JSON serialisable: {type(obj).__name__}")
