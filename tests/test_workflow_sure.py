"""``tfmxne.alpha: sure`` end to end on the demo study.

The demo's fixed default alpha (40 %) misses a true source (sub-01 'auditory', right
hemisphere); alpha chosen by SURE must find every true source of every recording within
10 mm, with at most 2 spurious sources. The SURE run reuses the demo run's derivatives
(a copy, mtimes kept) and reruns only the solve and what follows it.
"""
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import run_snakemake

from tfmxne_workflow.stages.metrics import localisation_errors, spurious_count

RADIUS_MM = 10.0
MAX_SPURIOUS = 2


def _localisation(deriv, truth_root):
    """Per (subject, condition): distance of each true source to the nearest estimated one
    (inf when none), and the number of spurious sources (farther than RADIUS_MM)."""
    out = {}
    for truth_file in sorted(truth_root.glob("sub-*/*_desc-truth_sources.tsv")):
        subject = truth_file.parent.name
        truth = pd.read_csv(truth_file, sep="\t")
        for condition in truth["condition"].unique():
            found = pd.read_csv(next(deriv.glob(f"{subject}/meg/*_desc-{condition}_sources.tsv")),
                                sep="\t")
            errors = localisation_errors(found, truth, condition)["error_mm"].fillna(np.inf)
            out[subject, condition] = (errors.to_numpy(),
                                       spurious_count(found, truth, condition, RADIUS_MM))
    return out


@pytest.fixture(scope="module")
def sure_run(demo_run, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sure_run")
    bids_root = workdir / "bids"
    shutil.copytree(demo_run["bids_root"], bids_root, symlinks=True)
    configfile = workdir / "config.yaml"
    configfile.write_text(f"bids_root: {bids_root}\nforward:\n  bem_ico: 3\n"
                          "tfmxne:\n  alpha: sure\n  n_tfmxne_iter: 1\n")
    proc = run_snakemake("--cores", "2", "--configfile", str(configfile), "--forcerun", "solve",
                         workdir=workdir)
    return {"deriv": bids_root / "derivatives" / "tfmxne",
            "truth": bids_root / "derivatives" / "simulation", "log": proc.stdout + proc.stderr}


def test_only_the_solve_and_what_follows_reran(sure_run):
    table = sure_run["log"].split("Job stats:", 1)[1].split("\n\n", 1)[0]
    ran = {m[1] for m in re.finditer(r"^(\w+)\s+\d+$", table, re.M)} - {"total"}
    assert ran == {"solve", "crop", "sources_table", "report", "study_summary", "all",
                   "group_condition", "group_contrasts", "group_report"}, ran


def test_sure_finds_every_true_source_where_the_default_alpha_misses_one(demo_run, sure_run):
    fixed = _localisation(demo_run["deriv"], demo_run["bids_root"] / "derivatives" / "simulation")
    chosen = _localisation(sure_run["deriv"], sure_run["truth"])
    assert set(chosen) == set(fixed) and len(chosen) == 4
    for key, (nearest, spurious) in chosen.items():
        assert np.all(nearest <= RADIUS_MM), f"{key}: true sources at {nearest} mm of the estimate"
        assert spurious <= MAX_SPURIOUS, f"{key}: {spurious} spurious sources"
    missed = [key for key, (nearest, _) in fixed.items() if np.any(nearest > RADIUS_MM)]
    assert missed, "the fixed default alpha found every source: the demo no longer shows the contrast"


def test_sure_choice_is_recorded_and_reported(sure_run):
    for record_file in sure_run["deriv"].glob("sub-*/meg/*_convergence.json"):
        record = json.loads(record_file.read_text())
        path = record["sure"]
        assert len(path["alphas"]) == len(path["sure"]) == len(path["n_active"]) == 15
        best = int(np.argmin(path["sure"]))
        assert record["alpha"] == pytest.approx(path["alphas"][best])
        assert record["n_active"] == path["n_active"][best]
        assert path["n_solves"] == 2 * (len(path["alphas"]) - 1)
    for report in sure_run["deriv"].glob("sub-*/meg/*_report.html"):
        text = report.read_text()
        assert "selected by SURE" in text and "SURE path" in text
