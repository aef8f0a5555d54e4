r"""TF-MxNE solver: block coordinate descent with an active set.

Solves (Gramfort et al. 2013; Bekhti et al. 2016)

.. math::

    \min_Z \frac12 \|M - G \Phi^H(Z)\|_F^2
        + \alpha_s \sum_j w^s_j \|Z_j\|_c
        + \alpha_t \sum_{j,k} c_k w^t_{jk} |Z_{jk}|

for ``Z`` the time-frequency coefficients of the sources (see
:mod:`tfmxne.norms` for the penalty and :mod:`tfmxne.stft` for ``Phi``).

The block update is MNE's (``mne.inverse_sparse.tf_mixed_norm_solver``): a
proximal step on position ``j`` with step ``1 / L_j``, ``L_j = ||G_j^T G_j||_2``.
The schedule is a working-set one (as in celer and skglm) instead of MNE's
sequential full passes, so the iterates differ but the minimiser and the
stopping rule are the same:

1. one chunked STFT of ``G^T R`` over all positions gives both the duality
   gap of the *full* problem and the positions that violate the optimality
   conditions (:meth:`_Problem.sweep`); stop if the gap is below ``tol``;
2. block coordinate descent on the active positions plus the most violating
   ones, with ``G^T R`` kept up to date through the Gram matrix and Anderson
   extrapolation (:mod:`tfmxne.anderson`), until the working set's own gap is
   small.

Transforms are batched, ``Phi^H Z_j`` is cached, and the dual norm only
computes exact epsilon-norms where a vectorised test says they can beat the
running maximum.
"""

import logging
from dataclasses import dataclass, field

import numpy as np

from .anderson import AndersonExtrapolator
from .debias import compute_bias
from .norms import (
    chunk_max,
    dual_norm,
    norm_l1,
    norm_l21,
    orient_magnitude,
    prox_l21_l1,
)
from .stft import TFDictionary
from .threads import blas_on_one_thread, run_chunks

logger = logging.getLogger("tfmxne")

_WORKING_SET_GROWTH = 32  # fewest positions added to the working set per outer step
_ANDERSON_MAX_SIZE = 2**22  # largest active problem (coefficients) extrapolated
_INNER_GAP = 0.3  # a working set is solved to this share of the full gap
_POLISH = 0.01  # a converged solution is refined (support and violators) to this share of tol
_SWEEP_CHUNK = 2**18  # entries of G^T R per chunk of a sweep (small: the STFT stays in cache)


@dataclass
class SolverResult:
    """Output of :func:`solve`.

    Attributes
    ----------
    X : array, shape (n_active, n_times)
        Time courses of the active dipoles (debiased if requested).
    Z : array, shape (n_active, n_coefs)
        Their TF coefficients (before debiasing).
    active_set : array of bool, shape (n_sources,)
        Mask of the active dipoles.
    p_obj, dgap : list of float
        Primal objective and duality gap at each check (``full`` tells which
        checks were on the full problem, the others are on the active set).
    full : list of bool
        Whether each check was on the full problem.
    n_iter : int
        Number of passes (epochs) of block coordinate descent.
    converged : bool
        True if the final full-problem gap is below ``tol``.
    gap : float
        Final duality gap of the full problem.
    tol : float
        Tolerance on the gap.
    debias_error : float | None
        0 when the debiasing converged, else how far its weights are from converged
        ones (:func:`tfmxne.debias.compute_bias`); None: not debiased.
    """

    X: np.ndarray
    Z: np.ndarray
    active_set: np.ndarray
    p_obj: list = field(default_factory=list)
    dgap: list = field(default_factory=list)
    full: list = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    gap: float = np.inf
    tol: float = 0.0
    debias_error: float | None = None

    @property
    def objective(self):
        """Final primal objective (last check)."""
        return self.p_obj[-1] if self.p_obj else np.nan


def block_grams(G, n_orient):
    """``G_j^T G_j`` of each block of ``n_orient`` columns, (n_pos, n_orient, n_orient).

    One dot product per pair of orientations over all blocks at once (a batched
    ``einsum`` over the 3 x 3 products is several times slower).
    """
    Gb = G.reshape(G.shape[0], -1, n_orient)
    grams = np.empty((Gb.shape[1], n_orient, n_orient))
    for i in range(n_orient):
        for j in range(i, n_orient):
            grams[:, i, j] = grams[:, j, i] = np.einsum("cp,cp->p", Gb[:, :, i], Gb[:, :, j])
    return grams


def lipschitz_constants(G, n_orient):
    """``L_j = ||G_j^T G_j||_2``, the Lipschitz constant of each block."""
    if n_orient == 1:
        return np.sum(G * G, axis=0)
    return np.linalg.eigvalsh(block_grams(G, n_orient))[:, -1]


class _Problem:
    """Data, dictionary, penalties and weights of one (weighted) problem."""

    def __init__(self, M, G, alpha_space, alpha_time, tf, n_orient, L, w_space, w_time,
                 n_threads=1):
        self.M, self.G, self.tf, self.n_orient = M, G, tf, n_orient
        self.n_threads = n_threads  # workers of a sweep (BLAS runs on one thread)
        self.alpha_space, self.alpha_time = alpha_space, alpha_time
        self.n_pos = G.shape[1] // n_orient
        # blocks: (n_pos, n_sensors, n_orient)
        self.Gb = G.reshape(G.shape[0], self.n_pos, n_orient).transpose(1, 0, 2)
        self.L = L
        self.w_space, self.w_time = w_space, w_time
        ws = 1.0 if w_space is None else w_space
        self.mu_space = alpha_space * ws / L * np.ones(self.n_pos)
        if w_time is None:
            self.mu_time = alpha_time / L
            self.zero_mask = None
        else:
            self.mu_time = alpha_time * w_time / L[:, None]
            self.zero_mask = w_time == 0.0
        total = alpha_space + alpha_time
        self.l1_ratio = alpha_time / total if total > 0 else 0.0
        self._G32 = self._G_norms = None  # single-precision copy for sweeps
        self._packed = False  # the dictionary for compiled passes, made on first use

    def packed(self):
        """The dictionary packed for :mod:`tfmxne.block_descent`, or None if too long."""
        if self._packed is False:
            from .block_descent import PackedDictionary

            self._packed = PackedDictionary(self.tf) if PackedDictionary.supports(self.tf) else None
        return self._packed

    def block(self, j, gtr, Z_j, X_j):
        """Proximal update of position j given ``gtr = G_j^T R``.

        Returns the new ``(Z_j, X_j)`` or ``(None, None)`` if it is zero.
        """
        L = self.L[j]
        step = gtr / L
        x_new = step if X_j is None else step + X_j
        if np.sqrt(np.sum(x_new * x_new)) <= self.mu_space[j]:
            return None, None
        z = self.tf.analysis(step)
        if Z_j is not None:
            z += Z_j
        mu_t = self.mu_time[j]
        zm = None if self.zero_mask is None else self.zero_mask[j]
        z = prox_l21_l1(z, self.tf, self.mu_space[j], mu_t, self.n_orient, zm)
        if z is None:
            return None, None
        return z, self.tf.synthesis(z)

    def primal(self, R, Z, pos):
        """``0.5 ||R||^2 + penalty`` for the coefficients Z of positions pos."""
        ws = None if self.w_space is None else self.w_space[pos]
        wt = None if self.w_time is None else self.w_time[pos]
        pen = self.alpha_space * norm_l21(Z, self.tf, self.n_orient, ws)
        pen += self.alpha_time * norm_l1(Z, self.tf, self.n_orient, wt)
        return 0.5 * float(np.sum(R * R)) + pen

    def dual_norm(self, R, pos=None):
        """Dual norm of ``Phi G^T R`` over positions ``pos`` (all if None)."""
        if pos is None:
            return dual_norm(self.G, R, self.tf, self.l1_ratio,
                                     self.n_orient, self.w_space, self.w_time)
        pos = np.asarray(pos, dtype=int)
        ws = None if self.w_space is None else self.w_space[pos]
        wt = None if self.w_time is None else self.w_time[pos]
        return dual_norm(self.G[:, self.columns(pos)], R, self.tf,
                                 self.l1_ratio, self.n_orient, ws, wt)

    def sweep(self, R, exclude=(), n_new=0):
        """Dual norm at R and the most violating positions, from one pass.

        The violation of position j is ``v_j = ||(|Phi G_j^T R| - alpha_t
        w^t_j)_+||_c / (alpha_s w^s_j)``: above 1 exactly when its epsilon-norm
        ``nu_j`` exceeds ``A = alpha_s + alpha_t``, i.e. when ``Z_j = 0`` breaks
        the optimality conditions (a block update would move it).

        One GEMM ``G^T R`` per chunk of columns (memory linear in the number of
        time samples) and an STFT in single precision give every ``v_j`` to
        within a bound (:meth:`_approximate`); exact values, in double
        precision, are then computed only where they decide something:

        * ``nu``: since ``||(y - rho w t)_+||`` decreases in ``t``,
          ``nu_j <= v_j A``, so positions are visited in decreasing order of
          that bound until it is below the running maximum. If no position
          violates, ``nu <= A`` and its exact value is not needed (the dual
          point is ``R`` itself): the value returned is then at most ``A``.
        * the new positions: the ``n_new`` largest exact violations above 1,
          outside ``exclude``, ties to the lower index.

        Returns
        -------
        nu : float
            The dual norm ``||Phi G^T R||_eps`` if above ``A``, else at most ``A``.
        new : array of int
            The new positions, sorted.
        """
        total = self.alpha_space + self.alpha_time
        approx, slack = self._approximate(R)
        upper = approx + slack
        exact = {}
        nu = 0.0

        def visit(idx):
            nonlocal nu
            idx = np.array([j for j in idx if j not in exact], dtype=int)
            if len(idx):
                v, nu = self._exact(self.G[:, self.columns(idx)].T @ R, idx, nu)
                exact.update(zip(idx.tolist(), v.tolist()))

        # nu: visit possible violators while their bound can beat the maximum
        violators = np.flatnonzero(upper > 1.0)
        violators = violators[np.argsort(-upper[violators], kind="stable")]
        lo, size = 0, 32
        while lo < len(violators):
            idx = violators[lo : lo + size]
            if np.isfinite(upper[idx[0]]) and upper[idx[0]] * total <= max(nu, total):
                break
            visit(idx)
            lo, size = lo + size, 2 * size
        # the n_new largest violations: refine all that may be among them
        upper[np.asarray(exclude, dtype=int)] = 0.0
        cand = np.flatnonzero(upper > 1.0)
        if n_new and len(cand) > n_new:
            kth = np.partition(approx[cand] - slack[cand], len(cand) - n_new)[len(cand) - n_new]
            cand = cand[upper[cand] >= kth]
        visit(cand)
        v = np.array([exact[j] for j in cand])
        cand = cand[v > 1.0]
        order = np.argsort(-v[v > 1.0], kind="stable")
        return nu, np.sort(cand[order[:n_new]])

    def _approximate(self, R):
        """Every violation ``v_j`` in single precision, and a bound on its error.

        The violation is 1-Lipschitz in ``G_j^T R`` (Frobenius norm over
        ``alpha_s w^s_j``: the frame is tight and thresholding contracts), so
        the error is bounded by that of ``G_j^T R`` in single precision,
        ``(n_sensors + 2) 2^-24 ||G_j||_F ||R||_F`` (Higham's bound for a dot
        product), plus that of the float32 STFT, ``1e-5 ||G_j^T R||_F`` (its
        relative error is about ``wsize * 6e-8``), plus the rounding of the sum
        of ``n_coefs`` squares (relative): ``slack`` is their sum, the last two
        doubled. Positions whose ``||G_j^T R||_F`` (plus its error) is below
        ``alpha_s w^s_j`` cannot violate (Parseval): their STFT is skipped and
        that norm stands for the excess, still an upper bound.
        """
        no, n_times = self.n_orient, R.shape[1]
        ws = np.ones(self.n_pos) if self.w_space is None else self.w_space
        if self.alpha_space == 0:  # any excess is an infinite violation: all exact
            return np.full(self.n_pos, np.inf), np.zeros(self.n_pos)
        if self._G32 is None:
            self._G32 = self.G.astype(np.float32)
            self._G_norms = np.sqrt(np.sum(self.Gb**2, axis=(1, 2)))
        R32 = R.astype(np.float32)
        excess, norms = np.empty(self.n_pos), np.empty(self.n_pos)
        step = max(32, _SWEEP_CHUNK // (n_times * no))
        gemm_error = (self.G.shape[0] + 2) * 2.0**-24 * self._G_norms * np.linalg.norm(R)
        scale = self.alpha_space * ws

        def chunk(lo):
            hi = min(lo + step, self.n_pos)
            GTR = self._G32[:, lo * no : hi * no].T @ R32
            norms[lo:hi] = excess[lo:hi] = np.linalg.norm(GTR.reshape(hi - lo, -1), axis=1)
            # Parseval: the excess is at most ||G_j^T R||_F, so only positions
            # whose norm can reach the threshold need the STFT
            can = np.flatnonzero((norms[lo:hi] + gemm_error[lo:hi]) * (1 + 1e-5) > scale[lo:hi])
            if len(can):
                rows = GTR.reshape(hi - lo, no, n_times)[can].reshape(-1, n_times)
                excess[lo + can] = self._excess(rows, lo + can, np.float32)[0]

        run_chunks(chunk, range(0, self.n_pos, step), self.n_threads)
        approx = excess / scale
        slack = (gemm_error + 2e-5 * norms) / scale + 2 * self.tf.n_coefs * 6e-8 * approx
        return approx, slack

    def _excess(self, GTR, idx, dtype):
        """``||(|Phi G_j^T R| - alpha_t w^t_j)_+||_c`` of positions ``idx``.

        ``GTR`` holds their rows of ``G^T R`` (``n_orient`` per position).
        Returns it with the magnitudes ``Y`` and the time weights ``W`` (None).
        """
        tf = self.tf
        Y = np.sqrt(tf.power(GTR, self.n_orient, dtype))
        W = None
        if self.w_time is not None:
            W = self.w_time[idx][:, tf.power_order].astype(dtype)
            Y = np.where(W > 0, Y, 0.0).astype(dtype, copy=False)
        soft = Y - self.alpha_time * (1.0 if W is None else W)
        np.maximum(soft, 0.0, out=soft)
        soft *= soft
        return np.sqrt(soft @ tf.power_counts.astype(dtype)), Y, W

    def _exact(self, GTR, idx, nu):
        """Violations of positions ``idx`` and ``max(nu, their epsilon-norms)``."""
        excess, Y, W = self._excess(GTR, idx, np.float64)
        ws = np.ones(len(idx)) if self.w_space is None else self.w_space[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            violation = np.where(excess > 0, excess / (self.alpha_space * ws), 0.0)
        return violation, chunk_max(Y, W, ws, self.l1_ratio, self.tf.power_counts, nu)

    def columns(self, pos):
        """Columns of G of the positions pos."""
        no = self.n_orient
        return (np.asarray(pos, dtype=int)[:, None] * no + np.arange(no)).ravel()

    def gap(self, R, GX, Z, pos, best_dual, sub=None, nu=None):
        """Duality gap with the dual point ``R * min(1, alpha / ||Phi G^T R||)``.

        ``nu`` is that dual norm when already known (:meth:`sweep`).
        """
        p_obj = self.primal(R, Z, pos)
        nR2 = float(np.sum(R * R))
        total = self.alpha_space + self.alpha_time
        if nu is None:
            nu = self.dual_norm(R, sub)
        scaling = 1.0 if nu <= total else total / nu
        d_obj = (scaling - 0.5 * scaling**2) * nR2 + scaling * float(np.sum(R * GX))
        d_obj = max(d_obj, best_dual)
        return p_obj - d_obj, p_obj, d_obj


class _State:
    """Active coefficients (dicts keyed by position) and the residual."""

    def __init__(self, prob, Z_init):
        self.prob = prob
        self.Z, self.X = {}, {}
        self.R = prob.M.copy()
        for j, z in _warm_blocks(Z_init, prob.n_orient, prob.n_pos).items():
            self.Z[j] = z.copy()
            self.X[j] = prob.tf.synthesis(self.Z[j])
            self.R -= prob.Gb[j] @ self.X[j]

    def active(self):
        return np.array(sorted(self.Z), dtype=int)

    def dense(self, pos):
        """Coefficients and time courses of positions ``pos`` stacked (zero where inactive)."""
        prob = self.prob
        no = prob.n_orient
        Z = np.zeros((len(pos) * no, prob.tf.n_coefs), complex)
        X = np.zeros((len(pos) * no, prob.tf.n_times))
        for k, j in enumerate(pos):
            if j in self.Z:
                Z[k * no : (k + 1) * no], X[k * no : (k + 1) * no] = self.Z[j], self.X[j]
        return Z, X

    def assign(self, pos, Z, X, active):
        """Set the coefficients of positions ``pos`` from stacked ``Z`` and ``X``."""
        no = self.prob.n_orient
        for k, j in enumerate(pos):
            if active[k]:
                self.Z[j], self.X[j] = Z[k * no : (k + 1) * no].copy(), X[k * no : (k + 1) * no].copy()
            elif j in self.Z:
                del self.Z[j], self.X[j]

    def stacked(self, pos):
        if len(pos) == 0:
            tf = self.prob.tf
            return np.zeros((0, tf.n_coefs), complex), np.zeros((0, tf.n_times))
        return (np.concatenate([self.Z[j] for j in pos]),
                np.concatenate([self.X[j] for j in pos]))


def active_positions(active_set, n_orient) -> np.ndarray:
    """Positions (blocks of ``n_orient`` columns) with an active column, in order."""
    return np.flatnonzero(np.asarray(active_set).reshape(-1, n_orient).any(axis=1))


def _warm_blocks(Z_init, n_orient, n_pos) -> dict:
    """Position -> its non-zero coefficient block, from a warm start.

    ``Z_init``: None, a dense array (all positions' rows) or a :class:`SolverResult` on
    the same columns (its active rows only: no dense copy of a large problem).
    """
    if Z_init is None:
        return {}
    if isinstance(Z_init, SolverResult):
        if len(Z_init.active_set) != n_pos * n_orient:
            raise ValueError("Z_init: a SolverResult of another gain (its active_set has "
                             f"{len(Z_init.active_set)} columns, the gain {n_pos * n_orient})")
        pos = active_positions(Z_init.active_set, n_orient)
        return dict(zip(pos, Z_init.Z.reshape(len(pos), n_orient, -1)))
    blocks = {j: Z_init[j * n_orient : (j + 1) * n_orient] for j in range(n_pos)}
    return {j: z for j, z in blocks.items() if np.any(z)}


def _active_passes(state, pos, maxit, tol, dgap_freq, result):
    """Up to ``maxit`` passes of block updates over the working set ``pos``.

    Stops when the gap of the problem restricted to ``pos`` is below ``tol``.
    Every ``K + 1`` passes an Anderson extrapolation of the coefficients is
    tried (:mod:`tfmxne.anderson`) and kept if it lowers the objective. For
    small working sets ``G_pos^T R`` is maintained with the Gram matrix
    ``G_pos^T G_pos`` (cost ``O(|pos| n_times)`` per block instead of
    ``O(n_sensors n_times)``) and recomputed exactly at each check; for large
    ones the residual is updated. A pass is one compiled call
    (:mod:`tfmxne.block_descent`) when the dictionary allows it.
    """
    prob = state.prob
    ws = _WorkingSet(prob, pos)
    Z, X = state.dense(pos)
    active = np.array([j in state.Z for j in pos])
    R = np.ascontiguousarray(state.R)
    best_dual = -np.inf
    small = Z.size <= _ANDERSON_MAX_SIZE
    accel = AndersonExtrapolator() if small else None
    try:
        for it in range(maxit):
            if it % dgap_freq == 0:
                GTR = ws.GTR(R)
            ws.run_pass(Z, X, active, GTR, R)
            result.n_iter += 1
            if accel is not None and _extrapolate(prob, ws, Z, X, accel):
                active = ws.active_rows(Z)
                R = prob.M - ws.G @ X
                GTR = ws.GTR(R)
            if (it + 1) % dgap_freq == 0:
                GX = ws.G @ X
                R = prob.M - GX
                rows = np.repeat(active, prob.n_orient)
                gap, p_obj, best_dual = prob.gap(R, GX, Z[rows], pos[active], best_dual,
                                                 sub=pos)
                _record(result, p_obj, gap, full=False)
                logger.debug("    pass %d :: n_active %d :: dgap %.2e :: p_obj %s",
                             it + 1, active.sum(), gap, p_obj)
                if gap < tol:
                    return
        logger.info("    active-set passes reached maxit=%d before tol", maxit)
    finally:
        state.assign(pos, Z, X, active)
        state.R = R


class _WorkingSet:
    """The arrays of one working set that a pass of block updates needs."""

    def __init__(self, prob, pos):
        self.prob, self.pos = prob, pos
        no = prob.n_orient
        self.G = np.ascontiguousarray(prob.G[:, prob.columns(pos)])
        self.use_gram = len(pos) * no < self.G.shape[0]
        empty = np.zeros((0, 0))
        self.gram = self.G.T @ self.G if self.use_gram else empty
        self.GT = empty if self.use_gram else np.ascontiguousarray(self.G.T)
        self.L = np.ascontiguousarray(prob.L[pos])
        self.mu_space = np.ascontiguousarray(prob.mu_space[pos])
        self.mu_time = np.ascontiguousarray(np.reshape(prob.mu_time[pos], (len(pos), -1)))
        self.zero_mask = (np.zeros((0, 0), dtype=bool) if prob.zero_mask is None
                          else np.ascontiguousarray(prob.zero_mask[pos]))
        self.packed = prob.packed()

    def GTR(self, R):
        """``G_pos^T R`` when it is maintained, else an empty array."""
        return self.G.T @ R if self.use_gram else np.zeros((0, 0))

    def active_rows(self, Z):
        """Which positions have a non-zero coefficient."""
        return np.any(Z.reshape(len(self.pos), -1) != 0, axis=1)

    def run_pass(self, Z, X, active, GTR, R):
        """One pass of block updates over the working set, in place."""
        if self.packed is not None:
            from .block_descent import bcd_pass

            bcd_pass(self.packed, Z, X, active, self.L, self.mu_space, self.mu_time,
                     self.zero_mask, GTR, self.gram, R, self.GT, self.use_gram)
            return
        no = self.prob.n_orient
        for k, j in enumerate(self.pos):
            sl = slice(k * no, (k + 1) * no)
            gtr = GTR[sl] if self.use_gram else self.G[:, sl].T @ R
            was_active = active[k]
            z, x = self.prob.block(j, gtr, Z[sl] if was_active else None,
                                   X[sl] if was_active else None)
            active[k] = z is not None
            if z is None and not was_active:
                continue
            dX = -X[sl] if z is None else x - X[sl]
            Z[sl], X[sl] = (0.0, 0.0) if z is None else (z, x)
            if self.use_gram:
                GTR -= self.gram[:, sl] @ dX
            else:
                R -= self.G[:, sl] @ dX


def _extrapolate(prob, ws, Z, X, accel):
    """Anderson step on the working set's coefficients, in place; True if accepted.

    The extrapolated point replaces the iterate only if it has a lower primal
    objective.
    """
    Z_acc = accel.push(Z)
    if Z_acc is None:
        return False
    X_acc = prob.tf.synthesis(Z_acc)
    if prob.primal(prob.M - ws.G @ X_acc, Z_acc, ws.pos) >= prob.primal(prob.M - ws.G @ X, Z, ws.pos):
        return False
    Z[:], X[:] = Z_acc, X_acc
    return True


def _polish(state, pos, maxit, tol, dgap_freq, best_dual, result):
    """Passes on ``pos`` down to ``tol``, without a new sweep.

    ``pos`` is the certified support plus the positions the last sweep found
    violating. Block updates only lower the objective, and the dual point of
    the last sweep stays feasible for the full problem, so ``p_obj -
    best_dual`` is still a full-problem gap. Marginal positions left by a
    loose stop drop out here, and marginal ones that it missed come in, at
    the price of a few cheap passes on the support.
    """
    prob = state.prob
    _active_passes(state, pos, maxit, tol, dgap_freq, result)
    pos = state.active()
    Z, X = state.stacked(pos)
    cols = prob.columns(pos)
    state.R = prob.M - prob.G[:, cols] @ X
    p_obj = prob.primal(state.R, Z, pos)
    gap = p_obj - best_dual
    _record(result, p_obj, gap, full=True)
    logger.info("polished: dgap %.2e :: p_obj %f :: n_active %d", gap, p_obj, len(pos))
    return gap, Z, X, cols


def _record(result, p_obj, gap, full):
    result.p_obj.append(float(p_obj))
    result.dgap.append(float(gap))
    result.full.append(full)


def _solve_active_set(prob, maxit, tol, dgap_freq, Z_init, max_outer):
    """Outer loop: full-problem gap and violations, then a working-set solve.

    Each outer iteration computes, from one STFT of ``G^T R`` over all
    positions (:meth:`_Problem.sweep`), the duality gap of the full problem and
    which zero positions violate the optimality conditions. Unless the gap is
    below ``tol``, the working set becomes the active positions plus the most
    violating ones (at most ``max(32, n_active)`` new ones, as in celer and
    skglm), solved by :func:`_active_passes` to ``max(tol, 0.3 gap)``, or to
    ``tol`` when no position violates them. Once the gap is below ``tol``,
    :func:`_polish` refines the support and the last violators.
    """
    result = SolverResult(X=None, Z=None, active_set=None, tol=tol)
    state = _State(prob, Z_init)
    best_dual = -np.inf
    for outer in range(max_outer + 1):
        pos = state.active()
        Z, X = state.stacked(pos)
        cols = prob.columns(pos)
        GX = prob.G[:, cols] @ X
        state.R = prob.M - GX
        n_new = max(_WORKING_SET_GROWTH, len(pos))
        nu, new = prob.sweep(state.R, exclude=pos, n_new=n_new)
        gap, p_obj, best_dual = prob.gap(state.R, GX, Z, pos, best_dual, nu=nu)
        _record(result, p_obj, gap, full=True)
        logger.info("dgap %.2e :: p_obj %f :: n_active %d", gap, p_obj, len(pos))
        if gap < tol:
            result.converged = True
            # an empty support within tol is kept: only a support is refined
            if len(pos) and gap > _POLISH * tol:
                gap, Z, X, cols = _polish(state, np.union1d(pos, new), maxit,
                                          _POLISH * tol, dgap_freq, best_dual, result)
                pos = state.active()
            break
        if outer == max_outer:
            logger.warning(
                "TF-MxNE did not converge: %d outer iterations (%d passes), "
                "gap %.2e >= tol %.2e", max_outer, result.n_iter, gap, tol)
            break
        # no violation: the support is right, finish on it; else solve loosely
        inner_tol = max(tol, _INNER_GAP * gap) if len(new) else tol
        _active_passes(state, np.union1d(pos, new), maxit, inner_tol, dgap_freq, result)
    result.gap = float(gap)
    active_set = np.zeros(prob.G.shape[1], dtype=bool)
    active_set[cols] = True
    result.Z, result.X, result.active_set = Z, X, active_set
    if not len(pos):
        logger.info("All-zero solution: alpha is at or above alpha_max, "
                    "no active source.")
    return result


def solve(M, G, alpha_space, alpha_time, wsize=64, tstep=4, n_orient=1, maxit=200,
          tol=1e-8, dgap_freq=10, n_tfmxne_iter=1, debias=False, w_space=None,
          w_time=None, Z_init=None, max_outer=100):
    r"""Solve TF-MxNE on arrays (a drop-in for MNE's ``tf_mixed_norm_solver``).

    Minimises ``0.5 ||M - G Phi^H(Z)||_F^2 + alpha_space sum_j w^s_j ||Z_j||_c +
    alpha_time sum_jk c_k w^t_jk |Z_jk|`` (see the module docstring). ``Z = 0`` is
    the solution iff ``alpha_space + alpha_time >= alpha_max``, the epsilon dual
    norm of ``Phi G^T M`` (:func:`tfmxne.norms.alpha_max`).

    Parameters
    ----------
    M : array, shape (n_sensors, n_times)
        Data.
    G : array, shape (n_sensors, n_sources)
        Gain matrix, ``n_orient`` consecutive columns per position.
    alpha_space, alpha_time : float
        Weights of the L21 (space) and L1 (time-frequency) penalties.
    wsize, tstep : int | list of int
        STFT window sizes and hops (several give a multi-scale dictionary).
    n_orient : int
        Dipoles per position (1 fixed, 3 free/loose).
    maxit : int
        Maximum passes over the active set per outer iteration.
    tol : float
        Tolerance on the duality gap of the full problem.
    dgap_freq : int
        Passes between gap checks on the active set.
    n_tfmxne_iter : int
        Number of reweighted problems (> 1: iterative reweighting of Strohmeier
        et al. 2016, ``w^s_j = 1 / (2 sqrt(||Z_j||_c))``,
        ``w^t_jk = 1 / (2 sqrt(|Z_jk|))``).
    debias : bool
        Rescale the active time courses (:func:`tfmxne.debias.compute_bias`).
    w_space : array, shape (n_positions,) | None
        Spatial weights.
    w_time : array, shape (n_positions, n_coefs) | None
        Time-frequency weights (0 holds a coefficient at zero).
    Z_init : array, shape (n_sources, n_coefs) | SolverResult | None
        Warm start: all coefficients, or a result on the same ``G`` (its active rows).
    max_outer : int
        Hard cap on outer iterations (each at most ``maxit + 1`` passes).

    Returns
    -------
    result : SolverResult
        Coefficients, active set and convergence record.
    """
    M = np.asarray(M, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64)
    if n_tfmxne_iter < 1:
        raise ValueError(f"n_tfmxne_iter must be >= 1, got {n_tfmxne_iter}")
    if alpha_space < 0 or alpha_time < 0:
        raise ValueError("alpha_space and alpha_time must be non-negative.")
    if alpha_space == 0 and alpha_time == 0:
        logger.info("alpha = 0: no regularisation, the estimate is a least-squares "
                    "fit (not sparse) and the gap only reaches tol slowly.")
    tf = TFDictionary(wsize, tstep, M.shape[1])
    L = lipschitz_constants(G, n_orient)
    with blas_on_one_thread() as n_threads:
        if n_tfmxne_iter == 1:
            prob = _Problem(M, G, alpha_space, alpha_time, tf, n_orient, L,
                            w_space, w_time, n_threads)
            result = _solve_active_set(prob, maxit, tol, dgap_freq, Z_init, max_outer)
        else:
            result = _solve_reweighted(M, G, alpha_space, alpha_time, tf, n_orient, L,
                                       n_tfmxne_iter, maxit, tol, dgap_freq, max_outer,
                                       n_threads)
        if debias and result.active_set.any():
            bias, result.debias_error = compute_bias(M, G[:, result.active_set], result.X, n_orient)
            result.X = result.X * bias[:, None]
    return result


def _solve_reweighted(M, G, alpha_space, alpha_time, tf, n_orient, L, n_iter,
                      maxit, tol, dgap_freq, max_outer, n_threads):
    """Iterative reweighting: each problem is restricted to the current support."""
    active = np.ones(G.shape[1], dtype=bool)
    Z = np.zeros((G.shape[1], tf.n_coefs), dtype=np.complex128)
    total = None
    for k in range(n_iter):
        Z0, active0 = Z, active.copy()
        if k == 0:
            w_space = w_time = None
        else:
            w_space = 0.5 / np.sqrt(np.sqrt(tf.norm2(Z).reshape(-1, n_orient).sum(1)))
            mag = np.sqrt(orient_magnitude(Z, n_orient))
            w_time = np.zeros_like(mag)
            np.divide(0.5, mag, out=w_time, where=mag > 0)
        pos_mask = active[::n_orient]
        prob = _Problem(M, G[:, active], alpha_space, alpha_time, tf, n_orient,
                        L[pos_mask], w_space, w_time, n_threads)
        res = _solve_active_set(prob, maxit, tol, dgap_freq, Z, max_outer)
        active[active] = res.active_set
        Z = res.Z
        if total is None:
            total = res
        else:
            total.p_obj += res.p_obj
            total.dgap += res.dgap
            total.full += res.full
            total.n_iter += res.n_iter
            total.converged, total.gap = res.converged, res.gap
        logger.info("Reweighting %d: active set size %d", k + 1,
                    active.sum() // n_orient)
        if not active.any():
            break
        if np.array_equal(active, active0) and np.abs(Z - Z0).max() < tol:
            logger.info("Reweighting converged after %d iterations", k + 1)
            break
    total.Z, total.X, total.active_set = Z, res.X, active
    return total
