"""Each source's frequency and time-frequency extent, from its own time course.

The solver's STFT dictionary is a sparsity device, not a spectral estimator: at the default
``wsize`` 16 its bins are tens of Hz wide. The frequency a source is reported at comes
instead from a Morlet time-frequency representation of its (debiased, signed) time course:
1 Hz steps, and a constant time resolution at every frequency (``n_cycles = f / 2``: a
Gaussian of sigma 80 ms in time and 2 Hz in frequency), so that a burst's power is
symmetric in frequency around its own frequency and the peak is unbiased; the peak is
refined between the 1 Hz steps by a parabola through the log power. The sparse time course
is zero outside the solve window (the solver's window tapers it to zero at the edges), so it
is zero-padded for the wavelets to fit.

A source without an oscillatory peak has no frequency: ``oscillatory`` is False and the
frequency columns are empty. The wavelets keep their mean (``zero_mean=False``), so an evoked
deflection, whose spectrum falls from 0 Hz, has its largest power at the lowest frequency
analysed; that is the test.
"""
from __future__ import annotations

import numpy as np

#: Columns this module adds to ``*_sources.tsv``.
COLUMNS = ["oscillatory", "peak_frequency_hz", "tf_tmin_s", "tf_tmax_s", "tf_fmin_hz", "tf_fmax_hz"]
#: Time resolution of the wavelets (s): ``n_cycles = f * 2 * pi * SIGMA_T``.
SIGMA_T = 1.0 / (4.0 * np.pi)


def frequencies(fmin, fmax, sfreq) -> np.ndarray:
    """1 Hz steps from ``fmin`` to ``fmax``, below Nyquist (``sfreq / 2``)."""
    top = min(fmax, np.floor(sfreq / 2.0) - 1.0)
    if top < fmin + 2:
        raise ValueError(f"sources_table.fmin..fmax ({fmin:g}..{fmax:g} Hz) leaves fewer than 3 "
                         f"frequencies below the Nyquist frequency ({sfreq / 2:g} Hz); lower fmin")
    return np.arange(fmin, top + 0.5, 1.0)


def amplitude(time_courses, sfreq, freqs) -> np.ndarray:
    """Morlet amplitude, shape ``(n_sources, n_freqs, n_times)``, of ``(n_sources, n_times)`` time courses.

    In the time courses' unit: a sinusoid of amplitude ``A`` under a slow envelope reads ``A``
    at its frequency (the wavelet magnitude ``|w|`` sums to the same at every frequency,
    so this scale does not move a peak).
    """
    from mne.time_frequency import morlet, tfr_array_morlet

    data = np.atleast_2d(np.asarray(time_courses, float))
    n_cycles = freqs * 2 * np.pi * SIGMA_T
    pad = int(np.ceil(5 * SIGMA_T * sfreq)) + 1
    padded = np.pad(data, ((0, 0), (pad, pad)))[np.newaxis]
    tfr = tfr_array_morlet(padded, sfreq, freqs, n_cycles=n_cycles, zero_mean=False, output="complex",
                           verbose="error")[0]
    gain = np.array([np.abs(w).sum() for w in morlet(sfreq, freqs, n_cycles, zero_mean=False)]) / 2.0
    return np.abs(tfr[..., pad:pad + data.shape[1]]) / gain[:, np.newaxis]


def burst(tf_power, times, freqs, window=None) -> dict:
    """The peak and half-maximum extent of one source's power ``(n_freqs, n_times)`` (amplitude squared).

    The peak is the largest power at a time inside ``window`` (``(tmin, tmax)``, s; None:
    all times); the extent is the box around the connected region of power above half of it.
    Returns the :data:`COLUMNS` (NaN frequency and extent when the peak lies at the lowest
    frequency: no oscillation).
    """
    from scipy import ndimage

    inside = np.ones(len(times), bool) if window is None else in_window(times, window)
    masked = np.where(inside[np.newaxis], tf_power, -np.inf)
    f_idx, t_idx = np.unravel_index(np.argmax(masked), masked.shape)
    if f_idx == 0 or not np.isfinite(masked[f_idx, t_idx]) or tf_power[f_idx, t_idx] <= 0:
        return {"oscillatory": False, **{c: np.nan for c in COLUMNS[1:]}}
    labels, _ = ndimage.label(tf_power >= 0.5 * tf_power[f_idx, t_idx])
    rows, cols = np.nonzero(labels == labels[f_idx, t_idx])
    return {"oscillatory": True, "peak_frequency_hz": _refined(tf_power[:, t_idx], freqs, f_idx),
            "tf_tmin_s": float(times[cols.min()]), "tf_tmax_s": float(times[cols.max()]),
            "tf_fmin_hz": float(freqs[rows.min()]), "tf_fmax_hz": float(freqs[rows.max()])}


def in_window(times, window) -> np.ndarray:
    """Which of ``times`` (s) lie in ``window`` (``(tmin, tmax)``, s; ends included, to 1 ns)."""
    times = np.asarray(times)
    return (times >= window[0] - 1e-9) & (times <= window[1] + 1e-9)


def _refined(spectrum, freqs, k) -> float:
    """The peak frequency between grid steps: the vertex of a parabola through log power at k-1, k, k+1."""
    if k + 1 >= len(freqs):
        return float(freqs[k])
    a, b, c = np.log(np.maximum(spectrum[k - 1:k + 2], np.finfo(float).tiny))
    curvature = a - 2 * b + c
    shift = 0.5 * (a - c) / curvature if curvature < 0 else 0.0
    return float(freqs[k] + np.clip(shift, -0.5, 0.5) * (freqs[1] - freqs[0]))


def source_bursts(time_courses, times, sfreq, fmin, fmax, window=None) -> list[dict]:
    """:func:`burst` of each time course (rows of ``time_courses``, on ``times``)."""
    freqs = frequencies(fmin, fmax, sfreq)
    if not len(time_courses):
        return []
    return [burst(a ** 2, np.asarray(times), freqs, window) for a in amplitude(time_courses, sfreq, freqs)]
