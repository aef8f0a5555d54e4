"""The table of active sources: where they are, when they peak, how strong they are."""
from __future__ import annotations

import numpy as np
import pandas as pd
from mne.io.constants import FIFF
from mne.time_frequency import stft, stftfreq
from mne.transforms import apply_trans, invert_transform

#: Columns of ``*_sources.tsv`` in order.
COLUMNS = [
    "condition", "hemi", "vertex", "x_mm", "y_mm", "z_mm", "peak_time_s",
    "peak_amplitude_nAm", "peak_frequency_hz", "converged", "final_gap",
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


def peak_frequency(timecourse, sfreq, wsize, tstep) -> float:
    """Frequency (Hz) of the largest STFT coefficient of a time course.

    The STFT is the solver's own dictionary (``wsize``/``tstep``, one or a list), so
    this is where the estimate's time-frequency energy peaks, at the resolution the
    solver worked with (``sfreq / wsize``).
    """
    best, freq = -1.0, float("nan")
    for w, s in zip(np.atleast_1d(wsize), np.atleast_1d(tstep)):
        coefs = np.abs(stft(timecourse[np.newaxis], int(w), int(s), verbose="error")[0])
        k = np.unravel_index(np.argmax(coefs), coefs.shape)[0]
        if coefs.max() > best:
            best, freq = float(coefs.max()), float(stftfreq(int(w), sfreq)[k])
    return freq


def sources_table(stc, forward, record, condition, solve_stc=None):
    """One row per active source of a (cropped) estimate.

    Parameters
    ----------
    stc : mne.SourceEstimate
        Estimate in A·m (amplitude, i.e. orientations combined).
    forward : mne.Forward
        Its forward model (for the source coordinates).
    record : dict
        Convergence record of the solve (``converged``, ``final_gap``).
    condition : str
        Trial type.
    solve_stc : mne.SourceEstimate | None
        The same estimate on the whole solve window, for ``peak_frequency_hz``
        (STFT with the record's ``params`` wsize/tstep); None leaves it n/a.

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`; x/y/z in mm, MRI surface RAS; sorted by decreasing
        peak amplitude. Empty (with the columns) when no source is active.
    """
    positions = source_positions_mri(forward)
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
                "peak_frequency_hz": (float("nan") if solve_stc is None else peak_frequency(
                    solve_stc.data[offset + k], solve_stc.sfreq, record["params"]["wsize"],
                    record["params"]["tstep"])),
                "converged": bool(record["converged"]), "final_gap": record["final_gap"],
            })
        offset += len(vertices)
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values("peak_amplitude_nAm", ascending=False, ignore_index=True)
