"""The group stage on a large synthetic study: 100 subjects x 2 conditions, under 30 s.

Writes, per subject and condition, what the group rules read -- ``*_sources.tsv`` (two
regions seen by every subject, a weaker neighbour for a third of them, 0-4 spurious
sources anywhere on fsaverage5), the convergence record, the cropped estimate and the
signed solve-window one (300 Hz) -- and a placeholder subject report; then runs the rules' own scripts
(``scripts/group_condition.py`` per condition, ``group_contrasts.py``,
``group_report.py``) as Snakemake would, and times each.

Usage::

    python benchmarks/bench_group.py [--subjects 100] [--work-dir /tmp/tfmxne_bench_group]
"""
import argparse
import json
import runpy
import shutil
import sys
import time
from pathlib import Path

import mne
import numpy as np
import pandas as pd
from snakemake.iocontainers import Namedlist

from tfmxne_simulation.localisation import settings_of
from tfmxne_workflow.headmodels.template import read_fsaverage5_surface

REPO = Path(__file__).resolve().parents[1]
REGIONS = {"lh": (-55.0, -22.0, 6.0), "rh": (38.0, -82.0, 4.0)}
SFREQ, CROP, SOLVE = 300.0, (-0.05, 0.3), (-0.1, 0.4)
LABELS = {"A": "auditory", "B": "visual"}


def _nearest(white, point, rng, jitter_mm):
    return int(np.argmin(np.linalg.norm(white - (np.asarray(point) + rng.normal(0, jitter_mm, 3)), axis=1)))


def write_study(root: Path, n_subjects: int, seed: int = 0) -> dict:
    """The group rules' inputs for ``n_subjects`` subjects; returns their paths by condition."""
    rng = np.random.default_rng(seed)
    white = {h: read_fsaverage5_surface("white", h)[0] for h in ("lh", "rh")}
    files = {label: {"sources": [], "convergence": [], "stc": [], "signed": []} for label in LABELS}
    reports = []
    for s in range(1, n_subjects + 1):
        sub = f"sub-{s:03d}"
        folder = root / sub / "meg"
        folder.mkdir(parents=True, exist_ok=True)
        reports.append(folder / f"{sub}_task-bench_report.html")
        reports[-1].write_text("<html></html>")
        for label, trial_type in LABELS.items():
            picks = [(h, _nearest(white[h], c, rng, 4.0), 0.10 if h == "lh" else 0.15) for h, c in REGIONS.items()]
            if s % 3 == 0:
                picks.append(("lh", _nearest(white["lh"], REGIONS["lh"], rng, 6.0), 0.11))
            for _ in range(rng.integers(0, 5)):
                h = str(rng.choice(["lh", "rh"]))
                picks.append((h, int(rng.integers(0, 10242)), rng.uniform(0.0, 0.3)))
            picks = list({(h, v): (h, v, t) for h, v, t in picks}.values())  # one row per vertex
            rows = []
            for h, v, t in picks:
                t = t + (0.03 if (label == "B" and h == "lh") else 0.0) + rng.normal(0, 0.008)
                x, y, z = white[h][v]
                rows.append({"condition": trial_type, "hemi": h, "vertex": v, "x_mm": x, "y_mm": y, "z_mm": z,
                             "peak_time_s": t, "peak_amplitude_nAm": rng.uniform(10, 60),
                             "peak_frequency_hz": float(rng.choice([0.0, 18.75, 37.5])), "converged": True,
                             "final_gap": 1e-4, "fsaverage_vertex": v, "x_mni": x, "y_mni": y, "z_mni": z})
            stem = folder / f"{sub}_task-bench_desc-{label}"
            pd.DataFrame(rows).to_csv(f"{stem}_sources.tsv", sep="\t", index=False)
            Path(f"{stem}_convergence.json").write_text(json.dumps(
                {"converged": True, "params": {"wsize": 16, "tstep": 4}}))
            vertices = [np.sort([v for h, v, _ in picks if h == hemi]).astype(int) for hemi in ("lh", "rh")]
            for key, (tmin, tmax), name in (("stc", CROP, "_proc-crop"), ("signed", SOLVE, "_proc-signed")):
                n_times = int(round((tmax - tmin) * SFREQ)) + 1
                data = rng.normal(0, 1e-9, (sum(map(len, vertices)), n_times))
                mne.SourceEstimate(data, vertices, tmin, 1 / SFREQ).save(
                    str(folder / f"{sub}_task-bench{name}_desc-{label}_tfmxne"), ftype="stc", overwrite=True,
                    verbose="error")
                files[label][key].append(str(folder / f"{sub}_task-bench{name}_desc-{label}_tfmxne-lh.stc"))
            files[label]["sources"].append(f"{stem}_sources.tsv")
            files[label]["convergence"].append(f"{stem}_convergence.json")
    return {"files": files, "reports": [str(r) for r in reports],
            "recordings": [f"sub-{s:03d}" for s in range(1, n_subjects + 1)]}


class _Snakemake:
    """What a rule script sees as ``snakemake``."""

    def __init__(self, input, output, params, log):
        self.input, self.output = Namedlist(fromdict=input), Namedlist(fromdict=output)
        self.params, self.log = Namedlist(fromdict=params), Namedlist([log])
        self.threads = 1


def run_script(name, **kwargs) -> float:
    start = time.perf_counter()
    runpy.run_path(str(REPO / "scripts" / f"{name}.py"), init_globals={"snakemake": _Snakemake(**kwargs)})
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/tfmxne_bench_group"))
    args = parser.parse_args(argv)
    shutil.rmtree(args.work_dir, ignore_errors=True)
    start = time.perf_counter()
    study = write_study(args.work_dir / "deriv", args.subjects)
    print(f"synthetic study: {args.subjects} subjects x {len(LABELS)} conditions written in "
          f"{time.perf_counter() - start:.1f} s")
    out = args.work_dir / "deriv" / "group"
    prefix = out / "task-bench"
    logs = args.work_dir / "logs"
    logs.mkdir(parents=True)
    times = {}
    for label in LABELS:
        f = study["files"][label]
        times[f"group_condition ({label})"] = run_script(
            "group_condition",
            input={"sources": f["sources"], "convergence": f["convergence"], "stc": f["stc"]},
            output={k: f"{prefix}_desc-{label}_{k}.tsv" for k in ("clusters", "sources", "subjects")}
            | {"lh": f"{prefix}_desc-{label}_tfmxne-lh.stc", "rh": f"{prefix}_desc-{label}_tfmxne-rh.stc"},
            params={"recordings": study["recordings"], "all_recordings": study["recordings"],
                    "cluster_mm": 20.0, "min_subjects": 2, "min_stability": 0.0, "n_permutations": 1000,
                    "fsaverage_dir": None},
            log=str(logs / f"group_{label}.log"))
    per_cond = {k: [f"{prefix}_desc-{label}_{k}.tsv" for label in LABELS] for k in ("sources", "clusters", "subjects")}
    times["group_contrasts"] = run_script(
        "group_contrasts", input={"sources": per_cond["sources"], "clusters": per_cond["clusters"]},
        output={"tsv": f"{prefix}_contrasts.tsv"},
        params={"trial_types": list(LABELS.values()), "cluster_mm": 20.0}, log=str(logs / "contrasts.log"))
    files = study["files"]
    times["group_report"] = run_script(
        "group_report",
        input={**per_cond, "contrasts": f"{prefix}_contrasts.tsv",
               **{k: [p for label in LABELS for p in files[label][k]] for k in ("stc", "signed")},
               "reports": study["reports"]},
        output={"html": f"{prefix}_report.html"},
        params={"title": "bench", "trial_types": list(LABELS.values()), "min_subjects": 2,
                "spectra": settings_of({}).spectra(),
                "estimates": [(rid, label) for label in LABELS for rid in study["recordings"]]},
        log=str(logs / "report.log"))
    total = sum(times.values())
    for name, seconds in times.items():
        print(f"{name:28s} {seconds:6.2f} s")
    print(f"{'group stage, total':28s} {total:6.2f} s (limit 30 s)")
    clusters = pd.read_csv(f"{prefix}_desc-A_clusters.tsv", sep="\t")
    contrasts = pd.read_csv(f"{prefix}_contrasts.tsv", sep="\t")
    latency = contrasts[(contrasts["measure"] == "peak_time_s") & (contrasts["hemi"] == "lh")]
    print(f"condition A: {len(clusters)} clusters, the largest {clusters['n_subjects'].head(2).tolist()} subjects; "
          f"lh latency contrast (B - A, 30 ms simulated): {1e3 * latency['mean_diff'].iloc[0]:.1f} ms, "
          f"p = {latency['p'].iloc[0]:.2g}")
    return 0 if total < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
