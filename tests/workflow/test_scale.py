"""Scale: the job graph of a 20-subject, 2-condition study is built in seconds."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, SNAKEMAKE, snakemake_env, write_tiny_bids

N_SUBJECTS = 20
#: Jobs per recording with 2 conditions: measurement_info, epochs, noise_cov, forward,
#: report, and per condition evoked, solve, crop, sources_table, dense (MEG data: auto solves
#: without dSPM weights, so no dspm job is planned).
JOBS_PER_RECORDING = 5 + 2 * 5
#: Study-level jobs: template_subject, source_space, bem_solution, study_summary,
#: dataset_description, all, and the group stage: group_condition per condition,
#: group_contrasts, group_report.
STUDY_JOBS = 6 + 2 + 2
DAG_SECONDS = 10.0


def _clone_subject(root: Path, src: str, dst: str) -> None:
    """Copy sub-<src> to sub-<dst>, renaming files and the scans table's entries."""
    for path in sorted((root / f"sub-{src}").rglob("*")):
        target = root / f"sub-{dst}" / path.relative_to(root / f"sub-{src}").as_posix().replace(
            f"sub-{src}", f"sub-{dst}")
        if path.is_dir():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".tsv" and "scans" in path.name:
            target.write_text(path.read_text().replace(f"sub-{src}", f"sub-{dst}"))
        else:
            shutil.copy2(path, target)
    with open(root / "participants.tsv", "a") as f:
        header = (root / "participants.tsv").read_text().splitlines()[0].split("\t")
        f.write("\t".join([f"sub-{dst}"] + ["n/a"] * (len(header) - 1)) + "\n")


@pytest.fixture(scope="module")
def big_study(tmp_path_factory):
    """20 subjects x 1 run x 2 conditions: real (tiny) files, the first one cloned."""
    root = write_tiny_bids(tmp_path_factory.mktemp("scale") / "bids", runs=(None,))
    for k in range(2, N_SUBJECTS + 1):
        _clone_subject(root, "01", f"{k:02d}")
    return root


def test_dag_of_20_subjects_is_built_in_seconds(big_study, tmp_path):
    assert len(list(big_study.glob("sub-*/meg/*_meg.fif"))) == N_SUBJECTS
    config = tmp_path / "config.yaml"
    config.write_text(f"bids_root: {big_study}\ntask: tiny\nderiv_root: {tmp_path / 'deriv'}\n")
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--configfile",
           str(config), "-n", "--cores", "2"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env(), timeout=300)
    wall = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = proc.stdout.split("Job stats:", 1)[1]
    total = int(re.search(r"^total\s+(\d+)$", table, re.M)[1])
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}
    assert total == N_SUBJECTS * JOBS_PER_RECORDING + STUDY_JOBS, counts
    assert counts["solve"] == 2 * N_SUBJECTS and counts["report"] == N_SUBJECTS and "dspm" not in counts
    print(f"dry run of {total} jobs ({N_SUBJECTS} subjects x 2 conditions): {wall:.1f} s")
    assert wall < DAG_SECONDS, f"building the DAG of {total} jobs took {wall:.1f} s"


def _list_rules(workdir, config, *extra):
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(workdir), "--configfile",
           str(config), "--list-rules", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=snakemake_env(), timeout=300)


def test_a_job_parse_reuses_the_host_scan_and_skips_its_checks(big_study, tmp_path):
    """Job start-up stays flat: what grows with the study runs once, on the submitting host.

    A cluster job parses the workflow in ``--mode remote``; it must not enumerate the
    dataset again nor open every precomputed forward (benchmarks/bench_startup.py
    times it). Forwards that do not exist show that no job opens them.
    """
    common = f"bids_root: {big_study}\ntask: tiny\nderiv_root: {tmp_path / 'deriv'}\n"
    template = tmp_path / "template.yaml"
    template.write_text(common)
    precomputed = tmp_path / "precomputed.yaml"
    precomputed.write_text(common + f"forward:\n  source: precomputed\n"
                                    f"  fname: {tmp_path}/none/sub-{{subject}}-fwd.fif\n")
    host = _list_rules(tmp_path, precomputed)
    assert host.returncode == 1 and "forward.fname" in host.stdout + host.stderr, host.stderr[-2000:]
    assert _list_rules(tmp_path, template).returncode == 0  # the host's scan, cached
    cache = list((tmp_path / ".snakemake" / "tfmxne").glob("study-*.json"))
    assert len(cache) == 1 and cache[0].read_text().count('"subject"') >= N_SUBJECTS
    job = _list_rules(tmp_path, precomputed, "--mode", "remote")
    assert job.returncode == 0, job.stdout[-2000:] + job.stderr[-2000:]
    assert "solve" in job.stdout


def test_solver_memory_is_linear_in_the_number_of_samples():
    """Peak memory allocated by the solver at 2x the samples is at most ~2x (+25 %).

    A small version of benchmarks/bench_memory.py (which reports the figures at the
    demo's size); tracemalloc counts numpy's buffers, so this is exact and repeatable.
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_memory", REPO / "benchmarks" / "bench_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    params = dict(bench.DEFAULTS, n_sensors=60, n_positions=200, maxit=20)
    small, large = (bench.measure(n, **params) for n in (400, 800))
    ratio = large["tracemalloc_peak_mib"] / small["tracemalloc_peak_mib"]
    print(f"solver peak: {small['tracemalloc_peak_mib']} MiB at 400 samples, "
          f"{large['tracemalloc_peak_mib']} MiB at 800 (x{ratio:.2f})")
    assert small["n_active"] > 0 and large["n_active"] > 0
    assert 1.5 < ratio < 2.5
