r"""One pass of block coordinate descent over a working set, compiled.

The block update of :mod:`tfmxne.solver` (MNE's: a proximal step on position
``j`` with step ``1 / L_j``) costs a few tens of thousands of flops on a 3 x 100
block, while the same update written with numpy calls spends about 50 µs in
call overhead: on problems with few time samples, block updates decided the
solver's speed. Here a whole pass over the working set is one call compiled
with numba: the STFT frames are gathered and windowed in loops, transformed by
a matrix product with the real DFT matrix (:func:`tfmxne.stft._real_dft`, as
:class:`tfmxne.stft.STFT` does for windows of up to 64 samples), thresholded and
transformed back, and ``G^T R`` (or ``R``) is updated in place. The arithmetic
is the numpy path's, so the iterates agree to rounding.

Compiled functions are cached on disk (``cache=True``): the first call in a
fresh installation compiles for a few seconds, later processes load it.
"""

import numpy as np
from numba import njit

from .stft import _MAX_DFT_WSIZE


class PackedDictionary:
    """The STFT frames of a :class:`~tfmxne.stft.TFDictionary`, as flat arrays.

    One row of ``shape`` per frame: ``wsize, tstep, n_steps, n_freqs``, the first
    coefficient of the frame and the offsets of its gather index, windows and
    DFT matrices in the flat arrays.
    """

    def __init__(self, tf):
        rows, gather, win_a, win_s, fwd, inv = [], [], [], [], [], []
        n_idx = n_dft = 0
        for frame, lo in zip(tf.frames, tf._bounds[:-1]):
            rows.append((frame.wsize, frame.tstep, frame.n_steps, frame.n_freqs, lo,
                         n_idx, n_dft))
            gather.append(frame._gather.ravel())
            win_a.append(frame._analysis.ravel())
            win_s.append(frame._synthesis.ravel())
            fwd.append(frame._dft[0].ravel())
            inv.append(frame._dft[1].ravel())
            n_idx += frame._gather.size
            n_dft += frame._dft[0].size
        self.shape = np.array(rows, dtype=np.int64)
        self.gather = np.concatenate(gather).astype(np.int64)
        self.win_a, self.win_s = np.concatenate(win_a), np.concatenate(win_s)
        self.fwd, self.inv = np.concatenate(fwd), np.concatenate(inv)
        self.scale = float(tf._scale) if tf.n_dicts > 1 else 1.0
        self.counts = np.ascontiguousarray(tf.counts)
        self.n_times, self.n_coefs = tf.n_times, tf.n_coefs

    @staticmethod
    def supports(tf):
        """True if every frame's window is short enough for a DFT matrix."""
        return all(f.wsize <= _MAX_DFT_WSIZE for f in tf.frames)

    def arrays(self):
        """The arrays, in the order of the compiled functions' arguments."""
        return (self.shape, self.gather, self.win_a, self.win_s, self.fwd, self.inv,
                self.scale, self.counts)


def bcd_pass(packed, Z, X, active, L, mu_space, mu_time, zero_mask, GTR, gram, R, GT,
             use_gram):
    """One pass of block updates over the working set, in place.

    Parameters
    ----------
    packed : PackedDictionary
        The dictionary.
    Z : complex array, shape (n_ws * n_orient, n_coefs)
        Coefficients of the working set (zero rows where inactive).
    X : array, shape (n_ws * n_orient, n_times)
        Their time courses ``Phi^H Z``.
    active : bool array, shape (n_ws,)
        Which positions are non-zero.
    L, mu_space : arrays, shape (n_ws,)
        Lipschitz constants and L21 thresholds (``alpha_s w^s / L``).
    mu_time : array, shape (n_ws, n_coefs) or (n_ws, 1)
        L1 thresholds (one per position when unweighted).
    zero_mask : bool array, shape (n_ws, n_coefs) or (0, 0)
        Coefficients held at zero (infinite time weight), or none.
    GTR, gram : arrays, shapes (n_ws * n_orient, n_times), (n_ws * n_orient,) * 2
        ``G_ws^T R`` and ``G_ws^T G_ws``, updated when ``use_gram``.
    R, GT : arrays, shapes (n_sensors, n_times), (n_ws * n_orient, n_sensors)
        The residual and ``G_ws^T``, used when not ``use_gram``.
    """
    _bcd_pass(*packed.arrays(), Z, X, active, L, mu_space, mu_time, zero_mask, GTR, gram,
              R, GT, use_gram)


@njit(cache=True, nogil=True)
def _analysis(shape, gather, win_a, fwd, scale, step, out):
    """``out += Phi step`` for the rows of ``step`` (n_rows, n_times)."""
    n_rows, n_times = step.shape
    for d in range(shape.shape[0]):
        wsize, _, n_steps, n_freqs, lo, i0, f0 = shape[d]
        frames = np.empty((n_rows * n_steps, wsize))
        for r in range(n_rows):
            for t in range(n_steps):
                for u in range(wsize):
                    k = i0 + t * wsize + u
                    idx = gather[k]
                    frames[r * n_steps + t, u] = step[r, idx] * win_a[k] if idx < n_times else 0.0
        dft = fwd[f0 : f0 + wsize * 2 * n_freqs].reshape(wsize, 2 * n_freqs)
        coefs = frames @ dft
        for r in range(n_rows):
            for f in range(n_freqs):
                for t in range(n_steps):
                    c = coefs[r * n_steps + t]
                    out[r, lo + f * n_steps + t] += scale * (c[2 * f] + 1j * c[2 * f + 1])


@njit(cache=True, nogil=True)
def _synthesis(shape, gather, win_s, inv, scale, Z, out):
    """``out = Phi^H Z`` for the rows of ``Z`` (n_rows, n_coefs)."""
    n_rows, n_times = out.shape
    out[:] = 0.0
    for d in range(shape.shape[0]):
        wsize, _, n_steps, n_freqs, lo, i0, f0 = shape[d]
        coefs = np.empty((n_rows * n_steps, 2 * n_freqs))
        for r in range(n_rows):
            for f in range(n_freqs):
                for t in range(n_steps):
                    z = Z[r, lo + f * n_steps + t]
                    coefs[r * n_steps + t, 2 * f] = z.real
                    coefs[r * n_steps + t, 2 * f + 1] = z.imag
        idft = inv[f0 : f0 + 2 * n_freqs * wsize].reshape(2 * n_freqs, wsize)
        frames = coefs @ idft
        for r in range(n_rows):
            for t in range(n_steps):
                for u in range(wsize):
                    k = i0 + t * wsize + u
                    idx = gather[k]
                    if idx < n_times:
                        out[r, idx] += scale * frames[r * n_steps + t, u] * win_s[k]


@njit(cache=True, nogil=True)
def _prox(z, counts, mu_s, mu_t, zero_mask):
    """MNE's L1-then-L21 group soft-thresholding of one position; False if zero."""
    n_orient, n_coefs = z.shape
    scale = np.empty(n_coefs)
    row = 0.0
    for k in range(n_coefs):
        col = 0.0
        for o in range(n_orient):
            col += z[o, k].real ** 2 + z[o, k].imag ** 2
        col = np.sqrt(col)
        soft = col - (mu_t[k] if mu_t.shape[0] > 1 else mu_t[0])
        if soft < 0.0 or (zero_mask.shape[0] and zero_mask[k]):
            soft = 0.0
        row += counts[k] * soft * soft
        scale[k] = soft / col if soft > 0.0 else 0.0
    row = np.sqrt(row)
    if row <= mu_s:
        return False
    shrink = 1.0 - mu_s / row
    for k in range(n_coefs):
        for o in range(n_orient):
            z[o, k] *= scale[k] * shrink
    return True


@njit(cache=True, nogil=True)
def _bcd_pass(shape, gather, win_a, win_s, fwd, inv, scale, counts, Z, X, active, L,
              mu_space, mu_time, zero_mask, GTR, gram, R, GT, use_gram):
    n_ws = L.shape[0]
    n_orient = Z.shape[0] // n_ws
    n_times = X.shape[1]
    no_mask = np.zeros((0,), dtype=np.bool_)
    x_new = np.empty((n_orient, n_times))
    for k in range(n_ws):
        r0, r1 = k * n_orient, (k + 1) * n_orient
        if use_gram:
            step = GTR[r0:r1] / L[k]
        else:
            step = (GT[r0:r1] @ R) / L[k]
        norm = 0.0
        for o in range(n_orient):
            for t in range(n_times):
                v = step[o, t] + X[r0 + o, t]
                norm += v * v
        z = Z[r0:r1]
        mu_t = mu_time[k]
        mask = zero_mask[k] if zero_mask.shape[0] else no_mask
        nonzero = np.sqrt(norm) > mu_space[k]
        if nonzero:
            z_new = z.copy()
            _analysis(shape, gather, win_a, fwd, scale, step, z_new)
            nonzero = _prox(z_new, counts, mu_space[k], mu_t, mask)
        if not nonzero and not active[k]:
            continue
        if nonzero:
            z[:] = z_new
            _synthesis(shape, gather, win_s, inv, scale, z, x_new)
        else:
            z[:] = 0.0
            x_new[:] = 0.0
        dX = x_new - X[r0:r1]
        X[r0:r1] = x_new
        active[k] = nonzero
        if use_gram:
            GTR -= gram[r0:r1].T @ dX  # gram is symmetric: its rows are contiguous
        else:
            R -= GT[r0:r1].T @ dX
