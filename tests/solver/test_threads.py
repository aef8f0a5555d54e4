"""Thread helpers: split products equal plain ones; the BLAS limit is re-entrant."""

import numpy as np
import pytest

from tfmxne import threads


@pytest.mark.parametrize("shape", [(5, 7, 11), (64, 512, 1030)])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_matmul_equals_plain_product(shape, n_threads):
    """Small products run unsplit, large ones by column blocks: same result."""
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal(shape[:2]), rng.standard_normal(shape[1:])
    np.testing.assert_allclose(threads.matmul(A, B, n_threads), A @ B, rtol=1e-12,
                               atol=1e-12)


def test_run_chunks_runs_every_start():
    done = []
    threads.run_chunks(done.append, range(0, 100, 7), 2)
    assert sorted(done) == list(range(0, 100, 7))


def test_blas_limit_is_reentrant():
    with threads.blas_on_one_thread() as outer:
        assert threads.allowed() == outer
        with threads.blas_on_one_thread() as inner:
            assert inner == outer
        assert threads.allowed() == outer
    assert threads.allowed() == 1
