"""One source, one row: neighbouring active vertices with one time course are one source.

TF-MxNE with a loose orientation often spreads one true source over two or three
neighbouring vertices with the same time course; a row per vertex counts it two or three
times.

The rule: two active vertices are *linked* when they lie in the same hemisphere within
``merge_mm`` of each other and their signed time courses (each along its principal
orientation, the solve's ``signed`` estimate) correlate with ``|r| >= min_correlation``
(Pearson, on the reported window; ``|r|``, as a signed time course takes its sign from the
cortical normal, which turns over across a sulcus). A source is a connected component of
the links (single linkage: a chain of linked neighbours is one source).

A source's time course is the sum of its members' signed time courses, each signed to
correlate positively with its strongest member's (the largest peak amplitude): the dipoles
of one patch add up to the patch's moment.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import spectra

HEMIS = ("lh", "rh")


class Source(NamedTuple):
    """One source: its hemisphere and its member vertices, the strongest first."""

    hemi: str
    vertices: list


def row_index(stc, hemi, vertex) -> int:
    """Row of ``stc.data`` of a vertex of hemisphere ``hemi``."""
    h = HEMIS.index(hemi)
    return list(stc.vertices[h]).index(int(vertex)) + (len(stc.vertices[0]) if h else 0)


def correlation(time_courses) -> np.ndarray:
    """Pearson r between the rows of ``time_courses``; 0 with a constant row."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(np.atleast_2d(np.corrcoef(time_courses)))


def find_sources(stc, signed, positions_mm, merge_mm, min_correlation) -> list[Source]:
    """The sources of an estimate by the rule of this module.

    Parameters
    ----------
    stc : mne.SourceEstimate
        Amplitude estimate cropped to the reported window (which vertex is strongest).
    signed : mne.SourceEstimate
        The same vertices' signed time courses (at least on the reported window).
    positions_mm : list of ndarray
        Per hemisphere, the positions (mm) of the source space's surface points.
    merge_mm, min_correlation : float
        The rule's distance (mm) and correlation thresholds.

    Returns
    -------
    sources : list of Source
        Strongest first.
    """
    from scipy.sparse.csgraph import connected_components

    hemis = np.repeat(HEMIS, [len(v) for v in stc.vertices])
    vertices = np.concatenate(stc.vertices).astype(int)
    if not len(vertices):
        return []
    xyz = np.concatenate([positions_mm[h][v] for h, v in enumerate(stc.vertices)])
    inside = spectra.in_window(signed.times, (stc.times[0], stc.times[-1]))
    courses = signed.data[[row_index(signed, h, v) for h, v in zip(hemis, vertices)]][:, inside]
    linked = ((hemis[:, None] == hemis[None])
              & (np.linalg.norm(xyz[:, None] - xyz[None], axis=-1) <= merge_mm)
              & (np.abs(correlation(courses)) >= min_correlation))
    labels = connected_components(linked, directed=False)[1]
    order = np.argsort(-np.abs(stc.data).max(axis=1), kind="stable")  # members: strongest first
    hemis, vertices, labels = hemis[order], vertices[order], labels[order]
    return [Source(str(hemis[labels == c][0]), vertices[labels == c].tolist()) for c in dict.fromkeys(labels)]


def table_sources(table) -> list[Source]:
    """The sources of a ``*_sources.tsv`` table (its ``hemi`` and ``vertices`` columns)."""
    return [Source(hemi, [int(v) for v in str(members).split(";")])
            for hemi, members in zip(table["hemi"], table["vertices"])]


def merged_estimate(signed, sources, window):
    """An estimate with one row per source, at its strongest vertex: its time course.

    The members' signed time courses (rows of ``signed``) summed, signs aligned on
    ``window`` (``(tmin, tmax)``, s, the reported window) as the module says; on all of
    ``signed``'s times.
    """
    import mne

    inside = spectra.in_window(signed.times, window)
    courses = [{}, {}]
    for source in sources:
        members = signed.data[[row_index(signed, source.hemi, v) for v in source.vertices]]
        courses[HEMIS.index(source.hemi)][source.vertices[0]] = _aligned_sum(members, inside)
    vertices = [np.array(sorted(c), int) for c in courses]
    data = np.array([c[v] for c, vs in zip(courses, vertices) for v in vs]).reshape(-1, len(signed.times))
    return mne.SourceEstimate(data, vertices, signed.tmin, signed.tstep, subject=signed.subject)


def _aligned_sum(time_courses, inside) -> np.ndarray:
    """Sum of the rows, each signed to correlate positively with the first on ``inside``."""
    signs = np.where(correlation(time_courses[:, inside])[0] < 0, -1.0, 1.0)
    return signs @ time_courses
