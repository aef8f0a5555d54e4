"""A rule script's job runs BLAS, OpenMP and the solver on its rule's threads (tfmxne_workflow.jobs)."""
import os
from types import SimpleNamespace

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import tfmxne
from tfmxne import solver, threads
from tfmxne_workflow.jobs import job_context


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_a_job_runs_blas_and_the_solver_on_its_threads(tmp_path, monkeypatch, n_threads):
    sweeps = []  # the workers of each of the solver's sweeps

    def run_chunks(work, starts, n):
        sweeps.append(n)
        threads.run_chunks(work, starts, n)

    monkeypatch.setattr(solver, "run_chunks", run_chunks)
    before = os.environ.get("OMP_NUM_THREADS")
    rng = np.random.default_rng(0)
    G = rng.standard_normal((20, 60))
    M = G[:, [3, 40]] @ rng.standard_normal((2, 64))
    log = tmp_path / "job.log"
    with job_context(SimpleNamespace(threads=n_threads, log=[str(log)])):
        assert {lib["num_threads"] for lib in threadpool_info()} == {n_threads}
        assert os.environ["OMP_NUM_THREADS"] == str(n_threads)  # for libraries loaded later
        assert threads.on_one_blas_thread(threads.allowed)() == n_threads
        tfmxne.solve(M, G, 1.0, 0.1, wsize=16, tstep=4)
    assert sweeps and set(sweeps) == {n_threads}
    assert os.environ.get("OMP_NUM_THREADS") == before
    assert f"threads: {n_threads}" in log.read_text()
