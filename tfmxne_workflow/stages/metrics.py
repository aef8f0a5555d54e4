"""Numbers the report shows: explained variance and localisation error."""
from __future__ import annotations

import numpy as np
import pandas as pd

#: More active sources than this is more than the few focal areas a sparse estimate of one
#: condition's evoked response is read as (the sample dataset's auditory and visual
#: responses: 2-4 areas; the demo's simulation: 2 per condition, estimated with 2-6).
MANY_SOURCES = 10
#: Explained variance below this in every channel type means most of the data is left
#: unexplained (the demo's correct 2-6 sources explain 73-91 % of the MEG).
LITTLE_EXPLAINED = 0.5


def explained_variance(evoked, residual) -> dict:
    """Share of the data's energy the estimate explains, per channel type.

    ``1 - ||residual||^2 / ||evoked||^2`` over the good channels of each type, in the
    same time window.

    Returns
    -------
    ev : dict
        Channel type -> explained variance in [.., 1] (negative when the fit is worse
        than zero).
    """
    out = {}
    for ch_type in evoked.get_channel_types(unique=True, only_data_chs=True):
        data = evoked.copy().pick(ch_type, exclude="bads").data
        res = residual.copy().pick(ch_type, exclude="bads").data
        out[ch_type] = float(1.0 - np.sum(res**2) / np.sum(data**2))
    return out


def poor_fit_warning(n_sources, explained) -> str | None:
    """The warning shown when many sources explain little of the data, else None.

    Many means more than :data:`MANY_SOURCES`; little, below :data:`LITTLE_EXPLAINED` in
    the best explained channel type (``explained``: :func:`explained_variance`).
    """
    if n_sources <= MANY_SOURCES or not explained or max(explained.values()) >= LITTLE_EXPLAINED:
        return None
    best = max(explained, key=explained.get)
    return (f"{n_sources} sources explain at most {100 * explained[best]:.0f} % of the data ({best}): "
            f"more than {MANY_SOURCES} sources explaining less than {100 * LITTLE_EXPLAINED:.0f} % is not a "
            "clean sparse fit. The sources may fit noise or split a distributed activity: check the "
            "noise covariance and the response's SNR, raise tfmxne.alpha (or use alpha: noise) and "
            "compare with the dense estimate.")


def localisation_errors(sources: pd.DataFrame, truth: pd.DataFrame, condition: str) -> pd.DataFrame:
    """Distance from each true source to the nearest estimated source of the same condition.

    Parameters
    ----------
    sources : DataFrame
        ``*_sources.tsv`` of the condition (x_mm, y_mm, z_mm, hemi, vertex).
    truth : DataFrame
        Ground truth with ``condition``, ``hemi``, ``vertex``, ``x_mm``, ``y_mm``, ``z_mm``.
    condition : str
        Trial type (rows of ``truth`` for other conditions are ignored).

    Returns
    -------
    errors : DataFrame
        One row per true source: its position, the nearest estimate's hemi/vertex and
        ``error_mm`` (NaN when nothing was found).
    """
    truth = truth[truth["condition"].astype(str) == str(condition)]
    est = sources[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
    rows = []
    for _, t in truth.iterrows():
        row = {"true_hemi": t["hemi"], "true_vertex": t["vertex"],
               "true_x_mm": t["x_mm"], "true_y_mm": t["y_mm"], "true_z_mm": t["z_mm"],
               "found_hemi": None, "found_vertex": None, "error_mm": np.nan}
        if len(est):
            d = np.linalg.norm(est - t[["x_mm", "y_mm", "z_mm"]].to_numpy(float), axis=1)
            k = int(np.argmin(d))
            row.update(found_hemi=sources["hemi"].iloc[k], found_vertex=int(sources["vertex"].iloc[k]),
                       error_mm=float(d[k]))
        rows.append(row)
    return pd.DataFrame(rows)


def spurious_count(sources: pd.DataFrame, truth: pd.DataFrame, condition: str,
                   radius_mm: float = 10.0) -> int:
    """Number of estimated sources farther than ``radius_mm`` from every true source.

    True sources of ``condition``; all estimated ones count when it has none.
    """
    truth = truth[truth["condition"].astype(str) == str(condition)]
    est = sources[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
    if not len(truth):
        return len(est)
    true = truth[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
    dist = np.linalg.norm(est[:, None] - true[None], axis=2)
    return int((dist.min(axis=1) > radius_mm).sum())
