"""Solver against MNE's TF-MxNE / MxNE solvers on synthetic problems."""

import logging

import numpy as np
import pytest
from mne.inverse_sparse.mxne_optim import (
    iterative_tf_mixed_norm_solver,
    mixed_norm_solver,
    tf_mixed_norm_solver,
)

from tfmxne import solve
from tfmxne.norms import alpha_max
from tfmxne.solver import SolverResult
from tfmxne.stft import TFDictionary


def _generate_tf_data(n_orient=1, seed=0):
    """Three damped oscillations seen through a random normalised gain + noise."""
    rng = np.random.RandomState(seed)
    n_sensors, n_positions, n_times = 30, 40, 64
    G = rng.randn(n_sensors, n_positions * n_orient)
    G /= np.std(G, axis=0)[None, :]
    X = np.zeros((n_positions * n_orient, n_times))
    t = np.arange(n_times)
    for k, (pos, f0, t0) in enumerate([(0, 0.05, 20), (7, 0.12, 30), (25, 0.2, 45)]):
        X[pos * n_orient + k % n_orient] = (
            np.sin(2 * np.pi * f0 * t) * np.exp(-(((t - t0) / 6.0) ** 2)) * 10
        )
    M = G @ X + rng.randn(n_sensors, n_times)
    return M, G


def _objective(M, G, X, active_set, a_s, a_t, wsize, tstep, n_orient, Z):
    from tfmxne.norms import norm_l1, norm_l21

    tf = TFDictionary(wsize, tstep, M.shape[1])
    R = M - G[:, active_set] @ X
    return (0.5 * np.sum(R**2) + a_s * norm_l21(Z, tf, n_orient)
            + a_t * norm_l1(Z, tf, n_orient))


CASES = [
    dict(n_orient=1, alphas=(200.0, 10.0), wsize=16, tstep=4),
    dict(n_orient=1, alphas=(100.0, 30.0), wsize=32, tstep=4),
    dict(n_orient=3, alphas=(150.0, 10.0), wsize=16, tstep=4),
    dict(n_orient=1, alphas=(150.0, 10.0), wsize=[16, 32], tstep=[4, 8]),
    dict(n_orient=3, alphas=(150.0, 10.0), wsize=[8, 16], tstep=[2, 4]),
    # a window longer than 64 samples: block updates without the compiled pass
    dict(n_orient=3, alphas=(150.0, 10.0), wsize=[16, 128], tstep=[4, 16]),
]


@pytest.mark.parametrize("case", CASES)
def test_same_as_mne(case):
    """Same active set and objective (within 1e-6 relative) as MNE at the same tol."""
    M, G = _generate_tf_data(case["n_orient"])
    a_s, a_t = case["alphas"]
    kw = dict(wsize=case["wsize"], tstep=case["tstep"], n_orient=case["n_orient"],
              maxit=200, tol=1e-6, debias=False)
    X_mne, as_mne, E_mne = tf_mixed_norm_solver(M, G, a_s, a_t, verbose=False, **kw)
    res = solve(M, G, a_s, a_t, **kw)
    assert isinstance(res, SolverResult) and res.converged
    assert res.active_set.sum() > 0
    np.testing.assert_array_equal(res.active_set, as_mne)
    tf = TFDictionary(case["wsize"], case["tstep"], M.shape[1])
    p_mne = _objective(M, G, X_mne, as_mne, a_s, a_t, case["wsize"], case["tstep"],
                       case["n_orient"], tf.analysis(X_mne))
    p_ours = _objective(M, G, res.X, res.active_set, a_s, a_t, case["wsize"],
                        case["tstep"], case["n_orient"], res.Z)
    assert p_ours <= p_mne * (1 + 1e-6)
    np.testing.assert_allclose(res.X, X_mne, atol=1e-6 * np.abs(X_mne).max())
    # convergence record: gap and objective per check, last check on the full problem
    assert len(res.p_obj) == len(res.dgap) == len(res.full) and res.full[-1]
    assert res.gap == res.dgap[-1] < 1e-6 and min(res.dgap) > -1e-9
    np.testing.assert_allclose(res.objective, p_ours, rtol=1e-10)


@pytest.mark.parametrize("n_orient", [1, 3])
def test_alpha_time_zero_is_mxne(n_orient):
    """TF-MxNE with alpha_time = 0 gives the MxNE (L21) estimate."""
    M, G = _generate_tf_data(n_orient, seed=1)
    alpha = 0.3 * alpha_max(G, M, TFDictionary(4, 2, M.shape[1]), 0.0, n_orient)
    X_mx, as_mx, _ = mixed_norm_solver(M, G, alpha, n_orient=n_orient, maxit=3000,
                                       tol=1e-10, debias=False, verbose=False)
    res = solve(M, G, alpha, 0.0, wsize=4, tstep=2, n_orient=n_orient, maxit=3000,
                tol=1e-10)
    np.testing.assert_array_equal(res.active_set, as_mx)
    np.testing.assert_allclose(res.X, X_mx, rtol=1e-4, atol=1e-4 * np.abs(X_mx).max())


@pytest.mark.parametrize("n_orient", [1, 3])
def test_reweighting_same_as_mne(n_orient):
    """Same support as MNE's reweighted solver, and at least as close to the optimum.

    MNE's gap of the weighted problems can be negative (inexact weighted
    epsilon-norm), so it may stop before ``tol``; ours is exact, so our estimate
    must be at least as close to a tightly converged one.
    """
    M, G = _generate_tf_data(n_orient, seed=2)
    kw = dict(wsize=16, tstep=4, n_orient=n_orient, maxit=200, debias=False)
    X_mne, as_mne, _ = iterative_tf_mixed_norm_solver(M, G, 150.0, 10.0, 3,
                                                      tol=1e-6, verbose=False, **kw)
    res = solve(M, G, 150.0, 10.0, n_tfmxne_iter=3, tol=1e-6, **kw)
    ref = solve(M, G, 150.0, 10.0, n_tfmxne_iter=3, tol=1e-8,
                **dict(kw, maxit=3000))
    np.testing.assert_array_equal(res.active_set, as_mne)
    np.testing.assert_array_equal(ref.active_set, as_mne)
    assert np.abs(res.X - ref.X).max() <= np.abs(X_mne - ref.X).max() + 1e-12
    np.testing.assert_allclose(res.X, X_mne, atol=0.05 * np.abs(X_mne).max())


def test_debias_same_as_mne():
    M, G = _generate_tf_data(3, seed=3)
    kw = dict(wsize=16, tstep=4, n_orient=3, maxit=200, tol=1e-6, debias=True)
    X_mne, as_mne, _ = tf_mixed_norm_solver(M, G, 150.0, 10.0, verbose=False, **kw)
    res = solve(M, G, 150.0, 10.0, **kw)
    np.testing.assert_array_equal(res.active_set, as_mne)
    np.testing.assert_allclose(res.X, X_mne, rtol=1e-5, atol=1e-5 * np.abs(X_mne).max())


def test_all_zero_solution_is_valid(caplog):
    M, G = _generate_tf_data(1)
    amax = alpha_max(G, M, TFDictionary(16, 4, M.shape[1]), 0.1, 1)
    with caplog.at_level(logging.INFO, logger="tfmxne"):
        res = solve(M, G, amax * 0.9, amax * 0.1 * 1.01, wsize=16, tstep=4)
    assert res.converged and not res.active_set.any()
    assert res.X.shape == (0, M.shape[1]) and res.Z.shape[0] == 0
    assert "All-zero solution" in caplog.text


def test_alpha_zero_and_work_cap(caplog):
    """alpha = 0 is accepted (logged); a capped solve reports non-convergence."""
    M, G = _generate_tf_data(1)
    with caplog.at_level(logging.INFO, logger="tfmxne"):
        res = solve(M, G, 0.0, 0.0, wsize=16, tstep=4, maxit=3, tol=1e-12,
                    max_outer=2)
    assert "alpha = 0" in caplog.text
    assert not res.converged and res.n_iter <= 2 * (3 + 1)
    assert "maxit=3" in caplog.text and "did not converge" in caplog.text
    assert res.gap >= 1e-12 and res.active_set.all()


def test_invalid_input():
    M, G = _generate_tf_data(1)
    with pytest.raises(ValueError, match="non-negative"):
        solve(M, G, -1.0, 1.0)
    with pytest.raises(ValueError, match="n_tfmxne_iter"):
        solve(M, G, 1.0, 1.0, n_tfmxne_iter=0)


@pytest.mark.parametrize("n_orient", [1, 3])
@pytest.mark.parametrize("scale", [0.05, 0.3, 0.8])
@pytest.mark.parametrize("weighted", [False, True])
def test_sweep_matches_exact_double_precision(n_orient, scale, weighted):
    """The screened single-precision sweep gives the exact dual norm (when it
    exceeds alpha) and the exact most violating positions of a double-precision
    brute force, for residuals near and far from the optimum.
    """
    from tfmxne.norms import epsilon_norm, orient_magnitude
    from tfmxne.solver import _Problem, lipschitz_constants

    rng = np.random.default_rng(n_orient)
    G = rng.standard_normal((30, 200 * n_orient))
    R = rng.standard_normal((30, 64))
    tf = TFDictionary([16, 32], [4, 8], 64)
    rho = 0.1
    ws = rng.uniform(0.5, 2.0, 200) if weighted else None
    wt = rng.uniform(0.0, 2.0, (200, tf.n_coefs)) if weighted else None
    Y = orient_magnitude(tf.analysis(G.T @ R), n_orient)
    nus = epsilon_norm(Y, rho, tf.counts, ws, wt)
    total = scale * nus.max()
    prob = _Problem(R, G, total * (1 - rho), total * rho, tf, n_orient,
                    lipschitz_constants(G, n_orient), ws, wt)
    exclude = np.argsort(-nus)[:1]
    nu, new = prob.sweep(R, exclude=exclude, n_new=20)
    violating = np.setdiff1d(np.flatnonzero(nus > total), exclude)
    assert len(violating) > 0
    np.testing.assert_allclose(nu, nus.max(), rtol=1e-12)
    # the violation orders positions like (y - alpha_t w)_+ norms, not like nu:
    soft = np.maximum(Y - total * rho * (1.0 if wt is None else wt), 0.0)
    if wt is not None:
        soft[wt == 0] = 0.0
    v = np.sqrt((soft**2) @ tf.counts) / (total * (1 - rho) * (1.0 if ws is None else ws))
    v[exclude] = 0.0
    expected = np.flatnonzero(v > 1.0)
    expected = np.sort(expected[np.argsort(-v[expected], kind="stable")[:20]])
    np.testing.assert_array_equal(new, expected)
    # below alpha everywhere: no new position, nu at most alpha (the dual point is R)
    prob = _Problem(R, G, 1.01 * nus.max() * (1 - rho), 1.01 * nus.max() * rho, tf,
                    n_orient, lipschitz_constants(G, n_orient), ws, wt)
    nu, new = prob.sweep(R, exclude=[], n_new=20)
    assert len(new) == 0 and nu <= 1.01 * nus.max()
