"""Noise covariance: from the epochs' pre-stimulus baseline or from an empty-room recording, or a given file."""
from __future__ import annotations

import logging

import mne
import numpy as np

from .ingest import preprocess_raw, read_raw

logger = logging.getLogger(__name__)


def baseline_covariance(epochs, tmax=0.0, method="shrunk", rank=None):
    """Noise covariance of the pre-stimulus interval ``[epochs.tmin, tmax]``.

    Parameters
    ----------
    epochs : mne.Epochs
        Baseline-corrected epochs with their projections (EEG average reference).
    tmax : float
        End of the noise interval in s.
    method : str | list of str
        Estimator(s) for :func:`mne.compute_covariance` (``'shrunk'`` as in MNE's
        TF-MxNE example; ``'empirical'``, ``'diagonal_fixed'``, ...).
    rank : None | 'info' | dict
        Passed to :func:`mne.compute_covariance`.

    Returns
    -------
    cov : mne.Covariance
    """
    n_times = int(np.sum(epochs.times <= tmax))
    if n_times < 2:
        raise ValueError(
            f"The noise interval preprocessing.tmin..noise_cov.tmax ({epochs.tmin:g}..{tmax:g} s) holds "
            f"{n_times} sample(s); move noise_cov.tmax later or preprocessing.tmin earlier"
        )
    cov = mne.compute_covariance(epochs, tmax=tmax, method=method, rank=rank, verbose="error")
    check_covariance(cov, epochs.info, n_samples=len(epochs) * n_times, method=method)
    return cov


def empty_room_covariance(er_file, data_info, *, l_freq, h_freq, method="shrunk", rank=None):
    """Noise covariance of the empty-room recording, filtered like the data.

    Parameters
    ----------
    er_file : str | Path
        The empty-room raw file (``sub-emptyroom`` or ``task-noise``) that mne-bids
        associates with the run.
    data_info : mne.Info
        Info of the epochs: the covariance keeps their MEG channels and bad channels.
    l_freq, h_freq : float | None
        Filter of the data (applied to the empty room too).
    method, rank
        See :func:`baseline_covariance`.

    Returns
    -------
    cov : mne.Covariance
    """
    if "eeg" in data_info.get_channel_types(unique=True):
        raise ValueError(
            "noise_cov.source 'empty_room' describes MEG sensors only but the data have EEG; "
            "set preprocessing.ch_types: [meg] or noise_cov.source: baseline"
        )
    raw = preprocess_raw(read_raw(er_file), ["meg"], l_freq, h_freq)
    missing = [ch for ch in data_info.ch_names if ch not in raw.ch_names]
    if missing:
        raise ValueError(f"The empty-room recording {er_file} lacks channels {missing}")
    raw.pick(data_info.ch_names)
    raw.info["bads"] = list(data_info["bads"])
    raw.add_proj(data_info["projs"], remove_existing=True)
    cov = mne.compute_raw_covariance(raw, method=method, rank=rank, verbose="error")
    check_covariance(cov, raw.info, n_samples=raw.n_times, method=method)
    return cov


def covariance_from_file(fname, info):
    """The covariance of ``noise_cov.fname`` on the data's channels, in their order.

    Before any job :func:`tfmxne_workflow.plan.checks.check_noise_cov_files` checked that it
    covers the good channels; here it is also checked as the estimated ones are.
    """
    cov = mne.read_cov(fname, verbose="error")
    keep = [ch for ch in info["ch_names"] if ch in cov.ch_names]
    cov = mne.pick_channels_cov(cov, include=keep, ordered=True, verbose="error")
    check_covariance(cov, info, n_samples=cov["nfree"], method=cov.get("method") or "of the file")
    return cov


def check_covariance(cov, info, n_samples, method="shrunk"):
    """Refuse an unusable noise covariance; warn (in the job's log) when it is rank deficient.

    Parameters
    ----------
    cov : mne.Covariance
    info : mne.Info
        Info of the data it whitens (bad channels, projections).
    n_samples : int
        Number of time samples it was estimated from.
    method : str | list of str
        The estimator (said in the message).

    Returns
    -------
    rank : int
        Numerical rank of the covariance over the good channels.

    Raises
    ------
    ValueError
        When it has NaN/Inf values or a good channel with zero variance.
    """
    good = [i for i, ch in enumerate(cov.ch_names) if ch not in info["bads"]]
    data = (np.diag(cov.data) if cov["diag"] else cov.data)[np.ix_(good, good)]
    names = [cov.ch_names[i] for i in good]
    if not np.isfinite(data).all():
        raise ValueError("The noise covariance has NaN or Inf values; check the data for NaN/Inf")
    var = np.diag(data)
    types = np.array([mne.channel_type(info, info["ch_names"].index(ch)) for ch in names])
    zero = [ch for ch, v, t in zip(names, var, types) if v <= 1e-10 * np.median(var[types == t])]
    if zero:
        raise ValueError(
            f"The noise covariance has zero variance for channel(s) {zero} (flat during the noise "
            "interval); mark them bad in *_channels.tsv"
        )
    n_proj = sum(p["data"]["nrow"] for p in info["projs"])
    # scale per channel type before the SVD (T, T/m and V differ by orders of magnitude)
    scale = 1.0 / np.sqrt(np.diag(data))
    s = np.linalg.svd(data * scale[:, None] * scale[None, :], compute_uv=False)
    rank = int(np.sum(s > s[0] * 1e-8)) if len(s) else 0
    expected = len(names) - n_proj
    if rank < expected:
        logger.warning(
            "The noise covariance is rank deficient: rank %d for %d good channels (%d projection(s)); "
            "estimated from %d samples with method %r. Whitening keeps %d dimensions (tfmxne.rank "
            "null estimates it, tfmxne.pca reduces the data accordingly). For a better estimate use "
            "more epochs, a longer noise interval (preprocessing.tmin..noise_cov.tmax) or "
            "noise_cov.method: shrunk.", rank, len(names), n_proj, n_samples, method, rank,
        )
    return rank
