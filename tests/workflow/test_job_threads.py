"""Each solve job runs on the threads its rule gives it, whatever the machine's cores.

The tiny EEG study (1 subject, 2 conditions: two solve jobs) up to the solves, without the
test suite's BLAS thread caps, so that only the jobs' own limit (tfmxne_workflow.jobs)
sets the threads; each job's convergence record says how many solver threads it ran.
"""
import json

import pytest
from conftest import run_snakemake

pytestmark = pytest.mark.slow


def _solve(workdir, *args):
    """Run the study up to its solves; each convergence record's ``threads``."""
    run_snakemake("--cores", "2", "--until", "solve", "--configfile", str(workdir / "config.yaml"),
                  *args, workdir=workdir, thread_caps=False, timeout=600)
    records = sorted(workdir.glob("deriv/sub-*/meg/*_convergence.json"))
    assert len(records) == 2
    return [json.loads(r.read_text())["threads"] for r in records]


def test_each_solve_job_uses_its_rule_threads(tiny_bids, tmp_path):
    (tmp_path / "config.yaml").write_text(
        f"bids_root: {tiny_bids}\nderiv_root: {tmp_path / 'deriv'}\ntask: tiny\n"
        "preprocessing: {ch_types: [eeg]}\nforward: {bem_ico: 2, spacing: oct4}\n")
    assert _solve(tmp_path) == [1, 1]  # solve.smk: threads: 1
    logs = sorted(tmp_path.glob("deriv/logs/solve/*.log"))
    assert len(logs) == 2 and all("threads: 1" in log.read_text() for log in logs)
    # 4 asked, capped by Snakemake at --cores 2
    assert _solve(tmp_path, "--forcerun", "solve", "--set-threads", "solve=4") == [2, 2]
