"""Noise covariance: from the epochs' pre-stimulus baseline or from an empty-room recording."""
from __future__ import annotations

import mne

from .bids_io import preprocess_raw, read_raw


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
    return mne.compute_covariance(epochs, tmax=tmax, method=method, rank=rank, verbose="error")


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
    return mne.compute_raw_covariance(raw, method=method, rank=rank, verbose="error")
