"""BLAS on one thread, and the cores used by Python threads instead.

BLAS threads wait for each other at every call: on small products, or when
another process takes a core, two of them are slower than one (measured for
MNE's solver and ours). So a whole :func:`tfmxne.tf_mixed_norm` call runs BLAS
on one thread, and the few large products (whitening the gain, the solver's
sweeps) are split into independent column blocks that Python threads run, as
many as BLAS was allowed: numpy releases the GIL, and a thread that loses its
core delays only its own block.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import wraps

import numpy as np
from threadpoolctl import ThreadpoolController

_BLAS = None  # threadpoolctl's controller, made on first use (it inspects libraries)
_ALLOWED = None  # the BLAS threads allowed before the outermost limit, while it holds


@contextmanager
def blas_on_one_thread():
    """Limit BLAS to one thread; yield the number it was allowed before.

    Re-entrant: inside another such block it yields the outer block's number.
    """
    global _BLAS, _ALLOWED
    if _ALLOWED is not None:
        yield _ALLOWED
        return
    if _BLAS is None:
        _BLAS = ThreadpoolController().select(user_api="blas")
    n_threads = max([lib["num_threads"] for lib in _BLAS.info()] + [1])
    with _BLAS.limit(limits=1):
        _ALLOWED = n_threads
        try:
            yield n_threads
        finally:
            _ALLOWED = None


def allowed():
    """BLAS threads allowed before the current :func:`blas_on_one_thread` (1 outside one)."""
    return 1 if _ALLOWED is None else _ALLOWED


def on_one_blas_thread(func):
    """Decorator: run ``func`` inside :func:`blas_on_one_thread`."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with blas_on_one_thread():
            return func(*args, **kwargs)

    return wrapper


def run_chunks(work, starts, n_threads):
    """``work(start)`` for each start, on ``n_threads`` Python threads if more than one."""
    starts = list(starts)
    if n_threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(work, starts))
    else:
        for lo in starts:
            work(lo)


#: fewest multiply-adds for which :func:`matmul` splits a product: below, starting
#: the threads costs more than the second core gains
_MIN_SPLIT = 2**25


def matmul(A, B, n_threads=None, out=None):
    """``A @ B`` with the columns of ``B`` split over ``n_threads`` threads (:func:`allowed`).

    Products under ``_MIN_SPLIT`` multiply-adds run on the calling thread.
    """
    n_threads = allowed() if n_threads is None else n_threads
    if A.shape[0] * A.shape[1] * B.shape[1] < _MIN_SPLIT:
        n_threads = 1
    if out is None:
        out = np.empty((A.shape[0], B.shape[1]), dtype=np.result_type(A, B))
    step = -(-B.shape[1] // max(n_threads, 1))

    def work(lo):
        np.matmul(A, B[:, lo : lo + step], out=out[:, lo : lo + step])

    run_chunks(work, range(0, B.shape[1], step), n_threads)
    return out
