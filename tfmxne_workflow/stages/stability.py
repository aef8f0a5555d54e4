"""Each source's stability and its intervals, from stability selection's resamples.

The solve stage runs :func:`tfmxne.tf_mixed_norm` with ``n_resamples``
(:mod:`tfmxne.stability`): every candidate source of the data's solution gets its
stability (the fraction of resamples with a source within the radius) and, in each
resample, the source that confirmed it (its distance and amplitude time course). Those
are saved beside the estimate (``*_resamples.npz``) and turned here, on the reported
window, into the sources table's columns: how sure the source is, and how far its
position, peak time and amplitude move when the noise changes.

When the condition's epochs exist, the resamples are the averages of random halves of its
trials (:func:`trial_halves`); else the solver draws them from the noise model.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the workflow's parse imports this module (SOLVER_PARAMS): no pandas
    import pandas as pd

logger = logging.getLogger(__name__)

#: The ``tf_mixed_norm`` parameters of the ``stability`` section.
SOLVER_PARAMS = ("n_resamples", "stability_radius", "stability_threshold", "stability_weakness")
#: Columns of ``*_sources.tsv`` from the resamples (n/a without stability selection).
#: Intervals: 2.5 and 97.5 percentiles over the resamples that confirmed the source;
#: ``position_ci_mm`` the 95th percentile of their distance from it.
COLUMNS = [
    "stability", "position_ci_mm", "peak_time_ci_low_s", "peak_time_ci_high_s",
    "amplitude_ci_low_nAm", "amplitude_ci_high_nAm",
]
#: Fewest trials whose random halves are used (with fewer, the noise is resampled).
MIN_TRIALS = 4
_NAMES = ("hemi", "vertex", "stability", "kept", "distance", "amplitude", "times")


def solver_params(section: dict) -> dict:
    """The ``tf_mixed_norm`` arguments of the configuration's ``stability`` section.

    The threshold drops sources only with ``drop_unstable``.
    """
    return {"n_resamples": section["n_resamples"], "stability_radius": section["radius_mm"] / 1e3,
            "stability_threshold": section["threshold"] if section["drop_unstable"] else 0.0,
            "stability_weakness": section["weakness"]}


def trial_halves(epochs, evoked, n_resamples, random_state=None):
    """Averages of ``n_resamples`` random halves of ``epochs``, on ``evoked``'s channels and times.

    ``evoked`` is the data the solve uses: the epochs' average cropped to the solve window.
    Each half is floor(n / 2) of the n trials, drawn without replacement (seed
    ``random_state``), averaged as the evoked was (the epochs' data: their baseline, their
    applied projections). Its noise has twice the variance of the evoked's, as the solver's
    noise resamples do (:mod:`tfmxne.stability`), so a threshold calibrated on those holds.

    Returns
    -------
    array, shape (n_resamples, n_channels, n_times) | None
        None, logged, with fewer than :data:`MIN_TRIALS` trials or when the epochs do not
        average to ``evoked``: the solver then resamples the noise.
    """
    n = len(epochs)
    if n < MIN_TRIALS:
        logger.info("stability: %d trial(s), fewer than %d: the noise is resampled instead of "
                    "halves of the trials", n, MIN_TRIALS)
        return None
    start = int(np.argmin(np.abs(epochs.times - evoked.times[0])))
    stop = start + len(evoked.times)
    if stop > len(epochs.times) or not np.allclose(epochs.times[start:stop], evoked.times,
                                                   atol=0.1 / evoked.info["sfreq"]):
        logger.warning("stability: the evoked's times are not the epochs': the noise is resampled")
        return None
    data = epochs.get_data(picks=evoked.ch_names)[:, :, start:stop]
    scale = np.abs(evoked.data).max(axis=1, keepdims=True)
    if not np.allclose(data.mean(axis=0), evoked.data, rtol=1e-4, atol=1e-4 * scale):
        logger.warning("stability: the evoked is not the average of the condition's %d epochs: the "
                       "noise is resampled instead of halves of the trials", n)
        return None
    rng = np.random.default_rng(random_state)
    logger.info("stability: %d resamples, each the average of %d of the %d trials", n_resamples, n // 2, n)
    return np.stack([data[rng.choice(n, n // 2, replace=False)].mean(axis=0) for _ in range(n_resamples)])


def resamples_record(info, times) -> dict:
    """Named arrays of ``info['stability']`` (:func:`tfmxne.tf_mixed_norm`).

    Per candidate ``hemi``, ``vertex``, ``stability``, ``kept``, ``distance`` (m,
    candidates x resamples) and ``amplitude`` (A·m, candidates x resamples x ``times``);
    empty without stability selection.
    """
    if info is None:
        return {"hemi": np.zeros(0, "U2"), "vertex": np.zeros(0, int), "stability": np.zeros(0),
                "kept": np.zeros(0, bool), "distance": np.zeros((0, 0)),
                "amplitude": np.zeros((0, 0, len(times))), "times": np.asarray(times, float)}
    lh, rh = info["vertices"]
    return {"hemi": np.array(["lh"] * len(lh) + ["rh"] * len(rh), "U2"),
            "vertex": np.concatenate([lh, rh]).astype(int),
            "stability": np.asarray(info["stability"], float), "kept": np.asarray(info["kept"], bool),
            "distance": np.asarray(info["distance"], float), "amplitude": np.asarray(info["amplitude"], float),
            "times": np.asarray(times, float)}


def read_resamples(fname) -> dict:
    """The arrays :func:`resamples_record` made, from their ``.npz`` file."""
    with np.load(fname) as f:
        return {name: f[name] for name in _NAMES}


def source_columns(resamples: dict, window) -> pd.DataFrame:
    """:data:`COLUMNS` of each candidate, indexed by (``hemi``, ``vertex``).

    Peak time and amplitude are taken inside ``window`` (tmin, tmax in s: the reported
    window), as the sources table takes the estimate's.
    """
    import pandas as pd

    times = resamples["times"]
    in_window = (times >= window[0] - 1e-9) & (times <= window[1] + 1e-9)
    rows = []
    for c in range(len(resamples["stability"])):
        confirmed = np.isfinite(resamples["distance"][c])
        amplitude = resamples["amplitude"][c][confirmed][:, in_window]
        peaks = amplitude.argmax(axis=1) if amplitude.size else np.zeros(0, int)
        peak_times = times[in_window][peaks]
        peak_amplitudes = amplitude[np.arange(len(peaks)), peaks] * 1e9
        rows.append({
            "stability": float(resamples["stability"][c]),
            "position_ci_mm": _percentiles(resamples["distance"][c][confirmed] * 1e3, [95])[0],
            **dict(zip(COLUMNS[2:4], _percentiles(peak_times, [2.5, 97.5]))),
            **dict(zip(COLUMNS[4:6], _percentiles(peak_amplitudes, [2.5, 97.5]))),
        })
    index = pd.MultiIndex.from_arrays([resamples["hemi"].astype(str), resamples["vertex"].astype(int)],
                                      names=["hemi", "vertex"])
    return pd.DataFrame(rows, index=index, columns=COLUMNS)


def _percentiles(values, q) -> list:
    """Percentiles ``q`` of ``values`` (NaN when empty)."""
    return list(np.percentile(values, q)) if len(values) else [np.nan] * len(q)
