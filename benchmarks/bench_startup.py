"""Job start-up: how long parsing the workflow takes, on the host and in each job, vs study size.

Every cluster job parses the whole workflow again before it runs, so what
``workflow/rules/common.smk`` does at parse time is paid once per job. This builds
tiny EEG studies of ``--recordings`` subjects (the test suite's tiny subject, cloned),
for ``forward.source`` template and precomputed (every subject's ``-fwd.fif`` a link to
one forward), and times

* ``host``: ``snakemake --list-rules`` as the submitting host runs it (with the dataset
  checks: raw files, ``channels.tsv``, every precomputed forward);
* ``job``: the same parse in a job's execution mode (``--mode remote``, as a SLURM job
  runs it), which skips the checks the host already made;
* ``dry_run``: ``snakemake -n``, the whole job graph.

Usage::

    python benchmarks/bench_startup.py [--recordings 20 200 500] [--work-dir /tmp/tfmxne_startup]

The SLURM plugin's ``scontrol`` probe is stubbed out (as in the tests), so the figures
are the workflow's own.
"""
import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests" / d) for d in ("", "workflow")]
from conftest import REPO, SNAKEMAKE, snakemake_env, write_tiny_bids  # noqa: E402
from test_faults import TINY_CONFIG  # noqa: E402
from test_scale import _clone_subject  # noqa: E402


def tiny_forward(bids: Path, work: Path) -> Path:
    """A template-head EEG forward for the tiny subject's channels (oct4, ico2 BEM)."""
    import mne

    from tfmxne_workflow.stages import forward, ingest

    fname = work / "tiny-fwd.fif"
    if fname.is_file():
        return fname
    subjects_dir = work / "subjects"
    forward.write_template(subjects_dir / "fsaverage5", work / "fsaverage5-trans.fif")
    src = forward.source_space("fsaverage5", subjects_dir, "oct4")
    bem = forward.bem_solution("fsaverage5", subjects_dir, ico=2)
    raw_file = next(bids.glob("sub-01/meg/*_meg.fif"))
    info = ingest.measurement_info(raw_file, ["eeg"])
    fwd = forward.make_forward(info, str(work / "fsaverage5-trans.fif"), src, bem)
    mne.write_forward_solution(fname, fwd, overwrite=True, verbose="error")
    return fname


def study(root: Path, n: int) -> Path:
    """A tiny study of ``n`` subjects (grown from a smaller one when there is one)."""
    bids = root / "bids"
    if not bids.is_dir():
        write_tiny_bids(bids, runs=(None,))
    have = len(list(bids.glob("sub-*")))
    for k in range(have + 1, n + 1):
        _clone_subject(bids, "01", f"{k:03d}")
    return bids


def timed(args, workdir, config) -> float:
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env())
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return round(wall, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, nargs="+", default=[20, 200, 500])
    parser.add_argument("--work-dir", default="/tmp/tfmxne_startup")
    parser.add_argument("--no-dry-run", action="store_true", help="skip the (slower) dry runs")
    args = parser.parse_args()
    root = Path(args.work_dir)
    shutil.rmtree(root / "bids", ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in sorted(args.recordings):
        bids = study(root, n)
        fwd = tiny_forward(bids, root)
        links = root / f"forwards-{n}"
        links.mkdir(exist_ok=True)
        for sub in sorted(p.name for p in bids.glob("sub-*")):
            link = links / f"{sub}-fwd.fif"
            if not link.exists():
                link.symlink_to(fwd)
        for mode in ("template", "precomputed"):
            config = json.loads(json.dumps(TINY_CONFIG))
            config.update(bids_root=str(bids), deriv_root=str(root / "deriv"))
            if mode == "precomputed":
                config["forward"] = {"source": "precomputed", "fname": f"{links}/sub-{{subject}}-fwd.fif"}
            cfg = root / f"config-{mode}.yaml"
            cfg.write_text(yaml.safe_dump(config))
            row = dict(recordings=n, forward=mode,
                       host_s=timed(["--list-rules"], root, cfg),
                       job_s=timed(["--list-rules", "--mode", "remote"], root, cfg))
            if not args.no_dry_run:
                row["dry_run_s"] = timed(["-n", "--cores", "2"], root, cfg)
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| recordings | forward | host parse (s) | job parse (s) | dry run (s) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['recordings']} | {r['forward']} | {r['host_s']} | {r['job_s']} | {r.get('dry_run_s', '')} |")


if __name__ == "__main__":
    main()
