"""Epsilon-norm, prox, alpha_max and duality gap against brute force."""

import numpy as np
import pytest
from mne.inverse_sparse.mxne_optim import _Phi, norm_epsilon
from scipy.optimize import brentq, minimize

from tfmxne.norms import (
    alpha_max,
    epsilon_norm,
    norm_l1,
    norm_l21,
    orient_magnitude,
    prox_l21_l1,
)
from tfmxne.solver import _Problem, lipschitz_constants, solve
from tfmxne.stft import TFDictionary


def _brute_epsilon(y, rho, c, ws, w):
    """Root of sum_k c_k (y_k - rho w_k nu)_+^2 = (ws (1 - rho) nu)^2."""
    keep = w > 0
    y, c, w = y[keep], c[keep], w[keep]

    def f(nu):
        return np.sum(c * np.maximum(y - rho * w * nu, 0) ** 2) - (ws * (1 - rho) * nu) ** 2

    return brentq(f, 1e-300, 1e8, xtol=1e-15, rtol=1e-15)


@pytest.mark.parametrize("rho", [0.01, 0.03, 0.3, 0.9])
@pytest.mark.parametrize("weighted", [False, True])
def test_epsilon_norm_brute_force(rho, weighted):
    rng = np.random.default_rng(2)
    tf = TFDictionary(16, 4, 50)
    Y = np.abs(rng.standard_normal((8, tf.n_coefs)))
    ws = rng.uniform(0.5, 2, 8) if weighted else np.ones(8)
    wt = rng.uniform(0.5, 2, Y.shape) if weighted else np.ones(Y.shape)
    if weighted:
        wt[:, ::7] = 0.0  # infinite weights: no dual constraint
    nu = epsilon_norm(Y, rho, tf.counts, ws if weighted else None,
                      wt if weighted else None)
    expected = [_brute_epsilon(y, rho, tf.counts, s, w) for y, s, w in zip(Y, ws, wt)]
    np.testing.assert_allclose(nu, expected, rtol=1e-12)
    if not weighted and rho < 0.5:
        # MNE's per-row implementation; it is exact here (not for large rho, where
        # it returns max(y) when a single doubled frequency is in the support)
        n = tf.n_coefs
        phi = _Phi(np.array([16]), np.array([4]), np.array([n]), 50)
        np.testing.assert_allclose(nu, [norm_epsilon(y, rho, phi) for y in Y],
                                   rtol=1e-12)


def test_epsilon_norm_limits():
    """rho = 0: weighted L2 norm / w_s; rho = 1: max y / w; zero row: 0."""
    rng = np.random.default_rng(3)
    tf = TFDictionary(8, 2, 20)
    Y = np.abs(rng.standard_normal((3, tf.n_coefs)))
    Y[2] = 0
    ws = np.array([1.0, 2.0, 1.0])
    np.testing.assert_allclose(epsilon_norm(Y, 0.0, tf.counts, ws),
                               np.sqrt(Y**2 @ tf.counts) / ws)
    wt = rng.uniform(0.5, 2, Y.shape)
    np.testing.assert_allclose(epsilon_norm(Y, 1.0, tf.counts, None, wt),
                               (Y / wt).max(1))
    assert epsilon_norm(Y, 0.3, tf.counts)[2] == 0.0


def _penalty(Z, tf, mu_s, mu_t, n_orient):
    return mu_s * norm_l21(Z, tf, n_orient) + mu_t * norm_l1(Z, tf, n_orient)


@pytest.mark.parametrize("n_orient", [1, 2])
@pytest.mark.parametrize("mu_s,mu_t", [(0.5, 0.2), (0.1, 0.6), (2.0, 0.1), (0.3, 0.0)])
def test_prox_brute_force(n_orient, mu_s, mu_t):
    """prox(V) minimises 0.5 ||Z - V||_c^2 + mu_s ||Z||_c + mu_t ||Z||_1,c."""
    rng = np.random.default_rng(4)
    tf = TFDictionary(4, 2, 4)
    V = tf.analysis(rng.standard_normal((n_orient, 4)))
    Z = prox_l21_l1(V.copy(), tf, mu_s, mu_t, n_orient)
    Z = np.zeros_like(V) if Z is None else Z

    def obj(Zc):
        return 0.5 * tf.norm2(Zc - V).sum() + _penalty(Zc, tf, mu_s, mu_t, n_orient)

    def obj_real(v):
        return obj((v[: V.size] + 1j * v[V.size :]).reshape(V.shape))

    best = min(
        (minimize(obj_real, np.r_[Z0.real.ravel(), Z0.imag.ravel()], method="Powell",
                  options=dict(xtol=1e-9, ftol=1e-13, maxiter=20000))
         for Z0 in (V, 0.5 * V, np.zeros_like(V))),
        key=lambda r: r.fun,
    )
    assert obj(Z) <= best.fun + 1e-9
    # and no random perturbation does better
    for _ in range(50):
        E = 1e-3 * (rng.standard_normal(V.shape) + 1j * rng.standard_normal(V.shape))
        assert obj(Z) <= obj(Z + E) + 1e-12


def _problem(n_orient=1, seed=0):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((20, 12 * n_orient))
    X = np.zeros((G.shape[1], 40))
    X[0] = np.sin(np.arange(40) / 3.0)
    M = G @ X + 0.3 * rng.standard_normal((20, 40))
    return M, G


@pytest.mark.parametrize("n_orient", [1, 3])
@pytest.mark.parametrize("rho", [0.0, 0.1, 0.5])
def test_alpha_max_and_gap(n_orient, rho):
    """Z = 0 is optimal iff alpha >= alpha_max; the gap is 0 there."""
    M, G = _problem(n_orient)
    tf = TFDictionary(16, 4, M.shape[1])
    amax = alpha_max(G, M, tf, rho, n_orient)
    # brute force: the largest per-position epsilon norm of Phi G_j^T M
    Y = orient_magnitude(tf.analysis(G.T @ M), n_orient)
    np.testing.assert_allclose(amax, epsilon_norm(Y, rho, tf.counts).max())
    L = lipschitz_constants(G, n_orient)
    prob = _Problem(M, G, amax * (1 - rho), amax * rho, tf, n_orient, L, None, None)
    empty = np.zeros((0, tf.n_coefs), complex)
    gap, p_obj, _ = prob.gap(M, np.zeros_like(M), empty, [], -np.inf)
    assert abs(gap) <= 1e-10 * p_obj
    res = solve(M, G, 1.001 * amax * (1 - rho), 1.001 * amax * rho, 16, 4, n_orient)
    assert not res.active_set.any() and res.converged
    res = solve(M, G, 0.9 * amax * (1 - rho), 0.9 * amax * rho, 16, 4, n_orient,
                tol=1e-10)
    assert res.active_set.any() and res.converged


def test_gap_bounds_suboptimality():
    """gap >= 0 at every check, < tol at the end, and >= p_obj - p_opt."""
    M, G = _problem(1, seed=5)
    tf = TFDictionary(16, 4, M.shape[1])
    amax = alpha_max(G, M, tf, 0.2, 1)
    a_s, a_t = 0.3 * amax * 0.8, 0.3 * amax * 0.2
    loose = solve(M, G, a_s, a_t, 16, 4, 1, tol=1e-2, dgap_freq=1)
    tight = solve(M, G, a_s, a_t, 16, 4, 1, tol=1e-12, maxit=5000)
    assert loose.converged and tight.converged
    assert min(loose.dgap) >= -1e-10 and min(tight.dgap) >= -1e-10
    assert loose.gap < 1e-2 and tight.gap < 1e-12
    assert loose.objective - tight.objective <= loose.gap + 1e-10


@pytest.mark.parametrize("n_orient", [1, 3])
@pytest.mark.parametrize("rho", [0.03, 0.5, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_dual_norm_bounds_are_exact(n_orient, rho, weighted):
    """The bound-pruned dual norm equals the max of all per-position epsilon-norms."""
    from tfmxne.norms import dual_norm

    rng = np.random.default_rng(6)
    n_pos = 300
    G = rng.standard_normal((15, n_pos * n_orient)) * rng.uniform(0.1, 3, n_pos * n_orient)
    R = rng.standard_normal((15, 40))
    tf = TFDictionary(16, 4, 40)
    ws = rng.uniform(0.5, 2, n_pos) if weighted else None
    wt = rng.uniform(0.0, 2, (n_pos, tf.n_coefs)) if weighted else None
    if weighted:
        wt[wt < 0.2] = 0.0
    Y = orient_magnitude(tf.analysis(G.T @ R), n_orient)
    expected = epsilon_norm(Y, rho, tf.counts, ws, wt).max()
    np.testing.assert_allclose(dual_norm(G, R, tf, rho, n_orient, ws, wt), expected,
                               rtol=1e-12)
