"""Peak memory of the solve stage against the number of time samples.

The solve stage's memory is the TF-MxNE solver's: the data ``M`` and residual
(``n_sensors x n_times``), the STFT coefficients of the active set and of ``G^T R`` at
each duality-gap check (``n_sources x n_coefs``, ``n_coefs ~ (wsize/2 + 1) n_times /
tstep``) -- all linear in ``n_times`` -- plus the gain matrix, which does not depend
on it. This script measures it on a synthetic problem of the demo's size (306 MEG
channels, an oct5 source space of 2052 positions with loose orientation: 6156 gain
columns, wsize 16, tstep 4, two Morlet-like bursts plus noise), solved at 40 % of
alpha_max with l1_ratio 0.03, for 500, 1500 and 3000 samples (1 s, 3 s, 6 s at 500 Hz).

Two measures, each size in a fresh child process:

* ``tracemalloc_peak_mib``: peak of the memory allocated (numpy arrays included) while
  :func:`tfmxne.solve` runs, above what was allocated before the call.
* ``rss_solve_mib``: peak resident memory (``ru_maxrss``) of the child minus that of a
  child that builds the same inputs and does not solve (imports, ``G`` and ``M``).

Usage::

    python benchmarks/bench_memory.py [--n-times 500 1500 3000] [--n-sensors 306]
        [--n-positions 2052] [--n-orient 3] [--maxit 50]

prints one JSON row per size and the ratios to the smallest size; memory is linear in
``n_times`` when ``peak(n) - peak(n0)`` grows as ``n - n0``. The ``solve`` rule's
Snakemake benchmark files (``benchmarks/solve/*.tsv``, column ``max_rss``) give the
same figure for real runs.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

DEFAULTS = dict(n_sensors=306, n_positions=2052, n_orient=3, wsize=16, tstep=4, maxit=50,
                alpha=40.0, l1_ratio=0.03, seed=0)


def make_problem(n_times, n_sensors, n_positions, n_orient, seed=0):
    """Gain (sensors x positions*orient, unit-norm columns) and data with two bursts."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n_sensors, n_positions * n_orient))
    G /= np.linalg.norm(G, axis=0)
    t = np.arange(n_times) / 500.0
    X = np.zeros((n_positions * n_orient, n_times))
    for pos, (f, t0) in enumerate(((12.0, 0.3), (20.0, 0.5))):
        X[(pos * n_positions // 2) * n_orient] = np.exp(-((t - t0 * t[-1]) / 0.05) ** 2) * np.cos(
            2 * np.pi * f * t)
    M = G @ X + 0.05 * rng.standard_normal((n_sensors, n_times))
    return G, M


def measure(n_times, *, n_sensors, n_positions, n_orient, wsize, tstep, maxit, alpha, l1_ratio,
            seed=0, solve=True):
    """Build the problem, solve it (unless ``solve`` is False) and return the figures."""
    from tfmxne import TFDictionary, alpha_max
    from tfmxne import solve as tf_solve

    G, M = make_problem(n_times, n_sensors, n_positions, n_orient, seed)
    out = dict(n_times=n_times, n_sensors=n_sensors, n_columns=G.shape[1],
               inputs_mib=round((G.nbytes + M.nbytes) / 2**20, 1))
    if solve:
        a = alpha / 100.0 * alpha_max(G, M, TFDictionary(wsize, tstep, n_times), l1_ratio, n_orient)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        res = tf_solve(M, G, a * (1 - l1_ratio), a * l1_ratio, wsize=wsize, tstep=tstep,
                       n_orient=n_orient, maxit=maxit, tol=1e-6 * float(np.sum(M * M)),
                       debias=False)
        out["solve_s"] = round(time.perf_counter() - t0, 2)
        out["tracemalloc_peak_mib"] = round((tracemalloc.get_traced_memory()[1] - base) / 2**20, 1)
        tracemalloc.stop()
        out["n_active"] = int(np.asarray(res.active_set).sum()) if hasattr(res, "active_set") else None
    out["maxrss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _child(args):
    return subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], check=True,
                          capture_output=True, text=True).stdout.strip().splitlines()[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-times", type=int, nargs="+", default=[500, 1500, 3000])
    for key in ("n_sensors", "n_positions", "n_orient", "maxit"):
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=DEFAULTS[key])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kw = json.loads(args.child)
        print(json.dumps(measure(kw.pop("n_times"), **kw)))
        return 0
    params = dict(DEFAULTS, n_sensors=args.n_sensors, n_positions=args.n_positions,
                  n_orient=args.n_orient, maxit=args.maxit)
    rows = []
    for n_times in args.n_times:
        row = json.loads(_child(dict(params, n_times=n_times)))
        row["rss_solve_mib"] = round(
            row["maxrss_mib"] - json.loads(_child(dict(params, n_times=n_times, solve=False)))["maxrss_mib"], 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    first = rows[0]
    for row in rows[1:]:
        print(json.dumps({
            "n_times_ratio": round(row["n_times"] / first["n_times"], 2),
            "tracemalloc_ratio": round(row["tracemalloc_peak_mib"] / first["tracemalloc_peak_mib"], 2),
            "rss_solve_ratio": round(row["rss_solve_mib"] / max(first["rss_solve_mib"], 1e-9), 2),
            "tracemalloc_mib_per_1000_samples": round(
                1000 * (row["tracemalloc_peak_mib"] - first["tracemalloc_peak_mib"])
                / (row["n_times"] - first["n_times"]), 1),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
