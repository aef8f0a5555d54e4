"""Benchmark the cost of choosing alpha by SURE (:func:`tfmxne.sure.sure_path`).

On the real 'Left visual' evoked of the MNE sample data with the fsaverage5
ico4 cortex fitted in the sample head (about 5000 positions, MEG+EEG, loose
0.2, depth 0.8, window 0.02 s), whitened and depth-weighted as
:func:`tfmxne.tf_mixed_norm` does, this runs the SURE path (warm starts, two
solves per alpha) and then a single cold solve at the selected alpha, at the
usual tolerance (``1e-4 ||M||^2``) and at the path's tolerance. It prints the
grid, the SURE curve, the df and active positions per alpha, the times and the
ratio path / single solve (target: at most 5).

Usage::

    python benchmarks/bench_sure.py [--l1-ratio 0.03] [--n-alphas 15]
        [--alpha-min 10] [--work-dir /tmp/tfmxne_sure_bench]
"""

import argparse
import logging
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "sample"


def whitened_problem(work_dir, loose=0.2, depth=0.8, window=0.02):
    """Whitened tapered data M, its untapered baseline, the taper, depth-weighted gain G,
    n_orient and noise level sigma.

    As :func:`tfmxne.tf_mixed_norm` builds them; ``sigma = 1 / sqrt(nave)``
    (the covariance is the one of single trials).
    """
    import mne
    from mne.minimum_norm.inverse import _prepare_forward
    from mne.utils import _check_depth

    from tfmxne.inverse import _edge_taper
    from tfmxne_simulation.sample_head import sample_head_forward

    fwd = sample_head_forward(SAMPLE, work_dir, spacing="ico4")
    evoked = mne.read_evokeds(SAMPLE / "sample_audvis_short-ave.fif.gz",
                              condition="Left visual", baseline=(None, 0),
                              verbose=False)
    cov = mne.read_cov(SAMPLE / "sample_audvis-cov.fif", verbose=False)
    fwd, gain_info, gain, *_, whitener = _prepare_forward(
        fwd, evoked.info, cov, "auto", loose, None, True, use_cps=True,
        **_check_depth(depth, "depth_sparse"))
    sel = [evoked.ch_names.index(c) for c in gain_info["ch_names"]]
    n_orient = 1 if mne.forward.is_fixed_orient(fwd) else 3
    M = whitener @ evoked.data[sel]
    taper = _edge_taper(len(evoked.times), evoked.info["sfreq"], window)
    return M * taper, M[:, evoked.times < 0], taper, gain, n_orient, 1.0 / np.sqrt(evoked.nave)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l1-ratio", type=float, default=0.03)
    parser.add_argument("--n-alphas", type=int, default=15)
    parser.add_argument("--alpha-min", type=float, default=10.0)
    parser.add_argument("--wsize", type=int, default=16)
    parser.add_argument("--tstep", type=int, default=4)
    parser.add_argument("--work-dir", default="/tmp/tfmxne_sure_bench")
    parser.add_argument("--noise", choices=["baseline", "white"], default="baseline",
                        help="temporal noise model of SURE (tf_mixed_norm's sure_noise)")
    args = parser.parse_args()
    if not SAMPLE.is_dir():
        raise SystemExit(f"sample data not found in {SAMPLE}")

    from tfmxne import solve
    from tfmxne.sure import ar1_time_cov, lag1_correlation, sure_path

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(relativeCreated)8.0f ms  %(message)s"))
    handler.addFilter(lambda record: record.getMessage().startswith("SURE"))
    logging.getLogger("tfmxne").addHandler(handler)
    logging.getLogger("tfmxne").setLevel(logging.INFO)

    M, baseline, taper, G, n_orient, sigma = whitened_problem(args.work_dir)
    rho = lag1_correlation(baseline) if args.noise == "baseline" else None
    if rho is not None:
        sigma = float(np.sqrt(np.mean(baseline**2)))
    print(f"problem: {M.shape[0]} channels x {M.shape[1]} samples, "
          f"{G.shape[1] // n_orient} positions x {n_orient} orientations, "
          f"sigma {sigma:.3g}, noise {args.noise}"
          + ("" if rho is None else f" (lag-1 correlation {rho:.3f})"))
    kw = dict(wsize=args.wsize, tstep=args.tstep, n_orient=n_orient)
    time_cov = None if rho is None else ar1_time_cov(rho, M.shape[1], taper)
    t0 = time.perf_counter()
    path = sure_path(M, G, args.l1_ratio, sigma=sigma, n_alphas=args.n_alphas,
                     alpha_min=args.alpha_min, time_cov=time_cov, **kw)
    t_path = time.perf_counter() - t0
    print(f"{'alpha %':>8} {'SURE':>12} {'df':>8} {'n_active':>8}")
    for i, (a, s, d, n) in enumerate(zip(path.alphas, path.sure, path.dof,
                                         path.n_active)):
        mark = "  <- selected" if i == path.best else ""
        print(f"{a:8.2f} {s:12.1f} {d:8.1f} {n:8d}{mark}")
    alpha = path.alpha / 100.0 * path.alpha_max
    a_s, a_t = alpha * (1 - args.l1_ratio), alpha * args.l1_ratio
    times = {}
    for name, tol in [("default tol 1e-4 ||M||^2", 1e-4 * float(np.sum(M * M))),
                      (f"path tol {path.tol:.3g}", path.tol)]:
        t0 = time.perf_counter()
        res = solve(M, G, a_s, a_t, tol=tol, **kw)
        times[name] = time.perf_counter() - t0
        print(f"single cold solve at {path.alpha:.2f}% ({name}): {times[name]:.2f} s, "
              f"{res.active_set.sum() // n_orient} active")
    print(f"path + SURE: {t_path:.2f} s, {path.n_solves} solves, epsilon "
          f"{path.epsilon:.3g}")
    for name, t in times.items():
        print(f"ratio path / single solve ({name}): {t_path / t:.1f}")


if __name__ == "__main__":
    main()
