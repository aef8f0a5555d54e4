"""Benchmark tfmxne.tf_mixed_norm against mne.inverse_sparse.tf_mixed_norm.

Runs both on the same inputs in one process and prints, per case, the wall
time of each and their ratio, whether the active sources agree, and the final
primal objective of each on the whitened, scaled problem that both build
(MNE's own last value of ``E``, None when MNE logged none; ours ``p_obj``:
both exact, of each solver's own coefficients ``Z``).

A reference solution (ours at a 1000 times smaller tolerance) of the very
problem both solvers saw tells which support is the exact minimiser's when the
two differ (at ``tol`` the last, marginal sources depend on the path taken),
and how far each final objective is above the reference one.

Cases (real 'Left visual' evoked of the MNE sample data, fsaverage5 ico4 cortex
fitted in the sample head, about 5000 sources, MEG+EEG):

* ``unweighted``: alpha 30, l1_ratio 0.03, loose 0.2, wsize 16, tstep 4.
* ``weighted``: MNE's example settings with dSPM weights (weights_min 8, alpha
  51, l1_ratio 1/51, depth 0.9, window 0.05, evoked cropped to -0.1..0.4 s).

``--memory`` also measures peak memory (ru_maxrss of a child process, minus
that of a child that only imports both packages and builds the inputs) of both solvers on synthetic data
with 1000 and 3000 time samples (wsize 64, tstep 4); MNE's child runs under an
address-space limit (``--mem-limit-gb``) so that it fails cleanly rather than
exhausting the machine.

``--repeats N`` runs each solver N times and reports the fastest run of each
(the weighted case takes about a second: one run is at the mercy of the
machine's load).

Usage::

    python benchmarks/bench_solver.py [--cases unweighted weighted] [--repeats N]
                                      [--memory]
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "sample"


class _Recorder:
    """Record the solver inputs, support and final objective of a run."""

    def __init__(self, module, solver_name):
        self.module, self.name = module, solver_name
        self.calls = {}

    def __enter__(self):
        solver = getattr(self.module, self.name)

        def solver_wrapper(M, G, alpha_space, alpha_time, **kw):
            self.calls.update(M=M, G=G.copy(), alpha_space=alpha_space,
                              alpha_time=alpha_time, wsize=kw["wsize"],
                              tstep=kw["tstep"], n_orient=kw["n_orient"], tol=kw["tol"])
            out = solver(M, G, alpha_space, alpha_time, **kw)
            if isinstance(out, tuple):  # MNE: X, active_set, E (empty if no check ran)
                self.calls.update(active_set=out[1],
                                  objective=float(out[2][-1]) if len(out[2]) else None)
            else:
                self.calls.update(active_set=out.active_set, objective=out.objective)
            return out

        self._saved = solver
        setattr(self.module, self.name, solver_wrapper)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self._saved)


def _reference(calls, tol_factor=1e-3):
    """The problem both solvers saw, solved by ours to ``tol_factor * tol``.

    Its support is the one of the exact minimiser (up to that gap), so it tells
    which of two supports found at ``tol`` is right when they differ.
    """
    from tfmxne import solve

    c = calls
    res = solve(c["M"], c["G"], c["alpha_space"], c["alpha_time"], wsize=c["wsize"],
                tstep=c["tstep"], n_orient=c["n_orient"], tol=c["tol"] * tol_factor,
                maxit=3000)
    return res.active_set, res.objective


def _inputs(case, work_dir):
    import mne

    from tfmxne_workflow.simulation.sample_head import sample_head_forward

    fwd = sample_head_forward(SAMPLE, work_dir, spacing="ico4")
    evoked = mne.read_evokeds(SAMPLE / "sample_audvis_short-ave.fif.gz",
                              condition="Left visual", baseline=(None, 0),
                              verbose=False)
    cov = mne.read_cov(SAMPLE / "sample_audvis-cov.fif", verbose=False)
    if case == "unweighted":
        kw = dict(alpha=30.0, l1_ratio=0.03, loose=0.2, wsize=16, tstep=4)
    else:
        evoked.crop(-0.1, 0.4)
        inv = mne.minimum_norm.make_inverse_operator(evoked.info, fwd, cov, loose=0.2,
                                                     depth=0.9, verbose=False)
        stc = mne.minimum_norm.apply_inverse(evoked, inv, lambda2=1.0 / 9.0,
                                             method="dSPM", verbose=False)
        kw = dict(alpha=51.0, l1_ratio=1.0 / 51.0, loose=0.2, depth=0.9, weights=stc,
                  weights_min=8.0, wsize=16, tstep=4, window=0.05, debias=True)
    return evoked, fwd, cov, kw


def _best_time(run, repeats):
    """The output of ``run`` and its shortest wall time over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return out, min(times)


def run_case(case, work_dir, repeats=1):
    import mne.inverse_sparse.mxne_inverse as mne_inv

    import tfmxne
    import tfmxne.inverse as our_inv

    evoked, fwd, cov, kw = _inputs(case, work_dir)
    n_src = fwd["nsource"]
    with _Recorder(mne_inv, "tf_mixed_norm_solver") as rec_mne:
        stc_mne, t_mne = _best_time(
            lambda: mne_inv.tf_mixed_norm(evoked, fwd, cov, verbose=False, **kw),
            repeats)
    with _Recorder(our_inv, "solve") as rec_ours:
        (stc, info), t_ours = _best_time(
            lambda: tfmxne.tf_mixed_norm(evoked, fwd, cov, return_info=True,
                                         verbose=False, **kw), repeats)
    same = all(np.array_equal(a, b) for a, b in zip(stc.vertices, stc_mne.vertices))
    peak = np.abs(stc.data).max(1) / np.abs(stc_mne.data).max(1) if same else None
    out = dict(
        case=case, n_sources=n_src, n_times=len(evoked.times),
        repeats=repeats, time_mne_s=round(t_mne, 3), time_ours_s=round(t_ours, 3),
        speedup=round(t_mne / t_ours, 1),
        n_active_mne=int(sum(len(v) for v in stc_mne.vertices)),
        n_active_ours=int(sum(len(v) for v in stc.vertices)),
        same_active_set=bool(same),
        max_peak_rel_diff=None if peak is None else float(np.abs(peak - 1).max()),
        objective_mne=rec_mne.calls["objective"], objective_ours=rec_ours.calls["objective"],
        converged=info["converged"],
        gap=info["gap"], tol=info["tol"], n_iter=info["n_iter"],
    )
    ref_support, ref_objective = _reference(rec_ours.calls)
    out.update(
        n_active_reference=int(ref_support.sum() // rec_ours.calls["n_orient"]),
        mne_support_is_reference=bool(np.array_equal(rec_mne.calls["active_set"],
                                                     ref_support)),
        ours_support_is_reference=bool(np.array_equal(rec_ours.calls["active_set"],
                                                      ref_support)),
        objective_excess_mne=None if out["objective_mne"] is None else
        (out["objective_mne"] - ref_objective) / abs(ref_objective),
        objective_excess_ours=(out["objective_ours"] - ref_objective) / abs(ref_objective),
    )
    return out


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
    parser.add_argument("--cases", nargs="*", default=["unweighted", "weighted"],
                        choices=["unweighted", "weighted"])
    parser.add_argument("--work-dir", default="/tmp/tfmxne-bench",
                        help="cache folder for the forward model")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run each solver this many times; report the fastest")
    parser.add_argument("--memory", action="store_true",
                        help="also measure peak memory at 1000 and 3000 samples")
    parser.add_argument("--mem-limit-gb", type=float, default=8.0,
                        help="address-space limit for MNE's memory run")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child[0], int(args.memory_child[1]))
        return
    if args.cases and not SAMPLE.is_dir():
        sys.exit(f"sample data not found in {SAMPLE}")
    for case in args.cases:
        print(json.dumps(run_case(case, args.work_dir, args.repeats), indent=1),
              flush=True)
    if args.memory:
        print(json.dumps(measure_memory(args.mem_limit_gb), indent=1))


if __name__ == "__main__":
    main()
