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

logger = logging.getLogger("tfmxne")


def compute_bias(M, G, X, n_orient=1, max_iter=1000, tol=1e-6):
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
    """
    if X.shape[0] == 0:
        return np.ones(0)
    GTG, XXT = G.T @ G, X @ X.T
    lips = 1.1 * np.linalg.eigvalsh(GTG)[-1] * np.linalg.eigvalsh(XXT)[-1]
    # gradient of 0.5 ||M - G diag(y) X||^2 in y: -diag(G^T R X^T) = H y - b with
    # H = (G^T G) * (X X^T) (elementwise) and b = diag(G^T M X^T): no n_times work
    H = GTG * XXT
    b = np.sum((G.T @ M) * X, axis=1)
    d = y = np.ones(X.shape[0])
    t = 1.0
    for it in range(max_iter):
        d_prev = d
        d = y + (b - H @ y) / lips
        d = np.repeat(d.reshape(-1, n_orient).mean(axis=1), n_orient)
        d = np.maximum(d, 1.0)
        t_prev, t = t, 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t**2))
        y = d + (t_prev - 1.0) / t * (d - d_prev)
        if np.abs(d - d_prev).max() < tol:
            logger.info("Debiasing converged after %d iterations", it)
            break
    else:
        logger.info("Debiasing did not converge after %d iterations", max_iter)
    return d
