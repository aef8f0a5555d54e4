"""End to end on the demo dataset (one run per session), then caching checks by dry runs."""
import json
import re
import shutil
import zipfile

import pandas as pd
import pytest
import yaml
from conftest import REPO, run_snakemake

pytestmark = pytest.mark.slow

REQUIRED_COLUMNS = ["hemi", "vertex", "x_mm", "y_mm", "z_mm", "n_vertices", "extent_mm", "vertices",
                    "peak_time_s", "peak_amplitude_nAm",
                    "oscillatory", "peak_frequency_hz", "tf_tmin_s", "tf_tmax_s", "tf_fmin_hz", "tf_fmax_hz",
                    "dictionary_frequency_hz", "fsaverage_vertex", "x_mni", "y_mni", "z_mni"]
GROUP_RULES = {"group_condition", "group_contrasts", "group_report"}
FORWARD_RULES = {"measurement_info", "template_subject", "source_space", "bem_solution", "forward"}


def planned_jobs(demo_run, **changes):
    """Rules a dry run would execute after ``changes`` (nested dict) to the run's config."""
    config = yaml.safe_load(demo_run["configfile"].read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    changed = demo_run["workdir"] / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    proc = run_snakemake("-n", "--configfile", str(changed), workdir=demo_run["workdir"])
    return parse_job_stats(proc.stdout)


def parse_job_stats(stdout):
    """{rule: count} from the 'Job stats' table of a dry run ({} if nothing to do)."""
    if "Nothing to be done" in stdout:
        return {}
    table = stdout.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def test_outputs_are_bids_derivatives(demo_run):
    deriv = demo_run["deriv"]
    assert (deriv / "dataset_description.json").is_file()
    assert (deriv / "study_summary.html").is_file() and (deriv / "study_summary.tsv").is_file()
    subjects = sorted(p.name for p in deriv.glob("sub-*"))
    assert len(subjects) == 2
    for sub in subjects:
        files = {p.name for p in (deriv / sub / "meg").iterdir()}
        assert f"{sub}_task-demo_cov.fif" in files and f"{sub}_task-demo_fwd.fif" in files
        assert f"{sub}_task-demo_report.html" in files
        conds = pd.read_csv(deriv / sub / "meg" / f"{sub}_task-demo_conditions.tsv", sep="\t")
        assert len(conds) == 2 and (conds["n_epochs"] > 0).all()
        for label in conds["label"]:
            stem = f"{sub}_task-demo_desc-{label}"
            assert {f"{stem}_ave.fif", f"{stem}_sources.tsv"} <= files
            assert {f"{sub}_task-demo_proc-crop_desc-{label}_dspm-{h}.stc" for h in ("lh", "rh")} <= files
            assert f"{stem}_dspm-lh.stc" not in files  # MEG data: auto solves without dSPM weights
            table = pd.read_csv(deriv / sub / "meg" / f"{stem}_sources.tsv", sep="\t")
            assert set(REQUIRED_COLUMNS) <= set(table.columns)
            assert len(table) > 0, f"{stem}: no active source"
            record = json.loads((deriv / sub / "meg" / f"{stem}_convergence.json").read_text())
            assert record["resampling"] == "trial halves"  # stability selection halves the epochs


def test_the_defaults_find_every_simulated_source_at_its_frequency(demo_run):
    """With the schema defaults (the localisation benchmark's winner), every simulated
    source of both demo subjects has an estimate within 10 mm, and the nearest one's
    frequency (from its time course) is the burst's within 1 Hz.
    """
    import numpy as np

    from tfmxne_simulation.demo import read_truth

    misses = []
    for sub in ("01", "02"):
        truth = read_truth(demo_run["bids_root"], sub)
        for cond, true in truth.groupby("condition"):
            table = pd.read_csv(demo_run["deriv"] / f"sub-{sub}" / "meg"
                                / f"sub-{sub}_task-demo_desc-{cond}_sources.tsv", sep="\t")
            est = table[["x_mm", "y_mm", "z_mm"]].to_numpy()
            for _, src in true.iterrows():
                xyz = src[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
                dist = np.linalg.norm(est - xyz, axis=1).min() if len(est) else np.inf
                if dist > 10.0:
                    misses.append(f"sub-{sub} {cond} {src['hemi']}: nearest estimate {dist:.0f} mm")
                    continue
                nearest = table.iloc[int(np.argmin(np.linalg.norm(est - xyz, axis=1)))]
                if not abs(nearest["peak_frequency_hz"] - src["freq_hz"]) <= 1.0:
                    misses.append(f"sub-{sub} {cond} {src['hemi']}: {nearest['peak_frequency_hz']} Hz, "
                                  f"not {src['freq_hz']} Hz")
    assert not misses, misses


def test_the_demo_has_group_results(demo_run):
    group = demo_run["deriv"] / "group"
    for name in ("contrasts.tsv", "report.html", *(f"desc-{c}_{k}" for c in ("auditory", "visual")
                 for k in ("clusters.tsv", "sources.tsv", "subjects.tsv", "tfmxne-lh.stc", "tfmxne-rh.stc"))):
        assert (group / f"task-demo_{name}").is_file(), name
    clusters = pd.read_csv(group / "task-demo_desc-visual_clusters.tsv", sep="\t")
    assert len(clusters) and (clusters["n_subjects"] == 2).all(), clusters
    assert "2 subject(s)</b>: group statistics need more" in (group / "task-demo_report.html").read_text()


def test_report_has_every_section(demo_run):
    html = next(demo_run["deriv"].glob("sub-*/meg/*_report.html")).read_text()
    for needle in ("evoked (grad)", "residual (grad)", "time courses", "where (glass brain)",
                   "time-frequency map", "Explained variance", "convergence", "Settings used",
                   "localisation error", "resamples: the averages of random halves of the trials",
                   "dense estimate (dSPM)", "Dense estimate (dSPM, SNR 3", "Regularisation: alpha = ",
                   "Noise covariance", "whitened with the noise covariance"):
        assert needle in html, needle


def test_second_run_has_nothing_to_do(demo_run):
    proc = run_snakemake("-n", "--configfile", str(demo_run["configfile"]), workdir=demo_run["workdir"])
    assert "Nothing to be done" in proc.stdout, proc.stdout[-3000:]


def test_changing_alpha_reruns_only_solve_crop_and_report(demo_run):
    jobs = planned_jobs(demo_run, tfmxne={"alpha": 35.0})
    assert "solve" in jobs
    assert set(jobs) <= {"solve", "crop", "sources_table", "report", "study_summary", "all", *GROUP_RULES}, jobs


def test_the_same_subjects_written_as_a_list_plan_nothing(demo_run):
    assert planned_jobs(demo_run, subjects=["01", "02"]) == {}


def test_changing_a_key_only_the_report_uses_reruns_only_the_reports(demo_run):
    jobs = planned_jobs(demo_run, report={"max_tf_maps": 2})
    assert jobs.get("report") == 2 and set(jobs) <= {"report", "study_summary", "group_report", "all"}, jobs


def test_changing_the_dense_method_reruns_only_the_dense_estimates_and_the_reports(demo_run):
    jobs = planned_jobs(demo_run, dense={"method": "sLORETA"})
    assert (jobs.get("dense"), jobs.get("report")) == (4, 2), jobs
    assert set(jobs) <= {"dense", "report", "study_summary", "group_report", "all"}, jobs


def test_changing_the_merge_of_vertices_reruns_the_sources_tables_not_the_solve(demo_run):
    jobs = planned_jobs(demo_run, sources_table={"merge_mm": 5.0})
    assert jobs.get("sources_table") == 4, jobs
    assert set(jobs) <= {"sources_table", "report", "study_summary", "all", *GROUP_RULES}, jobs


def test_adding_a_subject_plans_only_its_jobs_and_the_study_level_ones(demo_run):
    """A copy of sub-02 as sub-03: its chain once, shared head models and other subjects untouched."""
    bids = demo_run["bids_root"]
    new = bids / "sub-03"
    shutil.copytree(bids / "sub-02", new)
    try:
        for f in sorted(new.rglob("*sub-02*")):
            f.rename(f.with_name(f.name.replace("sub-02", "sub-03")))
        jobs = planned_jobs(demo_run)
    finally:
        shutil.rmtree(new)
    per_recording = {"measurement_info": 1, "epochs": 1, "noise_cov": 1, "forward": 1, "report": 1}
    per_condition = {"evoked": 2, "solve": 2, "crop": 2, "sources_table": 2, "dense": 2}
    study = {"study_summary": 1, "all": 1, "group_condition": 2, "group_contrasts": 1, "group_report": 1}
    assert jobs == {**per_recording, **per_condition, **study}, jobs


def test_changing_l_freq_reruns_downstream_of_ingestion_but_not_the_forward(demo_run):
    jobs = planned_jobs(demo_run, preprocessing={"l_freq": 2.0})
    assert {"epochs", "evoked", "noise_cov", "solve", "report"} <= set(jobs), jobs
    assert not FORWARD_RULES & set(jobs), jobs


def test_dspm_weights_add_the_dspm_jobs_and_rerun_the_solve(demo_run):
    jobs = planned_jobs(demo_run, dspm={"weights": True})
    assert {"dspm": 4, "solve": 4} == {k: jobs[k] for k in ("dspm", "solve")}, jobs
    assert not ({"epochs", "evoked", "noise_cov"} | FORWARD_RULES) & set(jobs), jobs
    assert planned_jobs(demo_run, dspm={"snr": 5.0, "weights_min": 3.0}) == {}  # unused without weights


def test_editing_the_solver_reruns_the_solve_and_what_follows_nothing_upstream(demo_run, tmp_path):
    """A one-line edit to tfmxne/solver.py, in a copy of the repository, then a dry run."""
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("Snakefile", "workflow", "scripts", "tfmxne", "tfmxne_workflow"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy2)(REPO / name, copy / name)
    solver = copy / "tfmxne" / "solver.py"
    solver.write_text(solver.read_text() + "\n# an edit\n")
    proc = run_snakemake("-n", "--configfile", str(demo_run["configfile"]), workdir=demo_run["workdir"],
                         snakefile=copy / "Snakefile")
    jobs = parse_job_stats(proc.stdout)
    assert jobs.get("solve") == 4 and {"crop", "sources_table", "report"} <= set(jobs), jobs
    assert not ({"epochs", "evoked", "noise_cov"} | FORWARD_RULES) & set(jobs), jobs


def test_snakemake_report(demo_run):
    out = demo_run["workdir"] / "snakemake_report.zip"
    run_snakemake("--report", str(out), "--configfile", str(demo_run["configfile"]), workdir=demo_run["workdir"])
    assert out.stat().st_size > 10_000
    with zipfile.ZipFile(out) as archive:
        index = archive.read("snakemake_report/report.html").decode()
    assert re.search(r'"Group": \{"Other": \["[^"]*/group/task-demo_report\.html"\]', index), "no Group category"


def test_demo_workflow_runs_in_a_few_minutes(demo_run):
    assert demo_run["wall_s"] < 600, f"demo workflow took {demo_run['wall_s']:.0f} s"


def test_the_schema_is_a_valid_snakemake_schema_with_every_default():
    """Snakemake's own validate (what a user's wrapper may call) agrees with the plan's defaults."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    from tfmxne_workflow.plan.config import resolve

    schema = str(REPO / "workflow/schemas/config.schema.yaml")
    with pytest.raises(WorkflowError, match="'bids_root' is a required property"):
        validate({}, schema)
    config = {"bids_root": "bids", "task": "x"}
    validate(config, schema)
    assert config == resolve({"bids_root": "bids", "task": "x"})[0]
    assert config["tfmxne"]["alpha"] == "auto" and config["preprocessing"]["h_freq"] is None
    assert config["tfmxne"]["noise_floor"] == 30.0 and config["dspm"]["weights"] == "auto"
    assert config["crop"] == {"tmin": -0.05, "tmax": 0.3}
