"""SURE over a warm-started TF-MxNE path (tfmxne.sure)."""

import json

import numpy as np
import pytest
from test_inverse import SAMPLE, sample_data  # noqa: F401 (fixtures)

from tfmxne import solve
from tfmxne.sure import ar1_time_cov, alpha_grid, lag1_correlation, sure_l1_ratio_grid, sure_path

WS = dict(wsize=16, tstep=4)


def _delta(M, seed):
    """The perturbation sure_path draws for ``random_state=seed``."""
    return np.random.default_rng(seed).standard_normal(M.shape)


def _rows_with_signal(n_rows, n_times, active, amp, rng):
    X = np.zeros((n_rows, n_times))
    t = np.arange(n_times)
    for k, j in enumerate(active):
        X[j] = amp * np.sin(2 * np.pi * (0.05 + 0.04 * k) * t) * np.hanning(n_times)
    return X


def _group_soft_threshold_jvp(y, d, alpha):
    """``J d`` for ``f(y) = y (1 - alpha / ||y||)_+`` (one group)."""
    ny = np.linalg.norm(y)
    if ny <= alpha:
        return np.zeros_like(d)
    return (1 - alpha / ny) * d + alpha * y * (y @ d) / ny**3


@pytest.mark.parametrize("epsilon, rtol", [(1e-3, 1e-3), (None, 0.2)])
def test_df_orthogonal_design_closed_form(epsilon, rtol):
    """MxNE (l1_ratio 0) with an orthogonal gain: the estimate is a group soft
    thresholding of ``Q^T M``, whose divergence along delta is known exactly.
    The finite difference is exact up to O(epsilon): 1e-3 relative at
    epsilon = 1e-3; at the default epsilon = 2 / N^0.3 (0.31 on this tiny
    problem) perturbations cross the kinks of groups near the threshold and df
    is off by up to 20 %.
    """
    rng = np.random.default_rng(0)
    n, T = 16, 32
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    M = Q @ _rows_with_signal(n, T, [2, 7, 11], 6.0, rng) + rng.standard_normal((n, T))
    path = sure_path(M, Q, 0.0, n_alphas=5, alpha_min=20.0, patience=None,
                     keep_solutions=True, epsilon=epsilon, tol=1e-12, **WS)
    Y, D = Q.T @ M, Q.T @ _delta(M, 0)
    for alpha, dof, res in zip(path.alphas[1:], path.dof[1:], path.solutions[1:]):
        a = alpha / 100 * path.alpha_max
        exact = sum(D[j] @ _group_soft_threshold_jvp(Y[j], D[j], a) for j in range(n))
        np.testing.assert_allclose(dof, exact, rtol=rtol)
        # the solver's estimate is the closed-form one
        X = np.array([Y[j] * max(0, 1 - a / np.linalg.norm(Y[j])) for j in range(n)])
        np.testing.assert_allclose(Q[:, res.active_set] @ res.X, Q @ X, atol=1e-8)
    # SURE = ||M - M_hat||^2 - N + 2 df
    res = path.result
    R = M - Q[:, res.active_set] @ res.X
    np.testing.assert_allclose(path.sure[path.best],
                               np.sum(R**2) - M.size + 2 * path.dof[path.best])


def test_df_group_lasso_implicit_differentiation():
    """MxNE with a random (non-orthogonal) gain: the derivative of the estimate
    along delta solves ``(G_I^T G_I + alpha H) dX = G_I^T delta`` on the support,
    ``H_j = (I - x_j x_j^T / ||x_j||^2) / ||x_j||`` (Vaiter et al. 2012).
    """
    rng = np.random.default_rng(1)
    n_sensors, n_src, T = 20, 30, 32
    G = rng.standard_normal((n_sensors, n_src))
    M = G @ _rows_with_signal(n_src, T, [3, 17, 25], 3.0, rng)
    M += rng.standard_normal(M.shape)
    path = sure_path(M, G, 0.0, n_alphas=4, alpha_min=30.0, patience=None,
                     keep_solutions=True, epsilon=1e-2, tol=1e-11, **WS)
    delta = _delta(M, 0)
    for alpha, dof, res in zip(path.alphas[1:], path.dof[1:], path.solutions[1:]):
        a = alpha / 100 * path.alpha_max
        X, GI = res.X, G[:, res.active_set]
        k = X.shape[0]
        H = np.zeros((k * T, k * T))
        for j in range(k):
            nx = np.linalg.norm(X[j])
            H[j * T:(j + 1) * T, j * T:(j + 1) * T] = (
                np.eye(T) - np.outer(X[j], X[j]) / nx**2) / nx
        A = np.kron(GI.T @ GI, np.eye(T)) + a * H
        dX = np.linalg.solve(A, (GI.T @ delta).ravel()).reshape(k, T)
        np.testing.assert_allclose(dof, np.sum(delta * (GI @ dX)), rtol=2e-3)


def test_grid_and_validation():
    grid = alpha_grid(15, 10.0)
    assert grid[0] == 100.0 and np.isclose(grid[-1], 10.0) and len(grid) == 15
    assert np.all(np.diff(np.log(grid)) < 0)
    with pytest.raises(ValueError, match="alpha_min"):
        alpha_grid(5, 100.0)
    with pytest.raises(ValueError, match="l1_ratio"):
        sure_path(np.ones((3, 16)), np.eye(3), 1.5, **WS)


def test_path_that_never_activates():
    """Data orthogonal to the gain: alpha_max = 0, nothing to solve, empty estimate."""
    rng = np.random.default_rng(2)
    G = np.zeros((6, 4))
    G[:3] = rng.standard_normal((3, 4))
    M = np.zeros((6, 32))
    M[3:] = rng.standard_normal((3, 32))
    path = sure_path(M, G, 0.2, n_alphas=6, **WS)
    assert path.n_solves == 0 and path.alpha_max == 0.0
    assert path.best == 0 and path.alpha == 100.0
    assert not path.result.active_set.any() and np.all(path.n_active == 0)
    np.testing.assert_allclose(path.sure, np.sum(M**2) - M.size)


def test_single_point_grid():
    rng = np.random.default_rng(3)
    G, M = rng.standard_normal((8, 10)), rng.standard_normal((8, 32))
    path = sure_path(M, G, 0.1, n_alphas=1, **WS)
    assert path.n_solves == 0 and path.alpha == 100.0 and path.alpha_max > 0


# ---------------------------------------------------------------------------
# Simulated sources on a spherical cortex cap seen by sensors on a larger sphere


def _fibonacci_sphere(n, radius):
    i = np.arange(n) + 0.5
    phi, theta = np.arccos(1 - 2 * i / n), np.pi * (1 + 5**0.5) * i
    return radius * np.c_[np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi),
                          np.cos(phi)]


@pytest.fixture(scope="module")
def cap_head():
    """Gain of radial dipoles (infinite homogeneous medium) on a 7 cm cap (about
    1 cm apart), seen by 40 sensors on an 11 cm sphere; columns scaled to mean
    norm 1.
    """
    src = _fibonacci_sphere(700, 0.07)
    src = src[src[:, 2] > 0.01]
    sens = _fibonacci_sphere(80, 0.11)
    sens = sens[sens[:, 2] > -0.02][:40]
    d = sens[:, None, :] - src[None]
    nn = src / np.linalg.norm(src, axis=1, keepdims=True)
    G = np.einsum("sjk,jk->sj", d, nn) / np.linalg.norm(d, axis=2) ** 3
    return G / np.linalg.norm(G, axis=0).mean(), src


def _simulate(G, src, peak_snr, seed, n_times=48):
    """Three sources (amplitudes 1, 0.6, 0.4, >= 3 cm apart) + unit white noise;
    ``peak_snr``: largest sensor amplitude of the noiseless data.
    """
    rng = np.random.default_rng(seed)
    idx = []
    while len(idx) < 3:
        j = int(rng.integers(G.shape[1]))
        if all(np.linalg.norm(src[j] - src[k]) > 0.03 for k in idx):
            idx.append(j)
    t = np.arange(n_times)
    X = np.zeros((G.shape[1], n_times))
    for k, (j, a) in enumerate(zip(idx, (1.0, 0.6, 0.4))):
        X[j] = a * np.sin(2 * np.pi * (0.08 + 0.05 * k) * t) * np.exp(
            -(((t - 14 - 10 * k) / 5.0) ** 2))
    clean = G @ X
    clean *= peak_snr / np.abs(clean).max()
    return clean + rng.standard_normal(clean.shape), np.array(idx)


def _score(src, active_set, true_idx):
    """(number of true sources missed, number of spurious) at 10 mm."""
    act = np.flatnonzero(active_set)
    if len(act) == 0:
        return len(true_idx), 0
    dist = np.linalg.norm(src[act][:, None] - src[true_idx][None], axis=2)
    return int((dist.min(0) > 0.01).sum()), int((dist.min(1) > 0.01).sum())


L1_RATIO = 0.1


def test_pure_noise_selects_nothing(cap_head):
    """Pure noise: SURE stays at or next to alpha_max, and what it keeps (a few
    tiny atoms at most) explains under 1 % of the data.
    """
    G, _ = cap_head
    for seed in range(3):
        M = np.random.default_rng(100 + seed).standard_normal((G.shape[0], 48))
        path = sure_path(M, G, L1_RATIO, random_state=seed, **WS)
        res = path.result
        fit = G[:, res.active_set] @ res.X
        assert path.alpha >= 80.0, (seed, path.alphas, path.sure)
        assert np.sum(fit**2) < 0.01 * np.sum(M**2)


#: (peak SNR, seed): the weakest source (0.4) is missed by alpha = 50 % at some of them
NOISE_CASES = [(10.0, 0), (10.0, 1), (14.0, 0), (14.0, 1)]
#: grid and stop rule of the localisation test (cheaper than the defaults)
PATH_KW = dict(n_alphas=12, alpha_min=15.0, patience=1, **WS)


def test_sure_finds_the_sources_where_a_fixed_alpha_fails(cap_head):
    """SURE's alpha finds the 3 sources within 10 mm with <= 2 spurious ones at
    every noise level and seed; a fixed alpha (50 % of alpha_max) does not.
    """
    G, src = cap_head
    fixed_fails = []
    for snr, seed in NOISE_CASES:
        M, idx = _simulate(G, src, snr, seed)
        path = sure_path(M, G, L1_RATIO, random_state=seed, **PATH_KW)
        missed, spurious = _score(src, path.result.active_set, idx)
        assert missed == 0 and spurious <= 2, (snr, seed, path.alpha, missed, spurious)
        a = 0.5 * path.alpha_max
        res = solve(M, G, a * (1 - L1_RATIO), a * L1_RATIO, tol=1e-4 * np.sum(M**2),
                    **WS)
        missed, spurious = _score(src, res.active_set, idx)
        fixed_fails.append(missed > 0 or spurious > 2)
    assert any(fixed_fails)


def test_seeded_and_l1_ratio_grid(cap_head):
    G, src = cap_head
    M, _ = _simulate(G, src, 8.0, 0)
    kw = dict(n_alphas=5, alpha_min=50.0, patience=None, **WS)
    p1, p2 = (sure_path(M, G, L1_RATIO, random_state=5, **kw) for _ in range(2))
    np.testing.assert_array_equal(p1.sure, p2.sure)
    best, paths = sure_l1_ratio_grid(M, G, [0.05, L1_RATIO], random_state=5, **kw)
    assert [p.l1_ratio for p in paths] == [0.05, L1_RATIO]
    np.testing.assert_array_equal(paths[1].sure, p1.sure)
    assert best.sure[best.best] == min(p.sure[p.best] for p in paths)


# ---------------------------------------------------------------------------
# tf_mixed_norm(alpha='sure') on the real sample evoked (516-source forward)


@pytest.mark.sample
@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"sample data not found in {SAMPLE}")
def test_tf_mixed_norm_alpha_sure(sample_data, small_forward):  # noqa: F811
    import tfmxne

    evoked, cov = sample_data
    fwd = small_forward
    evoked = evoked.copy().crop(0.05, 0.2)
    kw = dict(loose=0.2, depth=0.9, wsize=16, tstep=4, l1_ratio=0.05,
              return_info=True, verbose=False)
    stc, info = tfmxne.tf_mixed_norm(evoked, fwd, cov, alpha="sure", sure_n_alphas=4,
                                     sure_alpha_min=50.0, random_state=0, **kw)
    sure = info["sure"]
    assert sure["alphas"][0] == 100.0 and len(sure["sure"]) == len(sure["n_active"])
    best = int(np.argmin(sure["sure"]))
    assert info["alpha"] == sure["alpha"] == sure["alphas"][best]
    assert sum(len(v) for v in stc.vertices) == sure["n_active"][best] > 0
    assert info["alpha_space"] == pytest.approx(info["alpha"] * 0.95)
    # a fixed alpha gives no path
    _, info_fixed = tfmxne.tf_mixed_norm(evoked, fwd, cov, alpha=info["alpha"], **kw)
    assert info_fixed["sure"] is None and info_fixed["alpha"] == info["alpha"]
    with pytest.raises(ValueError, match="n_tfmxne_iter"):
        tfmxne.tf_mixed_norm(evoked, fwd, cov, alpha="sure", n_tfmxne_iter=2, **kw)
    with pytest.raises(ValueError, match="'sure' or 'noise'"):
        tfmxne.tf_mixed_norm(evoked, fwd, cov, alpha="auto", **kw)


# ---------------------------------------------------------------------------
# workflow: config schema, solve record, report figure


def test_schema_accepts_alpha_sure():
    from tfmxne_workflow.errors import BadInput
    from tfmxne_simulation.localisation import NO_STUDY
    from tfmxne_workflow.plan.config import resolve

    config = resolve({**NO_STUDY, "tfmxne": {"alpha": "sure", "n_tfmxne_iter": 1}})[0]
    assert config["tfmxne"]["sure_n_alphas"] == 15
    assert config["tfmxne"]["sure_alpha_min"] == 10.0
    for bad in ({"alpha": "auto", "n_tfmxne_iter": 3}, {"alpha": "sure", "n_tfmxne_iter": 10},
                {"alpha": 30.0, "sure_alpha_min": 100.0}):
        with pytest.raises(BadInput):
            resolve({**NO_STUDY, "tfmxne": bad})


@pytest.mark.sample
@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"sample data not found in {SAMPLE}")
def test_pipeline_record_and_report_figure(sample_data, small_forward):  # noqa: F811
    import matplotlib.pyplot as plt

    from tfmxne_workflow.stages import figures
    from tfmxne_workflow.stages.solve import solve_tfmxne

    evoked, cov = sample_data
    stc, _, _, record, _ = solve_tfmxne(
        evoked.copy().crop(0.05, 0.2), small_forward, cov, alpha="sure", l1_ratio=0.05,
        loose=0.2, depth=0.9, wsize=16, tstep=4, n_tfmxne_iter=1, sure_n_alphas=2,
        sure_alpha_min=70.0, random_state=0)
    sure = json.loads(json.dumps(record))["sure"]
    assert record["alpha"] == sure["alpha"] and len(sure["alphas"]) == 2
    assert record["n_active"] == sure["n_active"][int(np.argmin(sure["sure"]))]
    fig = figures.sure_curve(sure, "SURE")
    assert fig.axes[0].get_xlabel().startswith("alpha")
    plt.close(fig)


def _ar1_noise(rng, shape, rho):
    """Rows of unit-variance AR(1) noise."""
    E = rng.standard_normal(shape)
    for t in range(1, shape[1]):
        E[:, t] = rho * E[:, t - 1] + np.sqrt(1 - rho**2) * E[:, t]
    return E


def test_lag1_correlation_and_ar1_covariance():
    rng = np.random.default_rng(3)
    assert lag1_correlation(_ar1_noise(rng, (300, 15), 0.6)) == pytest.approx(0.6, abs=0.05)
    assert lag1_correlation(rng.standard_normal((300, 15))) == pytest.approx(0.0, abs=0.05)
    assert lag1_correlation(np.ones((3, 2))) == 0.0  # too short: white
    taper = np.linspace(0.5, 1.0, 6)
    C = ar1_time_cov(0.5, 6, taper)
    assert C[1, 3] == pytest.approx(0.25 * taper[1] * taper[3])
    np.testing.assert_allclose(np.diag(C), taper**2)


def test_coloured_noise_sure_closed_form():
    """With ``time_cov`` C, the perturbation is ``delta C^(1/2)`` and SURE is
    ``||M - M_hat||^2 - n tr(C) + 2 df`` with ``df = <delta, J delta>``, the Monte-Carlo
    estimate of ``tr(J C)`` (Stein's lemma for noise rows of covariance C): checked
    exactly on MxNE with an orthogonal gain, where J is known (group soft thresholding),
    and different from the white-noise df.
    """
    rng = np.random.default_rng(0)
    n, T = 16, 32
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    M = Q @ _rows_with_signal(n, T, [2, 7, 11], 6.0, rng) + _ar1_noise(rng, (n, T), 0.7)
    C = ar1_time_cov(0.7, T, np.hanning(T + 2)[1:-1])
    kw = dict(n_alphas=5, alpha_min=20.0, patience=None, keep_solutions=True, epsilon=1e-3,
              tol=1e-12, **WS)
    path = sure_path(M, Q, 0.0, time_cov=C, **kw)
    white = sure_path(M, Q, 0.0, **kw)
    s, u = np.linalg.eigh(C)
    delta = _delta(M, 0) @ (u * np.sqrt(np.clip(s, 0, None))) @ u.T
    Y, D = Q.T @ M, Q.T @ delta
    for alpha, dof, dof_w in zip(path.alphas[1:], path.dof[1:], white.dof[1:]):
        a = alpha / 100 * path.alpha_max
        exact = sum(D[j] @ _group_soft_threshold_jvp(Y[j], D[j], a) for j in range(n))
        np.testing.assert_allclose(dof, exact, rtol=1e-3)
        assert abs(dof - dof_w) > 1e-2 * abs(dof_w)
    R = M - Q[:, path.result.active_set] @ path.result.X
    np.testing.assert_allclose(path.sure[path.best],
                               np.sum(R**2) - n * np.trace(C) + 2 * path.dof[path.best])
