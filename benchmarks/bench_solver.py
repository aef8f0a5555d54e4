"""Benchmark tfmxne.tf_mixed_norm against mne.inverse_sparse.tf_mixed_norm.

``--suite`` (the default) runs, in one process, every problem shape of
:mod:`solver_suite` (``--quick``: 4 of them, ``--shapes``: those whose name
contains one of the given strings) with both packages on the same inputs and
the same ``tol``, and prints one row per shape: wall time of each (the fastest
of at least 3 s of runs, at most 50 runs, for both), their ratio,
the number of active sources of each and whether each support is the
reference's, then the minimum and median ratio.

The reference is MNE run to ``tol * --ref-factor`` (default 1e-4: 1e-8 for the
suite's tol 1e-4): at the suite's ``tol`` the last, marginal sources of MNE's
answer depend on the path taken, while a tight run gives the minimiser's
support. References are cached in ``benchmarks/.cache`` (keyed by problem and
tolerance) since they take minutes.

``--baseline DIR`` also times another copy of the package (``DIR/tfmxne``,
e.g. a ``git worktree`` of main) in the same process, shape by shape: on a
shared machine that is the only fair before/after comparison.

``--memory`` measures peak memory (ru_maxrss of a child process, minus that of
a child that only imports both packages and builds the inputs) of both solvers
on synthetic data with 1000 and 3000 time samples (wsize 64, tstep 4); MNE's
child runs under an address-space limit (``--mem-limit-gb``) so that it fails
cleanly rather than exhausting the machine.

``--cold N`` measures what a job pays: in each of N fresh processes (numba's cache warm,
the inputs already read), the first ``tfmxne.tf_mixed_norm`` call on the seed shape
(``sample/evoked/loose0.2/seed``: tfmxne's imports, the kernels loaded from the cache) and
the fastest of the next three, wall and CPU time (CPU is steadier on a loaded machine); prints
the medians.

Usage::

    python benchmarks/bench_solver.py [--suite | --quick | --shapes S [S ...]]
        [--ref-factor F] [--repeats N] [--baseline DIR] [--json FILE] [--memory] [--cold N]
"""

import argparse
import hashlib
import importlib.util
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import solver_suite  # noqa: E402


#: each solver is rerun until its runs take this long (at most _MAX_RUNS runs, at
#: least --repeats): a single run of a 0.1 s call is as noisy as the machine, and
#: the rule is the same for both packages
_TIME_BUDGET_S = 3.0
_MAX_RUNS = 50


def _best_time(run, repeats):
    """The output of ``run`` and its shortest wall time.

    ``run`` is called at least ``repeats`` times, and again while all calls
    together took less than ``_TIME_BUDGET_S`` (up to ``_MAX_RUNS`` calls).
    """
    times = []
    while len(times) < repeats or (sum(times) < _TIME_BUDGET_S and len(times) < _MAX_RUNS):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return out, min(times)


def _support(stc):
    """Active sources of a source estimate, as sorted (hemisphere, vertex) pairs."""
    return sorted((h, int(v)) for h, vert in enumerate(stc.vertices) for v in vert)


def _load_package(directory, name="tfmxne_baseline"):
    """Import ``directory/tfmxne`` under another name (a second copy of the package)."""
    init = Path(directory) / "tfmxne" / "__init__.py"
    if not init.is_file():
        sys.exit(f"--baseline: no package at {init}")
    spec = importlib.util.spec_from_file_location(name, init,
                                                  submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _reference(shape, evoked, fwd, cov, kw, factor):
    """Support of MNE's answer at ``tol * factor``, cached on disk."""
    import mne

    tol = kw["tol"] * factor
    problem = shape.name.rsplit("/", 1)[0]  # the answer does not depend on the threads
    key = hashlib.sha1(f"{problem}|{tol:g}|{sorted(kw.items())!r}|"
                       f"{evoked.data.sum():.6e}".encode()).hexdigest()[:12]
    fname = solver_suite.CACHE / f"reference-{key}.json"
    if fname.is_file():
        return json.loads(fname.read_text())
    t0 = time.perf_counter()
    stc = mne.inverse_sparse.tf_mixed_norm(evoked, fwd, cov, verbose=False,
                                           **dict(kw, tol=tol, maxit=20000))
    ref = dict(shape=shape.name, tol=tol, time_s=round(time.perf_counter() - t0, 1),
               support=_support(stc))
    fname.write_text(json.dumps(ref))
    return ref


def run_shape(shape, repeats=1, ref_factor=1e-4, baseline=None):
    """Time both packages on one shape; compare their supports with the reference."""
    import mne
    from threadpoolctl import threadpool_limits

    import tfmxne

    evoked, fwd, cov, kw = solver_suite.arguments(shape)
    solvers = dict(mne=mne.inverse_sparse.tf_mixed_norm, ours=tfmxne.tf_mixed_norm)
    if baseline is not None:
        solvers["baseline"] = baseline.tf_mixed_norm
    n_ch = len(mne.pick_types(evoked.info, meg=True, eeg=True, exclude="bads"))
    row = dict(shape=shape.name, n_channels=n_ch, n_times=len(evoked.times),
               n_sources=fwd["nsource"])
    ref = _reference(shape, evoked, fwd, cov, kw, ref_factor)
    with threadpool_limits(shape.threads, user_api="blas"):
        for name, solver in solvers.items():
            stc, t = _best_time(lambda: solver(evoked, fwd, cov, verbose=False, **kw),
                                repeats)
            row[f"time_{name}_s"] = round(t, 3)
            row[f"n_active_{name}"] = len(_support(stc))
            row[f"{name}_is_reference"] = _support(stc) == [tuple(p) for p in ref["support"]]
    row["n_active_reference"] = len(ref["support"])
    row["ratio"] = round(row["time_mne_s"] / row["time_ours_s"], 1)
    if baseline is not None:
        row["gain_vs_baseline"] = round(row["time_baseline_s"] / row["time_ours_s"], 2)
    return row


def _print_row(row, header=False):
    cols = ["shape", "n_channels", "n_times", "time_mne_s", "time_ours_s", "ratio",
            "n_active_mne", "n_active_ours", "n_active_reference", "mne_is_reference",
            "ours_is_reference"]
    if "time_baseline_s" in row:
        cols += ["time_baseline_s", "gain_vs_baseline"]
    if header:
        print(" | ".join(cols))
    print(" | ".join(str(row[c]) for c in cols), flush=True)


def _warm_up():
    """Load (or compile) tfmxne's compiled functions; return the seconds it took.

    numba compiles them once (``make install``: :mod:`tfmxne.warmup`) and caches them on
    disk; every later process loads them on its first solve. That one-off cost per
    process is printed, and kept out of the rows.
    """
    from tfmxne.warmup import compile_kernels

    return compile_kernels()


def run_suite(shapes, repeats, ref_factor, baseline=None):
    print(f"tfmxne's compiled functions loaded in {_warm_up():.2f} s (once per process)")
    rows = []
    for k, shape in enumerate(shapes):
        rows.append(run_shape(shape, repeats, ref_factor, baseline))
        _print_row(rows[-1], header=k == 0)
    ratios = [r["ratio"] for r in rows]
    summary = dict(min_ratio=min(ratios), median_ratio=round(float(np.median(ratios)), 1),
                   n_shapes=len(rows),
                   supports_as_reference=sum(r["ours_is_reference"] for r in rows))
    print(f"minimum ratio {summary['min_ratio']}x, median {summary['median_ratio']}x; "
          f"ours has the reference support on {summary['supports_as_reference']} "
          f"of {len(rows)} shapes")
    return dict(rows=rows, summary=summary)


#: One job's solve (``--cold``): wall and CPU seconds of the first call and the fastest of the next three.
_COLD_CHILD = """
import sys, time
sys.path.insert(0, {benchmarks!r})
import solver_suite
evoked, fwd, cov, kw = solver_suite.arguments(solver_suite.SUITE[1])
times = []
for _ in range(4):
    start = time.perf_counter(), time.process_time()
    __import__("tfmxne").tf_mixed_norm(evoked, fwd, cov, verbose=False, **kw)
    times.append((time.perf_counter() - start[0], time.process_time() - start[1]))
print(*times[0], *(min(t[k] for t in times[1:]) for k in (0, 1)))
"""


def measure_cold(n):
    """Medians over ``n`` fresh processes of the first (cold) and a warm solve of the seed shape."""
    code = _COLD_CHILD.format(benchmarks=str(Path(__file__).parent))
    runs = [list(map(float, subprocess.check_output([sys.executable, "-c", code], text=True).split()))
            for _ in range(n)]
    cold, cold_cpu, warm, warm_cpu = (round(float(np.median(col)), 3) for col in zip(*runs))
    return dict(shape=solver_suite.SUITE[1].name, cold_s=cold, warm_s=warm, overhead_s=round(cold - warm, 3),
                cold_cpu_s=cold_cpu, warm_cpu_s=warm_cpu, overhead_cpu_s=round(cold_cpu - warm_cpu, 3))


def _memory_child(which, n_times):
    """Run one solver on synthetic data; print peak RSS (MiB) as JSON."""
    rng = np.random.default_rng(0)
    n_sensors, n_sources = 100, 300
    G = rng.standard_normal((n_sensors, n_sources))
    t = np.arange(n_times)
    X = np.zeros((n_sources, n_times))
    X[[10, 150]] = np.sin(2 * np.pi * 0.01 * t) * np.exp(-((t - n_times / 2) / 50) ** 2)
    M = G @ X + 0.1 * rng.standard_normal((n_sensors, n_times))
    kw = dict(wsize=64, tstep=4, n_orient=1, maxit=50, tol=1e-4, debias=False)
    a_s, a_t = 200.0, 20.0
    if which == "mne":
        from mne.inverse_sparse.mxne_optim import tf_mixed_norm_solver

        tf_mixed_norm_solver(M, G, a_s, a_t, verbose=False, **kw)
    elif which == "ours":
        from tfmxne import solve

        solve(M, G, a_s, a_t, **kw)
    else:  # baseline: same imports and inputs, no solve
        import mne.inverse_sparse.mxne_optim  # noqa: F401

        import tfmxne  # noqa: F401
    print(json.dumps(dict(maxrss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                          / 1024)))


def measure_memory(limit_gb):
    rows = []
    for n_times in (1000, 3000):
        row = dict(n_times=n_times)
        for which in ("baseline", "ours", "mne"):
            cmd = [sys.executable, __file__, "--memory-child", which, str(n_times)]
            if which == "mne":
                limit = int(limit_gb * 2**30)
                pre = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))"
                cmd = [sys.executable, "-c",
                       f"{pre}; import sys, runpy; sys.argv = {cmd[1:]!r}; "
                       "runpy.run_path(sys.argv[0], run_name='__main__')"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode == 0:
                row[which] = json.loads(proc.stdout.strip().splitlines()[-1])["maxrss_mib"]
            else:
                row[which] = f"failed ({proc.stderr.strip().splitlines()[-1][:80]})"
        for which in ("ours", "mne"):
            if isinstance(row[which], float):
                row[f"{which}_peak_mib"] = round(row[which] - row["baseline"], 1)
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--suite", action="store_true", help="all shapes (the default)")
    which.add_argument("--quick", action="store_true", help="4 shapes")
    which.add_argument("--shapes", nargs="+", metavar="S",
                       help="shapes whose name contains one of these strings")
    parser.add_argument("--ref-factor", type=float, default=1e-4,
                        help="the reference is MNE at tol times this")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run each solver at least this many times (and for at "
                             f"least {_TIME_BUDGET_S:g} s); report the fastest")
    parser.add_argument("--baseline", metavar="DIR",
                        help="also time DIR/tfmxne (another checkout) in the same process")
    parser.add_argument("--json", metavar="FILE", help="write the rows and summary here")
    parser.add_argument("--memory", action="store_true",
                        help="only measure peak memory at 1000 and 3000 samples")
    parser.add_argument("--mem-limit-gb", type=float, default=8.0,
                        help="address-space limit for MNE's memory run")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--cold", type=int, metavar="N",
                        help="only time a job's first solve of the seed shape, in N fresh processes")
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child[0], int(args.memory_child[1]))
        return
    if args.memory:
        print(json.dumps(measure_memory(args.mem_limit_gb), indent=1))
        return
    if args.cold:
        print(json.dumps(measure_cold(args.cold)))
        return
    if not solver_suite.SAMPLE.is_dir():
        sys.exit(f"sample data not found in {solver_suite.SAMPLE}")
    shapes = solver_suite.QUICK if args.quick else solver_suite.SUITE
    if args.shapes:
        shapes = [s for s in solver_suite.SUITE if any(k in s.name for k in args.shapes)]
        if not shapes:
            sys.exit(f"--shapes: no shape matches {args.shapes}; names: "
                     + ", ".join(s.name for s in solver_suite.SUITE))
    baseline = None if args.baseline is None else _load_package(args.baseline)
    out = run_suite(shapes, args.repeats, args.ref_factor, baseline)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
