"""What every rule script runs in: its log file and its rule's ``threads``."""
from __future__ import annotations

import contextlib
import logging
import os

from threadpoolctl import threadpool_limits

from .logs import logging_to

logger = logging.getLogger(__name__)

#: read by BLAS and OpenMP libraries when they are loaded (the ones loaded later in the job)
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def limited_threads(n_threads: int):
    """BLAS and OpenMP on ``n_threads`` threads while active.

    The libraries already loaded are limited by threadpoolctl, those loaded later by
    the environment variables they read. The solver's Python threads follow: it runs
    as many as BLAS was allowed (:mod:`tfmxne.threads`). numba code runs on the calling
    thread (no ``parallel=True``), so there is no numba pool to limit.
    """
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, str(n_threads)))
    try:
        with threadpool_limits(limits=n_threads):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def job_context(snakemake):
    """Run a rule script: log to its ``log:`` file (:func:`.logs.logging_to`), on its ``threads``.

    Snakemake caps a rule's ``threads`` at ``--cores`` (on SLURM they are the job's
    ``--cpus-per-task``); without this, BLAS would start a thread per core of the machine
    in every job, however many jobs run at once.
    """
    with logging_to(snakemake.log[0]), limited_threads(snakemake.threads):
        logger.info("threads: %d", snakemake.threads)
        yield
