"""The table of active sources: where they are, when they peak, how strong they are, at which frequency."""
from __future__ import annotations

import numpy as np
import pandas as pd
from mne.io.constants import FIFF
from mne.transforms import apply_trans, invert_transform

from . import merge, spectra, stability

#: Columns of ``*_sources.tsv`` in order (one row per source, its vertices merged:
#: :mod:`.merge`; the frequency and time-frequency extent: :mod:`.spectra`;
#: ``dictionary_frequency_hz``: the centre of the solver's STFT bin that holds the strongest
#: vertex's largest coefficient, tens of Hz wide: a property of the dictionary, not the
#: source's frequency).
COLUMNS = [
    "condition", "hemi", "vertex", "x_mm", "y_mm", "z_mm", "n_vertices", "extent_mm", "vertices",
    "peak_time_s", "peak_amplitude_nAm", *stability.COLUMNS, *spectra.COLUMNS, "dictionary_frequency_hz",
    "converged", "final_gap",
]


def source_positions_mri(forward):
    """Source positions in MRI surface RAS (m), one array per hemisphere.

    A forward stores its source space in head coordinates; this undoes that with the
    forward's own ``mri_head_t``.
    """
    out = []
    for s in forward["src"]:
        rr = s["rr"]
        if s["coord_frame"] == FIFF.FIFFV_COORD_HEAD:
            rr = apply_trans(invert_transform(forward["mri_head_t"]), rr)
        out.append(rr)
    return out


def sources_table(stc, forward, record, condition, signed, fmin=3.0, fmax=45.0, merge_mm=10.0,
                  min_correlation=0.9, resamples=None):
    """One row per active source of a (cropped) estimate, its vertices merged (:mod:`.merge`).

    Parameters
    ----------
    stc : mne.SourceEstimate
        Estimate in A·m (amplitude, i.e. orientations combined), cropped to the reported
        window.
    forward : mne.Forward
        Its forward model (for the source coordinates).
    record : dict
        Record of the solve (``converged``, ``final_gap``, ``tf_peaks``: the
        frequency of each vertex's largest TF coefficient).
    condition : str
        Trial type.
    signed : mne.SourceEstimate
        The same vertices' signed time courses on the solve window (the solve's
        ``signed`` estimate): a source's time course is their sum (:mod:`.merge`), and its
        spectrum gives the frequency columns, with the peak searched inside ``stc``'s window.
    fmin, fmax : float
        Frequency range (Hz) of the time-frequency analysis (``sources_table.fmin/fmax``).
    merge_mm, min_correlation : float
        The merge rule's thresholds (``sources_table.merge_mm/min_correlation``).
    resamples : dict | None
        Stability selection's candidates and resamples (:mod:`.stability`): a source's
        stability columns are its strongest vertex's. None or empty: n/a.

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`; sorted by decreasing peak amplitude. Empty (with the
        columns) when no source is active. Per source: ``vertex``, its strongest vertex
        (largest peak amplitude); ``x/y/z_mm``, the members' positions weighted by their peak
        amplitudes (mm, MRI surface RAS); ``extent_mm``, the largest distance of a member
        from it; ``vertices``, the members, strongest first, ';'-joined; the peak time,
        amplitude and frequency columns, of the source's time course.
    """
    _check_source_space(stc, forward)
    positions = [rr * 1e3 for rr in source_positions_mri(forward)]
    window = (stc.times[0], stc.times[-1])
    found = merge.find_sources(stc, signed, positions, merge_mm, min_correlation)
    merged = merge.merged_estimate(signed, found, window)
    bursts = spectra.source_bursts(merged.data, merged.times, merged.sfreq, fmin, fmax, window)
    inside = spectra.in_window(merged.times, window)
    peaks = {(p["hemi"], p["vertex"]): p["peak_frequency_hz"] for p in record["tf_peaks"]}
    stable = (stability.source_columns(resamples, window) if resamples is not None
              else pd.DataFrame(columns=stability.COLUMNS))
    rows = []
    for source in found:
        k = merge.row_index(merged, source.hemi, source.vertices[0])
        key = (source.hemi, source.vertices[0])
        rows.append({
            "condition": condition, "hemi": source.hemi, "vertex": source.vertices[0],
            **_extent(stc, source, positions), **_peak(merged.times[inside], merged.data[k, inside]), **bursts[k],
            **(stable.loc[key].to_dict() if key in stable.index else {}),
            "dictionary_frequency_hz": peaks[key],
            "converged": bool(record["converged"]), "final_gap": record["final_gap"],
        })
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values("peak_amplitude_nAm", ascending=False, ignore_index=True)


def _check_source_space(stc, forward) -> None:
    """Raise ValueError when an active vertex is not in the forward's source space."""
    for hemi, vertices, src in zip(merge.HEMIS, stc.vertices, forward["src"]):
        missing = np.setdiff1d(vertices, src["vertno"])
        if len(missing):
            raise ValueError(f"Active vertex {missing[0]} ({hemi}) is not in the forward's source space")


def _extent(stc, source, positions) -> dict:
    """Where a source is: its members' positions weighted by their peak amplitudes, how far they reach."""
    xyz = positions[merge.HEMIS.index(source.hemi)][source.vertices]
    weights = np.abs(stc.data[[merge.row_index(stc, source.hemi, v) for v in source.vertices]]).max(axis=1)
    centre = np.average(xyz, axis=0, weights=weights) if len(xyz) > 1 and weights.sum() > 0 else xyz[0]
    return {"x_mm": centre[0], "y_mm": centre[1], "z_mm": centre[2], "n_vertices": len(xyz),
            "extent_mm": float(np.linalg.norm(xyz - centre, axis=1).max()),
            "vertices": ";".join(map(str, source.vertices))}


def _peak(times, time_course) -> dict:
    """When a time course peaks (s) and its amplitude there (nAm)."""
    k = int(np.argmax(np.abs(time_course)))
    return {"peak_time_s": float(times[k]), "peak_amplitude_nAm": float(abs(time_course[k]) * 1e9)}
