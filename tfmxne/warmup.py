"""Compile the solver's numba kernels into their on-disk cache: ``python -m tfmxne.warmup``.

numba caches each kernel (``cache=True``) per argument types in ``__pycache__`` beside
:mod:`tfmxne.block_descent` and :mod:`tfmxne.debias` (or in ``NUMBA_CACHE_DIR`` when set, or
a per-user folder when that one is not writable). ``make install`` runs this once, so that no
solve job compiles (~14 s on 2 cores); a job then loads the kernels from the cache. The
small problems below take the code paths of real solves (fixed and free orientations, with
and without time weights, one and two STFT scales, debiasing): the same argument types.
"""
import time

import numpy as np


def compile_kernels() -> float:
    """Run every compiled kernel once on small problems; returns the seconds it took."""
    from .norms import alpha_max
    from .solver import solve
    from .stft import TFDictionary

    rng = np.random.default_rng(0)
    M = rng.standard_normal((12, 48))
    start = time.perf_counter()
    for n_orient in (1, 3):
        G = rng.standard_normal((12, 20 * n_orient))
        for wsize, tstep in ((16, 4), ([8, 16], [2, 4])):
            alpha = 0.5 * alpha_max(G, M, TFDictionary(wsize, tstep, M.shape[1]), 0.1, n_orient)
            kw = dict(wsize=wsize, tstep=tstep, n_orient=n_orient, debias=True, maxit=20)
            solve(M, G, 0.9 * alpha, 0.1 * alpha, **kw)
            solve(M, G, 0.9 * alpha, 0.1 * alpha, n_tfmxne_iter=2, **kw)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"tfmxne: compiled kernels ready in {compile_kernels():.1f} s")
