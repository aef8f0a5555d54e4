"""dSPM prior: a depth-weighted noise-normalised estimate used as TF-MxNE weights."""
from __future__ import annotations

import logging

import numpy as np
from mne.minimum_norm import apply_inverse, make_inverse_operator

logger = logging.getLogger(__name__)


def crop_for_solve(evoked, tmin, tmax):
    """Copy of ``evoked`` cropped to the solve window.

    The window is wider than the final crop, to keep the STFT's edge effects out of the
    result.
    """
    return evoked.copy().crop(tmin=tmin, tmax=tmax)


def dspm(evoked, forward, noise_cov, *, loose=0.2, depth=0.9, snr=3.0):
    """dSPM source estimate with ``lambda2 = 1 / snr**2``.

    Parameters
    ----------
    evoked : mne.Evoked
        Data (already cropped to the solve window).
    forward : mne.Forward
        Forward model.
    noise_cov : mne.Covariance
        Noise covariance.
    loose, depth : float
        Orientation constraint and depth weighting of the inverse operator.
    snr : float
        Assumed amplitude signal-to-noise ratio.

    Returns
    -------
    stc : mne.SourceEstimate
    """
    inv = make_inverse_operator(evoked.info, forward, noise_cov, loose=loose, depth=depth, verbose="error")
    return apply_inverse(evoked, inv, lambda2=1.0 / snr**2, method="dSPM", verbose="error")


def effective_weights_min(weights, weights_min, fallback_fraction=0.5):
    """The ``weights_min`` that keeps some sources when the prior is weak.

    MNE's TF-MxNE drops every source whose weight is below ``weights_min`` and raises
    when none is left (mne-python#5162). Rule used here: when
    ``max(|weights|) < weights_min``, use ``fallback_fraction * max(|weights|)``
    instead, and say so.

    Parameters
    ----------
    weights : mne.SourceEstimate | None
        The prior; None means no weights (the threshold is returned unchanged).
    weights_min : float
        Configured threshold.
    fallback_fraction : float
        Fraction of the prior's maximum used when the threshold is too high.

    Returns
    -------
    used : float
        Threshold to pass to the solver.
    note : str | None
        Explanation when the rule was applied, else None.
    """
    if weights is None or not weights_min:
        return weights_min, None
    peak = float(np.max(np.abs(weights.data)))
    if peak >= weights_min:
        return weights_min, None
    used = fallback_fraction * peak
    note = (
        f"The dSPM prior's maximum ({peak:.3g}) is below prior.weights_min ({weights_min:g}), "
        f"which would discard every source (mne-python#5162); using weights_min = "
        f"{fallback_fraction:g} x max = {used:.3g} instead. Lower prior.weights_min or "
        "check the data if this is unexpected."
    )
    logger.warning(note)
    return used, note
