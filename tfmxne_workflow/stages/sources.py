"""The table of active sources: where they are, when they peak, how strong they are, at which frequency."""
from __future__ import annotations

import numpy as np
import pandas as pd
from mne.io.constants import FIFF
from mne.transforms import apply_trans, invert_transform

from . import spectra, stability

#: Columns of ``*_sources.tsv`` in order (the frequency and time-frequency extent: :mod:`.spectra`;
#: ``dictionary_frequency_hz``: the centre of the solver's STFT bin that holds the source's
#: largest coefficient, tens of Hz wide: a property of the dictionary, not the source's frequency).
COLUMNS = [
    "condition", "hemi", "vertex", "x_mm", "y_mm", "z_mm", "peak_time_s",
    "peak_amplitude_nAm", *stability.COLUMNS, *spectra.COLUMNS, "dictionary_frequency_hz",
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


def sources_table(stc, forward, record, condition, signed, fmin=3.0, fmax=45.0, resamples=None):
    """One row per active source of a (cropped) estimate.

    Parameters
    ----------
    stc : mne.SourceEstimate
        Estimate in A·m (amplitude, i.e. orientations combined), cropped to the reported
        window.
    forward : mne.Forward
        Its forward model (for the source coordinates).
    record : dict
        Record of the solve (``converged``, ``final_gap``, ``tf_peaks``: the
        frequency of each source's largest TF coefficient).
    condition : str
        Trial type.
    signed : mne.SourceEstimate
        The same sources' signed time courses on the solve window (the solve's
        ``signed`` estimate): their spectra give the frequency columns, with the peak
        searched inside ``stc``'s window.
    fmin, fmax : float
        Frequency range (Hz) of the time-frequency analysis (``sources_table.fmin/fmax``).
    resamples : dict | None
        Stability selection's candidates and resamples (:mod:`.stability`); None or
        empty: the stability columns are n/a.

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`; x/y/z in mm, MRI surface RAS; sorted by decreasing
        peak amplitude. Empty (with the columns) when no source is active.
    """
    positions = source_positions_mri(forward)
    peaks = {(p["hemi"], p["vertex"]): p["peak_frequency_hz"] for p in record["tf_peaks"]}
    bursts = dict(zip(
        [(hemi, int(v)) for hemi, vertices in zip(("lh", "rh"), signed.vertices) for v in vertices],
        spectra.source_bursts(signed.data, signed.times, signed.sfreq, fmin, fmax,
                              window=(stc.times[0], stc.times[-1])) if len(stc.times) else []))
    window = (stc.times[0], stc.times[-1]) if len(stc.times) else (0.0, 0.0)
    stable = (stability.source_columns(resamples, window) if resamples is not None
              else pd.DataFrame(columns=stability.COLUMNS))
    rows = []
    offset = 0
    for hemi_idx, (hemi, vertices) in enumerate(zip(("lh", "rh"), stc.vertices)):
        src_vertices = forward["src"][hemi_idx]["vertno"]
        for k, vertex in enumerate(vertices):
            series = np.abs(stc.data[offset + k])
            peak = int(np.argmax(series))
            xyz = positions[hemi_idx][vertex] * 1e3
            if vertex not in src_vertices:
                raise ValueError(f"Active vertex {vertex} ({hemi}) is not in the forward's source space")
            rows.append({
                "condition": condition, "hemi": hemi, "vertex": int(vertex),
                "x_mm": xyz[0], "y_mm": xyz[1], "z_mm": xyz[2],
                "peak_time_s": float(stc.times[peak]),
                "peak_amplitude_nAm": float(series[peak] * 1e9),
                **(stable.loc[(hemi, int(vertex))].to_dict() if (hemi, int(vertex)) in stable.index else {}),
                **bursts[(hemi, int(vertex))],
                "dictionary_frequency_hz": peaks[(hemi, int(vertex))],
                "converged": bool(record["converged"]), "final_gap": record["final_gap"],
            })
        offset += len(vertices)
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values("peak_amplitude_nAm", ascending=False, ignore_index=True)
