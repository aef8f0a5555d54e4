"""FFT-based tight-frame STFT with a sine window, batched over signals.

The transform is the one of :func:`mne.time_frequency.stft` (same coefficients,
same layout) but it is computed with strided frames and ``rfft`` only: no dense
``n_times x n_coefs`` matrices, so memory is linear in ``n_times``.

For a signal ``x`` of length ``T``, window ``w`` (``wsize`` samples, sine
window) and hop ``tstep``, with ``n_steps = ceil(T / tstep)`` frames::

    Z[f, t] = sum_u x[t * tstep + u - o] w[u] / s[t * tstep + u] exp(-2i pi f u / wsize)

with ``o = (wsize - tstep) // 2`` the edge offset and
``s = sqrt(wsize * sum_t w(. - t tstep) ** 2)`` the overlap normalisation that
makes the frame tight: ``istft(stft(x)) == x`` and ``||x||^2 == ||Z||_c^2``, where
``||.||_c`` counts every frequency twice except 0 and ``wsize / 2`` (the negative
frequencies are implied by the real input).
"""

from functools import lru_cache
from math import ceil

import numpy as np


def _check_params(wsize, tstep):
    wsize, tstep = int(wsize), int(tstep)
    if wsize % 4:
        raise ValueError(f"The window length must be a multiple of 4, got {wsize}.")
    if tstep % 2 or wsize % tstep:
        raise ValueError(
            "The step size must be a multiple of 2 and a divider of the window "
            f"length, got tstep={tstep} for wsize={wsize}."
        )
    if tstep > wsize // 2:
        raise ValueError("The step size must be smaller than half the window length.")
    return wsize, tstep


def _overlap_add(frames, tstep):
    """Sum frames of shape (..., n_steps, wsize) placed every ``tstep`` samples.

    One weighted ``bincount`` per batch of signals (the frames of a signal are
    short and their hop small, so a loop over the overlaps would spend its time
    in per-call overhead); batches bound the index array's memory, and the index
    of a batch is cached (block updates call this with the same shapes
    thousands of times).
    """
    n_steps, wsize = frames.shape[-2:]
    lead = frames.shape[:-2]
    n_out = (n_steps - 1) * tstep + wsize
    flat = frames.reshape(-1, n_steps * wsize)
    out = np.empty((len(flat), n_out))
    batch = max(1, _OLA_BATCH // (n_steps * wsize))
    for lo in range(0, len(flat), batch):
        rows = flat[lo : lo + batch]
        index = _ola_index(n_steps, wsize, tstep, len(rows))
        out[lo : lo + batch] = np.bincount(
            index, weights=rows.ravel(), minlength=rows.shape[0] * n_out
        ).reshape(-1, n_out)
    return out.reshape(lead + (n_out,))


@lru_cache(maxsize=32)
def _ola_index(n_steps, wsize, tstep, n_rows):
    """Output sample of each frame sample of ``n_rows`` signals, raveled."""
    n_out = (n_steps - 1) * tstep + wsize
    place = (np.arange(n_steps)[:, None] * tstep + np.arange(wsize)).ravel()
    index = (place + n_out * np.arange(n_rows)[:, None]).ravel()
    index.flags.writeable = False  # shared by every call with these shapes
    return index


_OLA_BATCH = 2**20  # frame samples summed per bincount call


def _windows(wsize, tstep, n_steps):
    """Analysis and synthesis windows per frame, both of shape (n_steps, wsize)."""
    win = np.sin(np.arange(0.5, wsize + 0.5) / wsize * np.pi)
    overlap = _overlap_add(np.broadcast_to(win**2, (n_steps, wsize)), tstep)
    frames = np.lib.stride_tricks.sliding_window_view(overlap, wsize)[::tstep]
    analysis = win / np.sqrt(wsize * frames)
    synthesis = win / np.sqrt(frames / wsize)
    return analysis, synthesis


class STFT:
    """One sine-window STFT frame ``phi`` of size (wsize, tstep) for n_times.

    Frames are gathered with one precomputed index (an extra zero sample stands
    for the padding). Short windows (``wsize <= 64``) are transformed by a
    matrix product with the real DFT matrix, which beats an FFT call on 16 or 64
    points; longer ones use ``rfft``. Both cost memory linear in ``n_times``.

    Parameters
    ----------
    wsize : int
        Window length in samples (multiple of 4).
    tstep : int
        Hop in samples (multiple of 2, divides ``wsize``, at most ``wsize / 2``).
    n_times : int
        Length of the signals.

    Attributes
    ----------
    n_freqs, n_steps, n_coefs : int
        ``wsize // 2 + 1``, ``ceil(n_times / tstep)`` and their product.
    """

    def __init__(self, wsize, tstep, n_times):
        self.wsize, self.tstep = _check_params(wsize, tstep)
        self.n_times = int(n_times)
        self.n_freqs = self.wsize // 2 + 1
        self.n_steps = int(ceil(self.n_times / self.tstep))
        self.n_coefs = self.n_freqs * self.n_steps
        self._offset = (self.wsize - self.tstep) // 2
        self._analysis, self._synthesis = _windows(
            self.wsize, self.tstep, self.n_steps
        )
        start = np.arange(self.n_steps)[:, None] * self.tstep - self._offset
        idx = start + np.arange(self.wsize)
        self._gather = np.where((idx >= 0) & (idx < self.n_times), idx, self.n_times)
        self._dft = _real_dft(self.wsize) if self.wsize <= _MAX_DFT_WSIZE else None
        self._dft32 = None if self._dft is None else self._dft[0].astype(np.float32)

    def _frames(self, x, dtype=np.float64):
        """Windowed frames of real signals x (..., n_times) -> (..., n_steps, wsize)."""
        padded = np.zeros(x.shape[:-1] + (self.n_times + 1,), dtype=dtype)
        padded[..., :-1] = x
        frames = np.take(padded, self._gather, axis=-1)
        frames *= self._analysis.astype(dtype, copy=False)
        return frames

    def power(self, x, dtype=np.float64):
        """``|STFT|^2`` of real signals, frame-major: (..., n_steps * n_freqs).

        The order is the transpose of :meth:`forward`'s (see
        :attr:`TFDictionary.power_order`); skipping the complex layout makes this
        the cheap way to the magnitudes of many signals. ``dtype=np.float32``
        computes in single precision (relative error about ``wsize * 1e-7`` of
        each frame's norm): several times faster, for screening.
        """
        x = np.asarray(x)
        frames = self._frames(x, dtype)
        if self._dft is None:
            from scipy.fft import rfft  # long windows only: most solves need no scipy.fft (~0.1 s to import)

            coefs = rfft(frames, axis=-1, overwrite_x=True)
            power = coefs.real**2 + coefs.imag**2
        else:
            n_out = 2 * self.n_freqs
            dft = self._dft[0] if dtype == np.float64 else self._dft32
            coefs = (frames.reshape(-1, self.wsize) @ dft).reshape(frames.shape[:-1] + (n_out,))
            coefs *= coefs
            power = coefs[..., 0::2] + coefs[..., 1::2]
        return power.reshape(power.shape[:-2] + (-1,))

    def forward(self, x):
        """STFT of real signals x (..., n_times) -> (..., n_freqs, n_steps)."""
        frames = self._frames(np.asarray(x, dtype=np.float64))
        if self._dft is None:
            from scipy.fft import rfft

            coefs = rfft(frames, axis=-1, overwrite_x=True)
        else:
            coefs = (frames @ self._dft[0]).view(np.complex128)
        return np.swapaxes(coefs, -1, -2)

    def adjoint(self, Z):
        """Inverse STFT (...,  n_freqs, n_steps) -> real (..., n_times)."""
        Z = np.swapaxes(np.asarray(Z, dtype=np.complex128), -1, -2)
        if self._dft is None:
            from scipy.fft import irfft

            frames = irfft(Z, n=self.wsize, axis=-1)
        else:
            frames = np.ascontiguousarray(Z).view(np.float64) @ self._dft[1]
        frames *= self._synthesis
        x = _overlap_add(frames, self.tstep)
        return x[..., self._offset : self._offset + self.n_times]


_MAX_DFT_WSIZE = 64  # longest window transformed by a matrix product


def _real_dft(wsize):
    """Real matrices of ``rfft`` and ``irfft`` on interleaved (re, im) columns.

    ``frames @ forward`` is ``rfft(frames)`` viewed as float (re, im pairs);
    ``coefs @ inverse`` is ``irfft(coefs, n=wsize)`` for such float views (the
    imaginary parts of frequency 0 and ``wsize / 2`` are ignored, as irfft does).
    """
    n_freqs = wsize // 2 + 1
    angle = 2 * np.pi * np.outer(np.arange(wsize), np.arange(n_freqs)) / wsize
    forward = np.empty((wsize, 2 * n_freqs))
    forward[:, 0::2], forward[:, 1::2] = np.cos(angle), -np.sin(angle)
    weight = np.full(n_freqs, 2.0 / wsize)
    weight[[0, -1]] = 1.0 / wsize
    inverse = np.empty((2 * n_freqs, wsize))
    inverse[0::2] = weight[:, None] * np.cos(angle.T)
    inverse[1::2] = -weight[:, None] * np.sin(angle.T)
    inverse[[1, -1]] = 0.0
    return forward, inverse


class TFDictionary:
    """Union of STFT frames ``Phi = [phi_1, ..., phi_D] / sqrt(D)``.

    Coefficients of a signal are the concatenation, along the last axis, of the
    raveled ``(n_freqs_d, n_steps_d)`` STFT of each frame, divided by
    ``sqrt(D)``, the layout of ``mne.inverse_sparse``. The dictionary stays a
    tight frame: ``synthesis(analysis(x)) == x``.

    Parameters
    ----------
    wsize, tstep : int | sequence of int
        Window sizes and hops, one per frame.
    n_times : int
        Length of the signals.
    """

    def __init__(self, wsize, tstep, n_times):
        wsize, tstep = np.atleast_1d(wsize), np.atleast_1d(tstep)
        if len(wsize) != len(tstep):
            raise ValueError(
                "The same number of window sizes and steps must be passed. "
                f"Got tstep = {tstep} and wsize = {wsize}"
            )
        self.n_times = int(n_times)
        self.frames = [STFT(w, s, n_times) for w, s in zip(wsize, tstep)]
        self.n_dicts = len(self.frames)
        self.n_coefs = sum(f.n_coefs for f in self.frames)
        self._bounds = np.cumsum([0] + [f.n_coefs for f in self.frames])
        self._scale = 1.0 / np.sqrt(self.n_dicts)
        self.counts = np.concatenate([_freq_counts(f) for f in self.frames])
        #: ``Z[..., power_order]`` is in the frame-major order of :meth:`power`.
        self.power_order = np.concatenate([
            lo + (np.arange(f.n_freqs)[None, :] * f.n_steps
                  + np.arange(f.n_steps)[:, None]).ravel()
            for f, lo in zip(self.frames, self._bounds[:-1])])
        self.power_counts = self.counts[self.power_order]

    def frequencies(self, sfreq):
        """Frequency (Hz) of each coefficient, in the layout of :meth:`analysis`."""
        return np.concatenate([np.repeat(np.arange(f.n_freqs) * sfreq / f.wsize, f.n_steps)
                               for f in self.frames])

    def analysis(self, x):
        """Coefficients ``Phi x``: (..., n_times) -> complex (..., n_coefs)."""
        x = np.asarray(x, dtype=np.float64)
        out = np.empty(x.shape[:-1] + (self.n_coefs,), dtype=np.complex128)
        for f, lo, hi in zip(self.frames, self._bounds[:-1], self._bounds[1:]):
            out[..., lo:hi] = f.forward(x).reshape(x.shape[:-1] + (-1,))
        if self.n_dicts > 1:
            out *= self._scale
        return out

    def power(self, x, n_orient=1, dtype=np.float64):
        """``|Phi x|^2`` summed over groups of ``n_orient`` rows, frame-major.

        (..., n_times) -> (n_rows / n_orient, n_coefs), coefficients in the order
        :attr:`power_order` (counts :attr:`power_counts`), computed in ``dtype``
        (see :meth:`STFT.power`).
        """
        x = np.asarray(x).reshape(-1, self.n_times)
        power = np.concatenate([f.power(x, dtype) for f in self.frames], axis=-1)
        if self.n_dicts > 1:
            power *= self._scale**2
        if n_orient > 1:
            power = power.reshape(-1, n_orient, self.n_coefs).sum(axis=1)
        return power

    def synthesis(self, Z):
        """Signals ``Phi^H Z``: complex (..., n_coefs) -> (..., n_times)."""
        Z = np.asarray(Z)
        x = np.zeros(Z.shape[:-1] + (self.n_times,))
        for f, lo, hi in zip(self.frames, self._bounds[:-1], self._bounds[1:]):
            x += f.adjoint(Z[..., lo:hi].reshape(Z.shape[:-1] + (f.n_freqs, -1)))
        if self.n_dicts > 1:
            x *= self._scale
        return x

    def norm2(self, Z):
        """Squared L2 norm of each row counting the implied negative frequencies.

        ``||Z||_c^2 = sum_k c_k |Z_k|^2`` with ``c_k = 1`` for frequency 0 and
        ``wsize / 2`` and 2 otherwise; by Parseval it equals ``||Phi^H Z||^2``
        for ``Z = Phi x``.
        """
        return (Z.real**2 + Z.imag**2) @ self.counts

    def norm1(self, A):
        """L1 norm ``sum_k c_k |A_k|`` of each row of A (complex or magnitudes)."""
        return np.abs(A) @ self.counts


def _freq_counts(frame):
    """How many times each coefficient of a frame counts (2 except f=0, Nyquist)."""
    c = np.full((frame.n_freqs, frame.n_steps), 2.0)
    c[[0, -1]] = 1.0
    return c.ravel()


def stft(x, wsize, tstep=None):
    """STFT of x (n_signals, n_times) -> (n_signals, wsize // 2 + 1, n_steps).

    Same values as :func:`mne.time_frequency.stft`.
    """
    x = np.atleast_2d(x)
    tstep = wsize // 2 if tstep is None else tstep
    return STFT(wsize, tstep, x.shape[-1]).forward(x)


def istft(X, tstep=None, Tx=None):
    """Inverse STFT (..., wsize // 2 + 1, n_steps) -> (..., Tx).

    Same values as :func:`mne.time_frequency.istft`.
    """
    X = np.asarray(X)
    n_freqs, n_steps = X.shape[-2:]
    wsize = 2 * (n_freqs - 1)
    tstep = wsize // 2 if tstep is None else tstep
    x = STFT(wsize, tstep, n_steps * tstep).adjoint(X)
    return x if Tx is None else x[..., :Tx]
