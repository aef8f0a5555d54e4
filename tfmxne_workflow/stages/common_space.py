"""Every subject's sources in one space: their fsaverage vertex and MNI305 coordinates.

fsaverage's surface RAS *is* MNI305 (mm), so a source's MNI coordinates are those of
the fsaverage white-surface vertex it maps to. Each source vertex goes to the nearest
fsaverage vertex on the registered spheres (``surf/?h.sphere.reg``): what
``mne.compute_source_morph(..., sparse=True)`` does, except that MNE takes the vertex of
largest barycentric weight in the enclosing triangle (a neighbour, for a few percent of
vertices), and that this needs no fsaverage subject folder. On the template
head the cortex is fsaverage5 itself, so the mapping is the identity.

fsaverage is read from ``<subjects_dir>/fsaverage`` when that folder exists, else the
packaged fsaverage5 (nilearn) that the template head uses. fsaverage5's 10242 vertices
per hemisphere are the first 10242 of fsaverage's (icosahedral subdivision), with the
same positions, so vertex numbers mean the same on both.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the workflow's parse imports this module for its paths: no pandas/scipy
    import pandas as pd

HEMIS = ("lh", "rh")
#: Columns added to ``*_sources.tsv``.
COLUMNS = ["fsaverage_vertex", "x_mni", "y_mni", "z_mni"]


def fsaverage_files(subjects_dir) -> list[Path] | None:
    """``?h.white`` and ``?h.sphere.reg`` of ``<subjects_dir>/fsaverage``; None without that folder."""
    if subjects_dir is None or not (Path(subjects_dir) / "fsaverage").is_dir():
        return None
    surf = Path(subjects_dir) / "fsaverage" / "surf"
    return [surf / f"{h}.{kind}" for h in HEMIS for kind in ("white", "sphere.reg")]


def subject_spheres(subjects_dir, subject) -> list[Path]:
    """The subject's registered spheres ``surf/{lh,rh}.sphere.reg``."""
    return [Path(subjects_dir) / subject / "surf" / f"{h}.sphere.reg" for h in HEMIS]


def read_fsaverage(subjects_dir=None) -> dict:
    """fsaverage per hemisphere: ``{hemi: (white_mm, unit_sphere)}``.

    From ``<subjects_dir>/fsaverage`` when it exists, else the packaged fsaverage5.
    """
    import mne

    files = fsaverage_files(subjects_dir)
    out = {}
    for hemi in HEMIS:
        if files is None:
            from ..headmodels.template import read_fsaverage5_surface

            white = read_fsaverage5_surface("white", hemi)[0]
            sphere = read_fsaverage5_surface("sphere", hemi)[0]
        else:
            surf = files[0].parent
            white = mne.read_surface(surf / f"{hemi}.white")[0]
            sphere = mne.read_surface(surf / f"{hemi}.sphere.reg")[0]
        out[hemi] = (white, _unit(sphere))
    return out


def _unit(rr):
    return rr / np.linalg.norm(rr, axis=1, keepdims=True)


def nearest_on_sphere(subject_sphere, vertices, fsaverage_sphere) -> np.ndarray:
    """fsaverage vertex nearest (on the registered unit spheres) to each subject vertex."""
    from scipy.spatial import cKDTree

    if not len(vertices):
        return np.zeros(0, int)
    _, idx = cKDTree(fsaverage_sphere).query(_unit(subject_sphere[np.asarray(vertices)]))
    return idx.astype(int)


def map_to_fsaverage(table, fsaverage, subject_spheres_rr=None) -> pd.DataFrame:
    """``table`` (hemi, vertex) with :data:`COLUMNS` added.

    Parameters
    ----------
    table : DataFrame
        Sources with ``hemi`` and ``vertex`` (the subject's surface vertex).
    fsaverage : dict
        :func:`read_fsaverage`.
    subject_spheres_rr : dict | None
        ``{hemi: sphere.reg vertices}`` of the subject; None when its cortex is
        fsaverage(5) itself (template head): identity.
    """
    out = table.copy()
    fs_vertex = np.zeros(len(out), int)
    for hemi in HEMIS:
        rows = np.flatnonzero(out["hemi"].to_numpy() == hemi)
        vertices = out["vertex"].to_numpy(int)[rows]
        if subject_spheres_rr is None:
            fs_vertex[rows] = vertices
        else:
            fs_vertex[rows] = nearest_on_sphere(subject_spheres_rr[hemi], vertices, fsaverage[hemi][1])
    out["fsaverage_vertex"] = fs_vertex
    xyz = np.zeros((len(out), 3))
    for hemi in HEMIS:
        rows = np.flatnonzero(out["hemi"].to_numpy() == hemi)
        xyz[rows] = fsaverage[hemi][0][fs_vertex[rows]]
    out[["x_mni", "y_mni", "z_mni"]] = xyz
    return out


def read_subject_spheres(files) -> dict:
    """``{hemi: vertices}`` of the ``[lh, rh]`` sphere.reg files."""
    import mne

    return {hemi: mne.read_surface(f)[0] for hemi, f in zip(HEMIS, files)}
