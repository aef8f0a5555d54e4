"""Atomic writes: every derivative is written under a temporary name, then renamed.

A killed job therefore never leaves a file that looks complete: either the old file
(or nothing) is there, or the whole new file is. The temporary name is a hidden
sibling ``.tmp-<random>-<pid>-<host>-<name>``; a later write of the same file removes
the temporaries that a dead process of this host left behind (a SIGKILL gives no
chance to clean up). Files are flushed to disk (``fsync``) before the rename, so a
node crash cannot leave a renamed but empty file either.
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import socket
import uuid
from pathlib import Path

#: Temporary names: ``.tmp-<8 hex>-<pid>-<host, letters and digits>-<final name>``.
_TMP = re.compile(r"^\.tmp-[0-9a-f]{8}-(?P<pid>\d+)-(?P<host>[A-Za-z0-9]*)-(?P<name>.+)$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32]


def _temporary_sibling(path: Path) -> Path:
    """Name a temporary file next to ``path`` that keeps its name ending.

    MNE checks file name endings (``_ave.fif``, ``-fwd.fif`` ...), so the temporary
    name only gets a hidden prefix (with the writer's process id and host, see
    :func:`remove_stale_temporaries`).
    """
    return path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{os.getpid()}-{_host()}-{path.name}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(path) -> list[Path]:
    """Remove the temporaries of ``path`` left by dead processes of this host.

    A job killed while writing (SIGKILL, out of memory, node reboot) leaves its hidden
    ``.tmp-...-<name>`` file or folder beside ``path``. Temporaries of live processes,
    or of other hosts (a shared file system), are left alone.

    Returns
    -------
    removed : list of Path
    """
    path = Path(path)
    removed = []
    if not path.parent.is_dir():
        return removed
    host = _host()
    for tmp in path.parent.glob(f".tmp-*-{glob.escape(path.name)}"):
        m = _TMP.match(tmp.name)
        if not m or m["name"] != path.name or m["host"] != host or _pid_alive(int(m["pid"])):
            continue
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def _fsync_tree(path: Path) -> None:
    """Flush a written file (or every file of a written folder) to disk."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for f in files:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
    remove_stale_temporaries(path)
    tmp = _temporary_sibling(path)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"Nothing was written to {tmp} (for {path})")
        _fsync_tree(tmp)
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


def save_npz(path, arrays: dict) -> None:
    """Save named numpy arrays (``numpy.savez_compressed``) atomically."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)


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
    base.parent.mkdir(parents=True, exist_ok=True)
    for hemi in ("lh", "rh"):
        remove_stale_temporaries(f"{base}-{hemi}.stc")
    tmp_base = _temporary_sibling(base)
    try:
        stc.save(tmp_base, ftype="stc", overwrite=True, verbose="error")
        for hemi in ("lh", "rh"):
            _fsync_tree(Path(f"{tmp_base}-{hemi}.stc"))
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


def save_report(report, path) -> None:
    """Save an :class:`mne.Report` as one HTML file atomically."""
    with atomic_path(path) as tmp:
        report.save(tmp, open_browser=False, overwrite=True, verbose="error")
