"""The workflow as a Snakemake ``module`` of another workflow, run from another folder.

The outer Snakefile is what a user writes to embed this workflow (or what ``snakedeploy
deploy-workflow`` writes): ``module`` + ``use rule * from tfmxne as tfmxne_*`` with the outer
config. The module must find its schema, scripts, report captions and code inputs beside its
own Snakefile (not the outer one), keep its local rules local under the new names, and put
the derivatives where the outer config says, relative paths resolved in the outer folder.
"""
import re
import subprocess
import time
import zipfile

import pandas as pd
import pytest
import yaml
from conftest import REPO, SNAKEMAKE, snakemake_env, write_tiny_bids

OUTER_SNAKEFILE = f"""configfile: "config.yaml"


module tfmxne:
    snakefile:
        "{REPO / 'Snakefile'}"
    config:
        config


use rule * from tfmxne as tfmxne_*
"""

DERIV = "derivatives/tfmxne"  # deriv_root of the outer config: relative to the outer folder


def outer_workflow(folder, **config):
    """``folder`` with the outer Snakefile and a config.yaml holding ``config``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Snakefile").write_text(OUTER_SNAKEFILE)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def run_outer(folder, *args, timeout=900):
    """``snakemake *args`` in ``folder``, as a user runs it there (its Snakefile found by default)."""
    proc = subprocess.run([SNAKEMAKE, *args], cwd=folder, capture_output=True, text=True,
                          timeout=timeout, env=snakemake_env())
    assert proc.returncode == 0, f"snakemake {' '.join(args)} failed in {folder}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def planned_jobs(stdout):
    """{rule: count} of the 'Job stats' table of a dry run."""
    table = stdout.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def test_dry_run_as_a_module(tiny_bids, tmp_path):
    outer = outer_workflow(tmp_path / "outer", bids_root=str(tiny_bids), task="tiny", deriv_root=DERIV)
    proc = run_outer(outer, "-n")
    log = proc.stdout + proc.stderr
    jobs = planned_jobs(log)
    assert all(rule.startswith("tfmxne_") for rule in jobs), jobs
    assert {"tfmxne_epochs", "tfmxne_forward", "tfmxne_solve", "tfmxne_sources_table", "tfmxne_report",
            "tfmxne_study_summary", "tfmxne_all"} <= set(jobs), jobs
    # all, study_summary and dataset_description stay local rules under their new names
    assert "localrules directive specifies rules that are not present" not in log, log[-3000:]
    outputs = [f for line in re.findall(r"^\s+output: (.+)$", log, re.M) for f in line.split(", ")]
    assert outputs and all(f.startswith(f"{DERIV}/") for f in outputs), outputs
    assert f"{DERIV}/sub-01/meg/sub-01_task-tiny_report.html" in outputs
    # the module's plan reads its own repository (schema, scripts and their code): a wrong
    # folder fails the parse; the rules' code is a parameter, not a list of inputs
    assert str(REPO / "tfmxne" / "solver.py") not in log


@pytest.mark.slow
def test_a_recording_end_to_end_as_a_module(tmp_path):
    """The tiny recording (EEG, a coarse head model: the run takes seconds, not minutes)."""
    outer = tmp_path / "outer"
    write_tiny_bids(outer / "bids", runs=(None,))
    outer_workflow(outer, bids_root="bids", task="tiny", deriv_root=DERIV,
                   preprocessing={"ch_types": ["eeg"]}, forward={"bem_ico": 2, "spacing": "oct4"})

    start = time.perf_counter()
    proc = run_outer(outer, "--cores", "2")
    wall_s = time.perf_counter() - start
    ran = set(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", proc.stdout + proc.stderr))
    assert ran and all(rule.startswith("tfmxne_") for rule in ran), ran
    assert {"tfmxne_solve", "tfmxne_sources_table", "tfmxne_report", "tfmxne_all"} <= ran, ran

    meg = outer / DERIV / "sub-01" / "meg"
    report = meg / "sub-01_task-tiny_report.html"
    assert report.is_file() and report.stat().st_size > 10_000
    labels = pd.read_csv(meg / "sub-01_task-tiny_conditions.tsv", sep="\t")["label"]
    assert len(labels) == 2
    for label in labels:
        table = pd.read_csv(meg / f"sub-01_task-tiny_desc-{label}_sources.tsv", sep="\t")
        assert len(table) > 0 and {"x_mm", "y_mm", "z_mm", "peak_time_s"} <= set(table.columns), label
    assert (outer / DERIV / "study_summary.html").is_file()
    assert (outer / DERIV / "logs" / "report" / "sub-01.log").is_file()
    assert not (outer / "bids" / "derivatives" / "tfmxne").exists()

    # Done is done: the parameters (the code's versions among them) resolve the same on the next parse.
    rerun = run_outer(outer, "-n")
    assert "Nothing to be done" in rerun.stdout + rerun.stderr, rerun.stdout[-3000:]

    # Snakemake's report: the captions are read from the module's workflow/report/.
    run_outer(outer, "--report", "module_report.zip")
    with zipfile.ZipFile(outer / "module_report.zip") as archive:
        index = archive.read("module_report/report.html").decode()
    assert re.search(r'"Subject reports": \{"Other": \["[^"]*/sub-01_task-tiny_report\.html"\]', index)
    assert "Per-recording TF-MxNE report (sub-01)" in index
    print(f"module run: {wall_s:.0f} s")
