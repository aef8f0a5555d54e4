"""A whole study end to end: N tiny subjects x 2 conditions through the workflow.

Builds the tiny EEG BIDS subject of the tests (``tests/conftest.py``), clones it to
``--subjects`` subjects, runs the workflow with ``--cores`` (template head, oct4 sources,
ico2 BEM) and prints the wall time, the number of jobs and the largest peak memory of any
job (from the rules' benchmark files).

Usage::

    python benchmarks/bench_study.py [--subjects 20] [--cores 2] [--work-dir /tmp/tfmxne_study]
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests" / d) for d in ("", "workflow")]
from conftest import REPO, SNAKEMAKE, snakemake_env, write_tiny_bids  # noqa: E402
from test_faults import TINY_CONFIG  # noqa: E402
from test_scale import _clone_subject  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=20)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--work-dir", default="/tmp/tfmxne_study")
    args = parser.parse_args()
    root = Path(args.work_dir)
    shutil.rmtree(root, ignore_errors=True)
    bids = write_tiny_bids(root / "bids", runs=(None,))
    for k in range(2, args.subjects + 1):
        _clone_subject(bids, "01", f"{k:02d}")
    config = json.loads(json.dumps(TINY_CONFIG))
    config.update(bids_root=str(bids), deriv_root=str(root / "deriv"))
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    proc = subprocess.run([SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(root),
                           "--configfile", str(root / "config.yaml"), "--cores", str(args.cores)],
                          capture_output=True, text=True, env=snakemake_env())
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(proc.stderr[-3000:])
    bench = [pd.read_csv(f, sep="\t") for f in (root / "deriv" / "benchmarks").glob("*/*.tsv")]
    jobs = int(re.findall(r"(\d+) of \d+ steps \(100%\) done", proc.stderr)[-1])
    print(json.dumps(dict(subjects=args.subjects, conditions=2, cores=args.cores,
                          wall_s=round(wall, 1), jobs=jobs,
                          max_job_rss_mb=round(max(b["max_rss"].max() for b in bench), 1)),
                     indent=1))


if __name__ == "__main__":
    main()
