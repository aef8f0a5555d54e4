"""Wall time of the solve stage on 1 and 2 threads (does the solve rule gain from a second one).

Runs :func:`tfmxne_workflow.stages.solve.solve_recording` (what the solve rule runs) on
each recording and condition of a finished study (``make demo``: its evoked responses,
forwards and noise covariances) under ``threadpool_limits(n)``, as a job with ``threads:
n`` does (:mod:`tfmxne_workflow.jobs`); first one untimed solve (numba's cache). Also
times the part that the threads can split (:func:`tfmxne.threads.run_chunks`). Usage::

    python benchmarks/bench_threads.py [--deriv demo_data/bids/derivatives/tfmxne]
        [--config config.yaml] [--threads 1 2 2 1]

prints one JSON row per solve.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import mne
import yaml
from threadpoolctl import threadpool_limits

from tfmxne import solver, threads
from tfmxne_workflow.plan import auto
from tfmxne_workflow.plan.config import resolve
from tfmxne_workflow.plan.settings import Settings
from tfmxne_workflow.stages import solve

_split = [0.0]  # seconds spent in run_chunks


def _timed_run_chunks(work, starts, n_threads, _run=threads.run_chunks):
    start = time.perf_counter()
    _run(work, starts, n_threads)
    _split[0] += time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deriv", type=Path, default=Path("demo_data/bids/derivatives/tfmxne"))
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 2, 1])
    args = parser.parse_args(argv)
    solver.run_chunks = threads.run_chunks = _timed_run_chunks
    settings = Settings(resolve(yaml.safe_load(args.config.read_text()))[0])
    evokeds = [f for f in sorted(args.deriv.glob("sub-*/**/*_desc-*_ave.fif")) if "_proc-" not in f.name]
    for evoked_file in evokeds:
        prefix, cond = evoked_file.name.split("_desc-")[0], evoked_file.name.split("_desc-")[1][:-8]
        evoked = mne.read_evokeds(evoked_file, verbose="error")[0]
        forward = mne.read_forward_solution(evoked_file.with_name(f"{prefix}_fwd.fif"), verbose="error")
        cov = mne.read_cov(evoked_file.with_name(f"{prefix}_cov.fif"), verbose="error")
        view = settings.solve(auto.modality(auto.good_channel_types(evoked.info)))
        dspm = (mne.read_source_estimate(evoked_file.with_name(f"{prefix}_desc-{cond}_dspm-lh.stc"))
                if view["weights"] else None)
        for k, n_threads in enumerate([1, *args.threads]):  # the first: numba's cache, not shown
            _split[0] = 0.0
            with threadpool_limits(limits=n_threads):
                start, cpu = time.perf_counter(), time.process_time()
                solution = solve.solve_recording(evoked.copy(), forward, cov, view, dspm=dspm)
                row = {"recording": prefix, "condition": cond, "threads": solution.record["threads"],
                       "wall_s": round(time.perf_counter() - start, 2),
                       "cpu_s": round(time.process_time() - cpu, 2), "split_s": round(_split[0], 2)}
            if k:
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
