r"""Automatic alpha for TF-MxNE: SURE over a warm-started regularisation path.

For whitened data ``M = mu + sigma W`` (``W`` standard Gaussian, ``N = M.size``
entries) and an estimator of the noiseless data ``mu_hat(M) = G Phi^H Z_hat(M)``,
Stein's unbiased risk estimate (Stein 1981)

.. math::

    \mathrm{SURE}(\alpha) = \|M - \hat\mu_\alpha(M)\|_F^2 - N \sigma^2
        + 2 \sigma^2 \, \mathrm{df}(\alpha),
    \qquad \mathrm{df} = \mathrm{div}\, \hat\mu_\alpha(M)
        = \sum_i \frac{\partial \hat\mu_i}{\partial M_i}

is an unbiased estimate of the prediction risk
``E ||mu_hat(M) - mu||_F^2``. TF-MxNE is the proximal map of a convex penalty
composed with a linear operator, hence Lipschitz in ``M``, so the divergence
exists almost everywhere, but it has no usable closed form. It is estimated by
Monte-Carlo finite differences (Deledalle, Vaiter, Fadili & Peyre, SIAM J.
Imaging Sci. 7(4), 2014; the estimator of MNE's ``mixed_norm(alpha='sure')``):

.. math::

    \widehat{\mathrm{df}} = \frac{1}{\varepsilon}
        \langle \delta, \hat\mu(M + \varepsilon \delta) - \hat\mu(M) \rangle ,
    \qquad \delta \sim \mathcal N(0, I_N), \quad
    \varepsilon = 2 \sigma / N^{0.3}

(``E_delta <delta, J delta> = tr J``), i.e. two solves per alpha: on the data
and on the perturbed data. With whitened data ``sigma = 1``.

Alphas are in percent of ``alpha_max`` (the smallest alpha with an empty
support) on a log grid from 100 % downward. The point 100 % is the empty
estimate, known without solving (``df = 0``); the others are solved in
decreasing order, each warm-started from the solution at the previous alpha
(solutions move little between neighbouring alphas, so a solve costs a few
passes over a small active set), and each perturbed solve is warm-started from
the data solution at the same alpha (they differ by ``O(epsilon)``).

Temporally correlated noise. M/EEG noise is coloured in time (1/f brain noise,
low-pass filters), so after spatial whitening each row of the noise still has a
temporal covariance ``sigma^2 C`` (``C`` with unit diagonal, times the edge taper).
Stein's lemma then gives ``E ||mu_hat - mu||^2 = E ||M - mu_hat||^2 - sigma^2 n tr(C)
+ 2 sigma^2 tr(J C)`` (``n`` rows, ``J`` the Jacobian of ``mu_hat``), and drawing
``delta`` with covariance ``C`` makes the same finite difference estimate
``tr(J C)``. Ignoring ``C`` under-counts the degrees of freedom of smooth fits (by
up to ``(1 + rho) / (1 - rho)`` for AR(1) noise of lag-1 correlation ``rho``), so
SURE keeps decreasing and picks alphas with spurious sources. ``time_cov`` passes
``C``; :func:`ar1_time_cov` builds it from a lag-1 correlation measured on the
baseline (:func:`lag1_correlation`).

Accuracy: ``P(Z) - P(Z^*) >= ||mu(Z) - mu(Z^*)||^2 / 2`` (the data term is
1-strongly convex in ``mu``), so a duality gap ``g`` bounds the prediction error
of a solve by ``sqrt(2 g)`` and its effect on ``df_hat`` by
``2 sqrt(2 g) / epsilon`` at worst. The errors of the two warm-started solves
are correlated and nearly orthogonal to ``delta``, so the observed error is far
smaller: on the sample evoked (5124 sources, 15 alphas, df from 6 to 6875) the
path solved to an absolute gap ``epsilon^2`` and to ``100 epsilon^2`` gave the
same df to 0.1 at every alpha, the latter in 64 % of the time. The default is
``tol = 100 epsilon^2``, still much tighter than the usual ``1e-4 ||M||^2``.
"""

import logging
from dataclasses import dataclass, field

import numpy as np

from .norms import alpha_max as _alpha_max
from .solver import SolverResult, solve
from .stft import TFDictionary

logger = logging.getLogger("tfmxne")


@dataclass
class SurePath:
    """SURE along a regularisation path (output of :func:`sure_path`).

    Attributes
    ----------
    alphas : array, shape (n_alphas,)
        The grid, in percent of ``alpha_max``, decreasing from 100.
    sure : array, shape (n_alphas,)
        SURE of each alpha (in units of ``sigma^2``; ``-N sigma^2`` is perfect).
    dof : array, shape (n_alphas,)
        Estimated degrees of freedom ``df_hat`` of each alpha.
    n_active : array of int, shape (n_alphas,)
        Active positions of the data solution at each alpha.
    best : int
        Index of the selected alpha (minimal SURE; the largest alpha on ties).
    l1_ratio : float
        The ``l1_ratio`` of the path.
    alpha_max : float
        Absolute ``alpha_max`` of the data (``alphas`` are relative to it).
    result : SolverResult
        The data solution at the selected alpha (an empty one at 100 %).
    epsilon, tol : float
        Finite-difference step and absolute gap tolerance of the solves.
    noise_rho : float | None
        Lag-1 correlation of the AR(1) noise model, None for white noise (set by
        :func:`tfmxne.tf_mixed_norm`).
    noise_sigma : float | None
        Noise level used (set by :func:`tfmxne.tf_mixed_norm`).
    n_solves : int
        Number of solver calls.
    solutions : list of SolverResult
        The data solution at each alpha when ``keep_solutions``, else empty.
    """

    alphas: np.ndarray
    sure: np.ndarray
    dof: np.ndarray
    n_active: np.ndarray
    best: int
    l1_ratio: float
    alpha_max: float
    result: SolverResult
    epsilon: float
    tol: float
    n_solves: int
    solutions: list = field(default_factory=list)
    noise_rho: float = None
    noise_sigma: float = None

    @property
    def alpha(self):
        """Selected alpha, in percent of ``alpha_max``."""
        return float(self.alphas[self.best])

    def as_dict(self):
        """The path as plain Python types (for records and reports)."""
        return dict(alphas=self.alphas.tolist(), sure=self.sure.tolist(),
                    dof=self.dof.tolist(), n_active=self.n_active.tolist(),
                    alpha=self.alpha, l1_ratio=self.l1_ratio,
                    alpha_max=self.alpha_max, epsilon=self.epsilon, tol=self.tol,
                    n_solves=self.n_solves, noise_rho=self.noise_rho,
                    noise_sigma=self.noise_sigma)


def alpha_grid(n_alphas=15, alpha_min=10.0):
    """Log-spaced grid in percent of ``alpha_max``: ``100, ..., alpha_min``."""
    if not 0.0 < alpha_min < 100.0:
        raise ValueError(f"alpha_min must be in (0, 100), got {alpha_min}")
    if n_alphas < 1:
        raise ValueError(f"n_alphas must be >= 1, got {n_alphas}")
    return np.geomspace(100.0, alpha_min, int(n_alphas))


def sure_value(M, M_hat, M_hat_eps, delta, epsilon, sigma=1.0, noise_trace=None):
    r"""Finite-difference SURE of one estimate and its degrees of freedom.

    ``SURE = ||M - M_hat||^2 - sigma^2 noise_trace + 2 sigma^2 df`` with
    ``df = <delta, M_hat_eps - M_hat> / epsilon``, where ``M_hat_eps`` is the
    estimate computed from ``M + epsilon delta`` and ``noise_trace`` the trace of
    the noise covariance in units of ``sigma^2`` (``M.size`` for white noise).

    Returns
    -------
    sure, df : float
    """
    noise_trace = M.size if noise_trace is None else noise_trace
    dof = float(np.sum(delta * (M_hat_eps - M_hat))) / epsilon
    R = M - M_hat
    sure = float(np.sum(R * R)) - noise_trace * sigma**2 + 2.0 * sigma**2 * dof
    return sure, dof


def lag1_correlation(B):
    """Pooled lag-1 autocorrelation of the rows of a zero-mean noise segment (channels x times).

    Clipped to [0, 0.99]; 0 when it has fewer than 4 samples. Row means are not
    removed: on the ~15 baseline samples of a solve window that would bias it by -0.1.
    """
    B = np.asarray(B, dtype=float)
    if B.shape[1] < 4:
        return 0.0
    num = np.sum(B[:, 1:] * B[:, :-1])
    den = np.sqrt(np.sum(B[:, 1:] ** 2) * np.sum(B[:, :-1] ** 2))
    return float(np.clip(num / den, 0.0, 0.99)) if den > 0 else 0.0


def ar1_time_cov(rho, n_times, taper=None):
    """Temporal covariance ``rho^|i-j|`` of unit-variance AR(1) noise, tapered as the data are.

    ``taper``: per-sample factors, or None.
    """
    lags = np.abs(np.subtract.outer(np.arange(n_times), np.arange(n_times)))
    cov = float(rho) ** lags
    if taper is not None:
        cov *= np.outer(taper, taper)
    return cov


def _correlated(delta, time_cov):
    """Rows of white ``delta`` given the temporal covariance ``time_cov``."""
    s, u = np.linalg.eigh(time_cov)
    return delta @ (u * np.sqrt(np.clip(s, 0.0, None))) @ u.T


def _prediction(G, res):
    return G[:, res.active_set] @ res.X


def _dense_Z(res, n_sources, n_coefs):
    """Coefficients of all sources (zeros outside the active set), for Z_init."""
    Z = np.zeros((n_sources, n_coefs), dtype=np.complex128)
    Z[res.active_set] = res.Z
    return Z


def _empty_result(G, tf, tol):
    return SolverResult(X=np.zeros((0, tf.n_times)),
                        Z=np.zeros((0, tf.n_coefs), complex),
                        active_set=np.zeros(G.shape[1], dtype=bool), converged=True,
                        gap=0.0, tol=tol)


def sure_path(M, G, l1_ratio, wsize=64, tstep=4, n_orient=1, n_alphas=15,
              alpha_min=10.0, sigma=1.0, maxit=200, tol=None, dgap_freq=10,
              debias=False, epsilon=None, patience=2, random_state=0,
              keep_solutions=False, time_cov=None):
    r"""Select alpha by SURE over a warm-started TF-MxNE path (arrays API).

    For ``alpha`` on :func:`alpha_grid`, solves TF-MxNE with
    ``alpha_space = alpha (1 - l1_ratio)`` and ``alpha_time = alpha l1_ratio``
    on ``M`` and on ``M + epsilon delta``, estimates SURE (see the module
    docstring) and returns the alpha of minimal SURE with its solution. Cost:
    ``2 (n_alphas - 1)`` warm-started solves.

    Parameters
    ----------
    M : array, shape (n_sensors, n_times)
        Whitened data (noise of standard deviation ``sigma``).
    G : array, shape (n_sensors, n_sources)
        Gain matrix (``n_orient`` consecutive columns per position).
    l1_ratio : float in [0, 1]
        Share of the time-frequency L1 penalty.
    wsize, tstep : int | list of int
        STFT window sizes and hops.
    n_orient : int
        Dipoles per position.
    n_alphas : int
        Grid size, including the 100 % point (not solved).
    alpha_min : float
        Smallest alpha of the grid, in percent of ``alpha_max``.
    sigma : float
        Noise standard deviation (1 for whitened data).
    maxit, dgap_freq : int
        Passed to :func:`tfmxne.solve`.
    tol : float | None
        Absolute duality-gap tolerance of every solve; None gives
        ``100 epsilon^2`` (see the module docstring).
    debias : bool
        Debias each estimate; SURE then scores the debiased prediction.
    epsilon : float | None
        Finite-difference step; None gives ``2 sigma / N^0.3``.
    patience : int | None
        Stop the path after this many consecutive alphas whose SURE is above
        the minimum so far (the small alphas are the expensive ones: large
        active sets); the returned grid ends there. None walks the whole grid.
    random_state : None | int | numpy.random.Generator
        Seed of the perturbation ``delta``.
    keep_solutions : bool
        Keep the data solution at every alpha in ``solutions``.
    time_cov : array, shape (n_times, n_times) | None
        Temporal covariance of each noise row in units of ``sigma^2`` (see the
        module docstring); None for white noise.

    Returns
    -------
    path : SurePath
        Grid, SURE, df, active positions per alpha and the selected solution.
    """
    M = np.asarray(M, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64)
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}")
    alphas = alpha_grid(n_alphas, alpha_min)
    tf = TFDictionary(wsize, tstep, M.shape[1])
    a_max = _alpha_max(G, M, tf, l1_ratio, n_orient)
    if epsilon is None:
        epsilon = 2.0 * sigma / M.size**0.3
    if tol is None:
        tol = 100.0 * epsilon**2
    delta = np.random.default_rng(random_state).standard_normal(M.shape)
    noise_trace = M.size
    if time_cov is not None:
        delta = _correlated(delta, time_cov)
        noise_trace = M.shape[0] * float(np.trace(time_cov))
    M_eps = M + epsilon * delta

    empty = _empty_result(G, tf, tol)
    sure = np.full(len(alphas), float(np.sum(M * M)) - noise_trace * sigma**2)
    dof, n_active = np.zeros(len(alphas)), np.zeros(len(alphas), dtype=int)
    solutions = [empty] if keep_solutions else []
    best, best_res, res, n_solves = 0, empty, None, 0
    first, stop = 1, len(alphas)
    if a_max <= 0.0:
        logger.info("SURE path: alpha_max = 0 (data orthogonal to the gain), no "
                    "source can be active; the estimate is empty.")
        first = stop
    kw = dict(wsize=wsize, tstep=tstep, n_orient=n_orient, maxit=maxit, tol=tol,
              dgap_freq=dgap_freq, debias=debias)
    for i in range(first, len(alphas)):
        alpha = alphas[i] / 100.0 * a_max
        a_s, a_t = alpha * (1.0 - l1_ratio), alpha * l1_ratio
        Z0 = None if res is None else _dense_Z(res, G.shape[1], tf.n_coefs)
        res = solve(M, G, a_s, a_t, Z_init=Z0, **kw)
        res_eps = solve(M_eps, G, a_s, a_t,
                        Z_init=_dense_Z(res, G.shape[1], tf.n_coefs), **kw)
        n_solves += 2
        sure[i], dof[i] = sure_value(M, _prediction(G, res), _prediction(G, res_eps),
                                     delta, epsilon, sigma, noise_trace)
        n_active[i] = res.active_set.sum() // n_orient
        logger.info("SURE path: alpha %.3g%% :: n_active %d :: df %.1f :: SURE %.6g",
                    alphas[i], n_active[i], dof[i], sure[i])
        if keep_solutions:
            solutions.append(res)
        if sure[i] < sure[best]:
            best, best_res = i, res
        elif patience is not None and i - best >= patience:
            logger.info("SURE path: stopped after %d alphas above the minimum",
                        patience)
            stop = i + 1
            break
    path = SurePath(alphas=alphas[:stop], sure=sure[:stop], dof=dof[:stop],
                    n_active=n_active[:stop], best=best,
                    l1_ratio=float(l1_ratio), alpha_max=float(a_max),
                    result=best_res, epsilon=float(epsilon), tol=float(tol),
                    n_solves=n_solves, solutions=solutions)
    if best == len(alphas) - 1 > 0 and stop == len(alphas):
        logger.warning("SURE is minimal at the smallest alpha of the grid (%.3g%%): "
                       "lower alpha_min to look further.", path.alpha)
    logger.info("SURE selected alpha = %.4g%% of alpha_max (l1_ratio %.3g, "
                "%d active positions)", path.alpha, l1_ratio, n_active[best])
    return path


def sure_l1_ratio_grid(M, G, l1_ratios, random_state=0, **kwargs):
    """:func:`sure_path` for each ``l1_ratio``; the pair of minimal SURE wins.

    The same perturbation ``delta`` (same ``random_state``) is used for every
    ``l1_ratio``, so the SURE values are compared with common random numbers.

    Returns
    -------
    best : SurePath
        The path whose selected alpha has the smallest SURE.
    paths : list of SurePath
        One path per ``l1_ratio``.
    """
    if isinstance(random_state, np.random.Generator):
        raise TypeError("pass an int seed: every path must draw the same delta")
    paths = [sure_path(M, G, r, random_state=random_state, **kwargs)
             for r in l1_ratios]
    best = min(paths, key=lambda p: p.sure[p.best])
    logger.info("SURE selected l1_ratio = %.3g, alpha = %.4g%%", best.l1_ratio,
                best.alpha)
    return best, paths
