"""The compiled pass of block updates against the same pass written with numpy."""

import numpy as np
import pytest

from tfmxne.block_descent import PackedDictionary
from tfmxne.solver import _Problem, _WorkingSet, lipschitz_constants
from tfmxne.stft import TFDictionary


def _problem(n_orient, wsize, tstep, weighted, n_sensors=40, n_pos=30, n_times=75, seed=0):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n_sensors, n_pos * n_orient))
    X = np.zeros((n_pos * n_orient, n_times))
    X[[2, 3 * n_orient + 1, 9 * n_orient]] = rng.standard_normal((3, n_times)) * 5
    M = G @ X + rng.standard_normal((n_sensors, n_times))
    tf = TFDictionary(wsize, tstep, n_times)
    # a third of the largest block correlation: some positions stay at zero
    alpha_space = np.sqrt(((G.T @ M) ** 2).reshape(n_pos, -1).sum(1)).max() / 3
    w_time = None
    if weighted:  # random time weights, some infinite (held at zero)
        w_time = rng.uniform(0, 2, (n_pos, tf.n_coefs))
        w_time[w_time < 0.2] = 0.0
    w_space = rng.uniform(0.5, 2, n_pos) if weighted else None
    return _Problem(M, G, alpha_space, 0.002 * alpha_space, tf, n_orient, lipschitz_constants(G, n_orient),
                    w_space, w_time)


def _passes(prob, pos, compiled, n_passes=4):
    """Run passes from zero; return the coefficients, time courses and G^T R or R."""
    ws = _WorkingSet(prob, pos)
    if not compiled:
        ws.packed = None
    no = prob.n_orient
    Z = np.zeros((len(pos) * no, prob.tf.n_coefs), complex)
    X = np.zeros((len(pos) * no, prob.tf.n_times))
    active = np.zeros(len(pos), dtype=bool)
    R = prob.M.copy()
    GTR = ws.GTR(R)
    for _ in range(n_passes):
        ws.run_pass(Z, X, active, GTR, R)
    return Z, X, active, GTR if ws.use_gram else R


@pytest.mark.parametrize("n_orient", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dictionary", [(16, 4), ([8, 32], [2, 8])])
@pytest.mark.parametrize("n_pos_ws", [5, 30])  # G^T R by the Gram matrix, or R itself
def test_compiled_pass_equals_numpy_pass(n_orient, weighted, dictionary, n_pos_ws):
    prob = _problem(n_orient, *dictionary, weighted)
    assert PackedDictionary.supports(prob.tf)
    pos = np.arange(n_pos_ws)
    Z0, X0, act0, out0 = _passes(prob, pos, compiled=False)
    Z1, X1, act1, out1 = _passes(prob, pos, compiled=True)
    assert 0 < act0.sum() < len(pos), "the case should mix zero and non-zero positions"
    np.testing.assert_array_equal(act1, act0)
    scale = np.abs(Z0).max()
    np.testing.assert_allclose(Z1, Z0, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(X1, X0, rtol=0, atol=1e-10 * np.abs(X0).max())
    np.testing.assert_allclose(out1, out0, rtol=0, atol=1e-10 * np.abs(out0).max())
    np.testing.assert_allclose(X1, prob.tf.synthesis(Z1), atol=1e-10 * np.abs(X1).max())


def test_long_windows_use_the_numpy_pass():
    assert PackedDictionary.supports(TFDictionary([16, 64], [4, 8], 100))
    assert not PackedDictionary.supports(TFDictionary([16, 128], [4, 16], 100))
