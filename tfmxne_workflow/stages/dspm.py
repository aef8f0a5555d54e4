"""dSPM: the depth-weighted, noise-normalised estimate used as TF-MxNE source weights."""
from __future__ import annotations

import mne
from mne.minimum_norm import apply_inverse, make_inverse_operator

from .crop import solve_window


def dspm(evoked, forward, noise_cov, *, loose=0.2, depth=0.9, snr=3.0, method="dSPM"):
    """dSPM (or another minimum-norm ``method``) source estimate with ``lambda2 = 1 / snr**2``.

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
    method : str
        ``'dSPM'``, ``'sLORETA'``, ``'eLORETA'`` or ``'MNE'`` (:func:`mne.minimum_norm.apply_inverse`).

    Returns
    -------
    stc : mne.SourceEstimate
    """
    inv = make_inverse_operator(evoked.info, forward, noise_cov, loose=loose, depth=depth, verbose="error")
    return apply_inverse(evoked, inv, lambda2=1.0 / snr**2, method=method, verbose="error")


def dspm_on_solve_window(evoked, forward, noise_cov, settings: dict):
    """:func:`dspm` of ``evoked`` on the solve window, with the dSPM stage's ``settings``.

    ``settings``: :meth:`tfmxne_workflow.plan.settings.Settings.dspm` (``window``, ``snr``,
    ``loose``, ``depth``). Called by the rule and by the localisation benchmark.
    """
    return dspm(solve_window(evoked, settings["window"]), forward, noise_cov,
                loose=settings["loose"], depth=settings["depth"], snr=settings["snr"])


def read_inputs(files):
    """The evoked response, forward and noise covariance of a job's ``evoked``, ``fwd`` and ``noise_cov`` files."""
    return (mne.read_evokeds(files.evoked, verbose="error")[0],
            mne.read_forward_solution(files.fwd, verbose="error"),
            mne.read_cov(files.noise_cov, verbose="error"))
