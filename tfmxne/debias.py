r"""Amplitude debiasing of sparse estimates.

The L21/L1 penalties shrink amplitudes. Given the support and time courses
``X`` of a sparse estimate, the debiasing weights ``d`` (one per position,
shared by its orientations) minimise

.. math:: \frac12 \|M - G \, \mathrm{diag}(d) X\|_F^2 \quad \text{s.t. } d \geq 1 .

As in MNE (``mne.inverse_sparse.mxne_debiasing``) the problem is solved by
FISTA (Beck & Teboulle 2009) with step ``1 / (1.1 L)``,
``L = ||G^T G||_2 ||X X^T||_2``, stopped when ``max |d - d_prev| < tol``: this
early stop is part of MNE's answer, so it is kept to give the same amplitudes.
"""

import logging

import numpy as np
from numba import njit

logger = logging.getLogger("tfmxne")

#: FISTA iterations before the debiasing gives up (MNE's ``mxne_debiasing`` default).
MAX_ITER = 1000
#: After a give-up, how many times ``max_iter`` the descent is continued, only to measure how
#: far the weights returned are from converged ones (on positions: milliseconds).
REFERENCE_FACTOR = 100


def compute_bias(M, G, X, n_orient=1, max_iter=MAX_ITER, tol=1e-6):
    """Debiasing weights for the active sources.

    Parameters
    ----------
    M : array, shape (n_sensors, n_times)
        Data.
    G : array, shape (n_sensors, n_active)
        Gain of the active dipoles.
    X : array, shape (n_active, n_times)
        Their (biased) time courses.
    n_orient : int
        Orientations per position; they share one weight.
    max_iter : int
        Maximum FISTA iterations.
    tol : float
        Stop when the weights move less than this (sup norm).

    Returns
    -------
    d : array, shape (n_active,)
        Weights ``>= 1`` to multiply the rows of X with.
    error : float
        0 when the descent converged. Else ``max_iter`` iterations ended it (as in MNE,
        the weights of the last one are returned) and this is their largest relative
        difference from the weights after :data:`REFERENCE_FACTOR` times as many.
    """
    if X.shape[0] == 0:
        return np.ones(0), 0.0
    GTG, XXT = G.T @ G, X @ X.T
    lips = 1.1 * np.linalg.eigvalsh(GTG)[-1] * np.linalg.eigvalsh(XXT)[-1]
    # gradient of 0.5 ||M - G diag(y) X||^2 in y: -diag(G^T R X^T) = H y - b with
    # H = (G^T G) * (X X^T) (elementwise) and b = diag(G^T M X^T): no n_times work
    H = GTG * XXT
    b = np.sum((G.T @ M) * X, axis=1)
    # the iterates are constant over each position's orientations, and the
    # projection of a gradient step on that subspace is its mean there: iterate
    # on positions with the orientation-summed H and b, divided by n_orient
    n_pos = X.shape[0] // n_orient
    H = H.reshape(n_pos, n_orient, n_pos, n_orient).sum(axis=(1, 3)) / n_orient
    b = b.reshape(n_pos, n_orient).sum(axis=1) / n_orient
    d, n_iter = _fista(H, b, lips, max_iter, tol)
    error = 0.0
    if n_iter < max_iter:
        logger.info("Debiasing converged after %d iterations", n_iter)
    else:
        reference, _ = _fista(H, b, lips, REFERENCE_FACTOR * max_iter, tol)
        error = float(np.max(np.abs(d - reference) / reference))
        logger.warning("Debiasing did not converge after %d iterations: its weights are within %.2g %% "
                       "of converged ones", max_iter, 100 * error)
    return np.repeat(d, n_orient), error


@njit(cache=True)
def _fista(H, b, lips, max_iter, tol):
    """FISTA on ``0.5 d^T H d - b^T d`` s.t. ``d >= 1``: the weights, and its last iteration.

    The iteration is ``max_iter`` if it did not converge. Compiled: on a few sources an iteration is a few hundred flops, and the
    numpy loop spent ten times that in call overhead.
    """
    d = np.ones(len(b))
    y = d.copy()
    t = 1.0
    for it in range(max_iter):
        d_prev = d
        d = np.maximum(y + (b - H @ y) / lips, 1.0)
        t_prev, t = t, 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t**2))
        y = d + (t_prev - 1.0) / t * (d - d_prev)
        if np.abs(d - d_prev).max() < tol:
            return d, it
    return d, max_iter
