r"""Norms, proximal operator and dual norm of the TF-MxNE penalty.

Sources live in the time-frequency domain: ``Z`` has one row per dipole (groups
of ``n_orient`` consecutive rows form a position ``j``) and one column per
coefficient ``k`` of the dictionary ``Phi`` (see :mod:`tfmxne.stft`). With
``c_k`` the half-spectrum counts and ``|Z_jk|`` the Euclidean norm over the
orientations of position ``j``, the penalty is

.. math::

    \Omega(Z) = \alpha_s \sum_j w^s_j \sqrt{\sum_k c_k |Z_{jk}|^2}
              + \alpha_t \sum_j \sum_k c_k w^t_{jk} |Z_{jk}|

(L21 for spatial sparsity, L1 for time-frequency sparsity). A time weight
``w^t_jk = 0`` means an infinite weight: that coefficient is held at zero (the
convention of MNE's reweighted solver).
"""

import numpy as np

from . import threads

def orient_magnitude(Z, n_orient):
    """``|Z_jk|``: norm over the orientations of each position, (n_pos, n_coefs)."""
    if n_orient == 1:
        return np.abs(Z)
    A = (Z.real**2 + Z.imag**2).reshape(-1, n_orient, Z.shape[-1])
    return np.sqrt(A.sum(axis=1))


def norm_l21(Z, tf, n_orient, w_space=None):
    """``sum_j w^s_j ||Z_j||_c`` with ``||.||_c`` the half-spectrum L2 norm."""
    if Z.shape[0] == 0:
        return 0.0
    norms = np.sqrt(tf.norm2(Z).reshape(-1, n_orient).sum(axis=1))
    if w_space is not None:
        norms = norms * w_space
    return float(norms.sum())


def norm_l1(Z, tf, n_orient, w_time=None):
    """``sum_jk c_k w^t_jk |Z_jk|``."""
    if Z.shape[0] == 0:
        return 0.0
    A = orient_magnitude(Z, n_orient)
    if w_time is not None:
        A = A * w_time
    return float(tf.norm1(A).sum())


def prox_l21_l1(Z, tf, mu_space, mu_time, n_orient, w_time_zero=None):
    r"""Proximal operator of ``mu_s ||Z||_c + sum_k c_k mu_t,k |Z_k|`` on one position.

    The composition of the group soft-thresholdings is exact for this sum
    (L1 first, then L21, as the L21 group contains the L1 groups)::

        Z_k <- Z_k (1 - mu_t,k / |Z_k|)_+ ;  Z <- Z (1 - mu_s / ||Z||_c)_+

    Parameters
    ----------
    Z : array, shape (n_orient, n_coefs)
        Coefficients of one position (modified in place).
    tf : TFDictionary
        The dictionary (for the half-spectrum counts).
    mu_space : float
        Threshold of the L21 term.
    mu_time : float | array, shape (n_coefs,)
        Threshold(s) of the L1 term.
    n_orient : int
        Number of orientations (rows of Z).
    w_time_zero : array of bool, shape (n_coefs,) | None
        Coefficients held at zero (infinite time weight).

    Returns
    -------
    Z : array, shape (n_orient, n_coefs) | None
        The result, or None when it is zero.
    """
    col = orient_magnitude(Z, n_orient)[0] if n_orient > 1 else np.abs(Z[0])
    soft = col - mu_time  # |Z_k| after the L1 step: (|Z_k| - mu_t,k)_+
    np.maximum(soft, 0.0, out=soft)
    if w_time_zero is not None:
        soft[w_time_zero] = 0.0
    row = np.sqrt((soft * soft) @ tf.counts)
    if row <= mu_space:
        return None
    scale = np.divide(soft, col, out=np.zeros_like(soft), where=soft > 0)
    scale *= 1.0 - mu_space / row
    Z *= scale
    return Z


def epsilon_norm(Y, l1_ratio, counts, w_space=None, w_time=None):
    r"""Weighted epsilon-norm of each row of Y, the dual norm of the penalty.

    For ``rho = l1_ratio`` the epsilon-norm :math:`\nu` of a row ``y >= 0`` is
    the dual norm of ``w_s (1 - rho) ||z||_c + rho sum_k c_k w_k |z_k|``, i.e.
    the unique root of (Burdakov & Merkulov 2001; Ndiaye et al. 2016)

    .. math:: \sum_k c_k (y_k - \rho w_k \nu)_+^2 = (w_s (1 - \rho) \nu)^2 .

    It is computed exactly: sort ``y_k / w_k`` decreasingly, find the last
    index ``i0`` that is in the support of the positive part, and solve the
    quadratic equation on the partial sums up to ``i0``. Rows are processed at
    once (no Python loop over rows). Entries with ``w_k = 0`` are held at zero
    by the primal, so they impose no dual constraint and are ignored.

    Parameters
    ----------
    Y : array, shape (n_rows, n_coefs)
        Non-negative magnitudes.
    l1_ratio : float in [0, 1]
        ``rho``.
    counts : array, shape (n_coefs,)
        Half-spectrum counts ``c_k``.
    w_space : array, shape (n_rows,) | None
        Spatial weights (1 if None).
    w_time : array, shape (n_rows, n_coefs) | None
        Time weights (1 if None).

    Returns
    -------
    nu : array, shape (n_rows,)
        The epsilon-norm of each row.
    """
    Y = np.asarray(Y, dtype=np.float64)
    n_rows = Y.shape[0]
    ws = np.ones(n_rows) if w_space is None else np.asarray(w_space, float)
    if w_time is None:
        W = np.ones_like(Y)
    else:
        W = np.broadcast_to(w_time, Y.shape)
        Y = np.where(W > 0, Y, 0.0)
    if l1_ratio == 1.0:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(W > 0, Y / W, 0.0)
        return ratio.max(axis=1, initial=0.0)
    if l1_ratio == 0.0:
        return np.sqrt((Y**2) @ counts) / ws
    rho = l1_ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(W > 0, Y / W, 0.0)
    # Keep per row only the entries that can be in the support: any single entry
    # gives a lower bound nu_lb (adding entries increases the left-hand side), and
    # entries with y_k / w_k <= rho * nu_lb cannot be in the support.
    sc = np.sqrt(counts)
    nu_lb = (sc * Y / (rho * W * sc + (ws * (1.0 - rho))[:, None])).max(axis=1)
    keep = (ratio > rho * nu_lb[:, None]).sum(axis=1).max(initial=1)
    keep = max(int(keep), 1)
    if keep < Y.shape[1]:
        idx = np.argpartition(-ratio, keep - 1, axis=1)[:, :keep]
    else:
        idx = np.broadcast_to(np.arange(Y.shape[1]), Y.shape)
    order = np.argsort(-np.take_along_axis(ratio, idx, axis=1), axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    r = np.take_along_axis(ratio, idx, axis=1)
    y = np.take_along_axis(Y, idx, axis=1)
    w = np.take_along_axis(W, idx, axis=1)
    c = counts[idx]
    S2 = np.cumsum(c * y**2, axis=1)
    Syw = np.cumsum(c * y * w, axis=1)
    Sw2 = np.cumsum(c * w**2, axis=1)
    # upper_i = sum_{k <= i} c_k (y_k / r_i - w_k)^2, non-decreasing in i; entry i
    # is in the support iff upper_i <= (w_s (1 - rho) / rho)^2.
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = S2 / r**2 - 2.0 * Syw / r + Sw2
    upper[r <= 0] = np.inf
    thr = (ws * (1.0 - rho) / rho) ** 2
    i0 = np.maximum((upper <= thr[:, None]).sum(axis=1) - 1, 0)
    rows = np.arange(n_rows)
    S2, Syw, Sw2 = S2[rows, i0], Syw[rows, i0], Sw2[rows, i0]
    # a nu^2 - 2 b nu + S2 = 0, smallest positive root written without cancellation
    a = rho**2 * Sw2 - (ws * (1.0 - rho)) ** 2
    b = rho * Syw
    disc = np.sqrt(np.maximum(b**2 - a * S2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        nu = np.where(S2 > 0, S2 / (b + disc), 0.0)
    return nu


#: up to this many positions, :func:`dual_norm` computes every one exactly: the
#: bounds that let it skip positions cost more than they save
_FEW_POSITIONS = 64


def dual_norm(G, R, tf, l1_ratio, n_orient, w_space=None, w_time=None):
    """``max_j ||Phi G_j^T R||_eps,j``: the dual norm of the penalty at ``G^T R``.

    Exact, with cheap tests to skip positions. Parseval gives
    ``nu_j <= ||G_j^T R||_F / (w^s_j (1 - rho))`` before any STFT (from a
    single-precision ``G^T R``, plus its error bound), so positions are
    visited in decreasing order of that bound and the visit stops once it is
    below the best value found; only visited positions get ``G_j^T R`` in
    double precision. For a visited position,
    ``f(t) = sum_k c_k (y_k - rho w_k t)_+^2`` is decreasing and
    ``(w^s_j (1 - rho) t)^2`` increasing in ``t``, so ``nu_j > t`` iff
    ``f(t) > (w^s_j (1 - rho) t)^2``: one vectorised pass tells which positions
    beat the running maximum ``t``, and only those get the exact, sort-based
    epsilon-norm. That test is first run on a single-precision STFT (several
    times faster), against ``t`` lowered by its error bound (the epsilon-norm
    is 1-Lipschitz in ``|y|`` for the bound's norm, and the float32 STFT errs by
    less than ``1e-5 ||G_j^T R||_F``); the rows it keeps are redone in double
    precision. Up to ``_FEW_POSITIONS`` positions, all are computed exactly.

    Parameters
    ----------
    G : array, shape (n_sensors, n_sources)
        Gain matrix.
    R : array, shape (n_sensors, n_times)
        Residual (or data).
    tf : TFDictionary
        The dictionary.
    l1_ratio : float
        ``alpha_time / (alpha_space + alpha_time)``.
    n_orient : int
        Number of orientations per position.
    w_space : array, shape (n_positions,) | None
        Spatial weights.
    w_time : array, shape (n_positions, n_coefs) | None
        Time weights.

    Returns
    -------
    nu : float
        The dual norm.
    """
    n_pos = G.shape[1] // n_orient
    if n_pos == 0:
        return 0.0
    rho, n_times = l1_ratio, R.shape[1]
    ws = np.ones(n_pos) if w_space is None else np.asarray(w_space, float)
    if rho < 1.0 and n_pos > _FEW_POSITIONS:
        bound = _parseval_bounds(G, R, n_orient) / (ws * (1.0 - rho))
        order = np.argsort(-bound)
    else:
        bound, order = None, np.arange(n_pos)
    best = 0.0
    step = max(32, 2**18 // (n_times * n_orient))
    lo, size = 0, 32  # a small first chunk sets a good running maximum early
    while lo < n_pos:
        idx = order[lo : lo + size]
        lo, size = lo + size, step
        if bound is not None and bound[idx[0]] <= best:
            break
        cols = (idx[:, None] * n_orient + np.arange(n_orient)).ravel()
        rows = G[:, cols].T @ R
        if bound is not None:  # screen in single precision (see the docstring)
            Y = _magnitudes(rows, tf, n_orient, w_time, idx, np.float32)
            W = None if w_time is None else w_time[idx][:, tf.power_order]
            t = (best - 2e-5 * bound[idx]) * (1 - 1e-4)
            keep = _exceeds(Y, W, ws[idx], rho, tf.power_counts, np.maximum(t, 0.0))
            idx = idx[keep]
            if not len(idx):
                continue
            rows = rows.reshape(-1, n_orient, n_times)[keep].reshape(-1, n_times)
        Y = _magnitudes(rows, tf, n_orient, w_time, idx, np.float64)
        W = None if w_time is None else w_time[idx][:, tf.power_order]
        best = chunk_max(Y, W, ws[idx], rho, tf.power_counts, best)
    return best


def _parseval_bounds(G, R, n_orient):
    """Upper bounds on ``||G_j^T R||_F`` of every position, from a float32 product.

    The product's error is below ``(n_sensors + 2) 2^-24 ||G_j||_F ||R||_F``
    (Higham's bound for dot products), added to each norm: a double-precision
    ``G^T R`` over all columns would cost several times more.
    """
    GTR = threads.matmul(G.astype(np.float32).T, R.astype(np.float32))
    norms = np.sqrt(np.sum(GTR.reshape(-1, n_orient * R.shape[1]).astype(np.float64) ** 2, axis=1))
    col_norms = np.sqrt(np.einsum("cs,cs->s", G, G).reshape(-1, n_orient).sum(axis=1))
    error = (G.shape[0] + 2) * 2.0**-24 * col_norms * np.linalg.norm(R)
    return (norms + error) * (1 + 1e-6)  # the norms' own rounding


def _magnitudes(rows, tf, n_orient, w_time, idx, dtype):
    """``|Phi x|`` of the rows of positions ``idx`` (frame-major), 0 where ``w^t = 0``."""
    Y = np.sqrt(tf.power(rows, n_orient, dtype))
    if w_time is not None:
        Y = np.where(w_time[idx][:, tf.power_order] > 0, Y, 0.0).astype(dtype, copy=False)
    return Y


def chunk_max(Y, W, ws, rho, counts, best):
    """``max(best, max_j nu_j)`` for the rows of Y, computing few exact norms.

    Rows whose epsilon-norm cannot beat the running maximum are told apart by
    :func:`_exceeds` (one vectorised pass); the others get the exact norm in
    batches of 32, the maximum being updated between batches.
    """
    above = np.flatnonzero(_exceeds(Y, W, ws, rho, counts, best))
    while len(above):
        top = above[:32]
        nu = epsilon_norm(Y[top], rho, counts, ws[top], None if W is None else W[top])
        best = max(best, float(nu.max()))
        rest = above[32:]
        above = rest[_exceeds(Y[rest], None if W is None else W[rest], ws[rest],
                              rho, counts, best)]
    return best


def _exceeds(Y, W, ws, rho, counts, t):
    """Which rows have an epsilon-norm above ``t`` (one value, or one per row).

    See :func:`dual_norm`.
    """
    t = np.asarray(t, dtype=float)
    shifted = Y - (rho * t if t.ndim == 0 else rho * t[:, None]) * (1.0 if W is None else W)
    np.maximum(shifted, 0.0, out=shifted)
    return (shifted * shifted) @ counts > (ws * (1.0 - rho) * t) ** 2


def alpha_max(G, M, tf, l1_ratio, n_orient):
    """Smallest ``alpha`` for which ``Z = 0`` solves the unweighted problem.

    With ``alpha_space = alpha (1 - rho)`` and ``alpha_time = alpha rho``, zero
    is optimal iff ``alpha >= ||Phi G^T M||_eps`` (dual norm at ``R = M``).
    """
    return dual_norm(G, M, tf, l1_ratio, n_orient)
