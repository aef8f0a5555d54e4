"""The dense estimate delivered beside the sparse one: dSPM (or sLORETA, eLORETA, MNE) on the crop window."""
from __future__ import annotations

import numpy as np

from .dspm import dspm

#: What the values of each method are, for the report.
UNITS = {"dSPM": "dSPM value (noise-normalised, F statistic)", "sLORETA": "sLORETA value (standardised)",
         "eLORETA": "eLORETA amplitude (A·m)", "MNE": "MNE amplitude (A·m)"}


def dense_estimate(evoked, forward, noise_cov, settings: dict):
    """The dense estimate of ``evoked`` on the crop window, with the dense stage's ``settings``.

    ``settings``: :meth:`tfmxne_workflow.plan.settings.Settings.dense` (``window``,
    ``method``, ``snr``, ``loose``, ``depth``).
    """
    return dspm(evoked.copy().crop(*settings["window"]), forward, noise_cov, loose=settings["loose"],
                depth=settings["depth"], snr=settings["snr"], method=settings["method"])


def peak(stc):
    """``(hemi, vertex, time_s, value)`` of the largest absolute value of an estimate."""
    row, col = np.unravel_index(np.argmax(np.abs(stc.data)), stc.data.shape)
    n_lh = len(stc.vertices[0])
    hemi, vertex = ("lh", stc.vertices[0][row]) if row < n_lh else ("rh", stc.vertices[1][row - n_lh])
    return hemi, int(vertex), float(stc.times[col]), float(stc.data[row, col])
