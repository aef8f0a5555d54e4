"""input.source: mne-bids-pipeline. Bad input (fast), then mne-bids-pipeline itself on the demo study."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
from conftest import run_snakemake, write_demo_config
from test_workflow import parse_job_stats

from tfmxne_workflow import mbp
from tfmxne_workflow.dataset import Recording

EVENT_ID = {"auditory/left": 1, "auditory/right": 2, "visual": 3}


def _epochs(seed=0, n=6):
    """Epochs of 4 magnetometers with MBP-style '/'-tagged event names, 2 trials per type."""
    info = mne.create_info(["MEG0111", "MEG0121", "MEG0131", "MEG0141"], 100.0, "mag")
    data = np.random.default_rng(seed).standard_normal((n, 4, 30)) * 1e-13
    events = np.c_[np.arange(n) * 100, np.zeros(n, int), np.tile([1, 2, 3], n // 3)]
    return mne.EpochsArray(data, info, events, tmin=-0.1, event_id=EVENT_ID, verbose="error")


def _write_mbp(root, subject="01", cov=True):
    """MBP's file names for one recording (task 'x'): cleaned epochs and a covariance."""
    meg = root / f"sub-{subject}" / "meg"
    meg.mkdir(parents=True)
    epochs = _epochs()
    epochs.save(meg / f"sub-{subject}_task-x_proc-clean_epo.fif", verbose="error")
    if cov:
        mne.compute_covariance(epochs, verbose="error").save(meg / f"sub-{subject}_proc-clean_cov.fif",
                                                            verbose="error")
    return epochs


def test_files_are_found_by_mbp_names(tmp_path):
    _write_mbp(tmp_path)
    files = mbp.find_files(tmp_path, "01", None, "x", "meg")
    assert files.epochs.name == "sub-01_task-x_proc-clean_epo.fif"
    assert files.cov.name == "sub-01_proc-clean_cov.fif"
    assert files.evoked is None and files.fwd is None and files.trans is None
    assert mbp.find_files(tmp_path, "02", None, "x", "meg") is None


def test_missing_root_names_it_and_the_mbp_command(tmp_path):
    with pytest.raises(ValueError, match=r"input.mbp_root .*nope.* does not exist; run mne-bids-pipeline"):
        mbp.study_files(tmp_path / "nope", [Recording("01", None)], "x", "meg", "c.py")


def test_unprocessed_recording_names_the_file_and_the_step(tmp_path):
    _write_mbp(tmp_path)
    recs = [Recording("01", None), Recording("02", None)]
    with pytest.raises(ValueError, match=r"(?s)sub-02 task-x: no .*sub-02_task-x_proc-clean_epo.fif.*--steps preprocessing"):
        mbp.study_files(tmp_path, recs, "x", "meg", "c.py")


def test_forward_for_some_recordings_only_is_refused(tmp_path):
    _write_mbp(tmp_path, "01")
    _write_mbp(tmp_path, "02")
    (tmp_path / "sub-01" / "meg" / "sub-01_fwd.fif").write_bytes(b"")
    with pytest.raises(ValueError, match=r"forward .* for \['sub-01'\] but not for \['sub-02'\].*source/make_forward"):
        mbp.study_files(tmp_path, [Recording("01", None), Recording("02", None)], "x", "meg", "c.py")


def test_conditions_of_the_mbp_config_list_dict_and_none(tmp_path):
    config = tmp_path / "c.py"
    config.write_text("conditions = ['auditory', 'visual']\n")
    assert mbp.conditions(mbp.read_config(config)) == {"auditory": "auditory", "visual": "visual"}
    config.write_text("conditions = {'left': 'auditory/left'}\n")
    assert mbp.conditions(mbp.read_config(config)) == {"left": "auditory/left"}
    config.write_text("ch_types = ['meg']\n")
    assert mbp.conditions(mbp.read_config(config)) is None
    with pytest.raises(ValueError, match="input.mbp_config .* is not a file"):
        mbp.read_config(tmp_path / "missing.py")


def test_a_condition_mbp_did_not_epoch_is_named():
    names = list(EVENT_ID)
    pooled = {"auditory": "auditory", "visual": "visual"}
    assert mbp.select_conditions("all", pooled, names, "e.fif", "c.py") == pooled
    assert mbp.select_conditions("all", None, names, "e.fif", "c.py") == {n: n for n in names}
    with pytest.raises(ValueError, match=r"conditions \['tactile'\] were not epoched .*\['auditory', 'visual'\]"):
        mbp.select_conditions(["tactile"], pooled, names, "e.fif", "c.py")
    with pytest.raises(ValueError, match=r"e.fif has no epochs of condition\(s\) \['motor'\].*make_epochs"):
        mbp.select_conditions("all", {"motor": "motor"}, names, "e.fif", "c.py")


def test_pooled_condition_averages_both_tags(tmp_path):
    epochs = _epochs()
    evoked = mbp.evoked_of(epochs, "auditory", "auditory")
    assert evoked.nave == 4 and evoked.comment == "auditory"
    reference = mne.combine_evoked([epochs["auditory/left"].average(), epochs["auditory/right"].average()],
                                   weights="nave")
    np.testing.assert_allclose(evoked.data, reference.data, rtol=1e-6)
    # MBP's own evoked file wins when it has the condition
    mine = epochs["visual"].average()
    mine.comment = "auditory"
    mne.write_evokeds(tmp_path / "x_ave.fif", [mine], verbose="error")
    np.testing.assert_allclose(mbp.evoked_of(epochs, "auditory", "auditory", tmp_path / "x_ave.fif").data,
                               mine.data, rtol=1e-6)  # FIF stores float32


def test_covariance_is_restricted_to_the_epochs_channels_or_refused():
    epochs = _epochs()
    cov = mne.compute_covariance(epochs, verbose="error")
    fewer = epochs.copy().pick(["MEG0141", "MEG0111"])
    picked = mbp.restrict_covariance(cov, fewer.info, "c.fif", "e.fif")
    assert picked["names"] == ["MEG0141", "MEG0111"]
    np.testing.assert_array_equal(picked.data, cov.data[np.ix_([3, 0], [3, 0])])
    small = mne.pick_channels_cov(cov, include=["MEG0111", "MEG0121"], verbose="error")
    with pytest.raises(ValueError, match=r"c.fif lacks 2 good channel\(s\) of the epochs e.fif: MEG0131, MEG0141.*sensor/make_cov"):
        mbp.restrict_covariance(small, epochs.info, "c.fif", "e.fif")


def test_the_workflow_stops_before_any_job_without_the_mbp_root(tiny_bids, tmp_path):
    config = tmp_path / "c.yaml"
    (tmp_path / "mbp.py").write_text("conditions = ['Left visual']\n")
    config.write_text(f"bids_root: {tiny_bids}\ntask: tiny\ninput:\n  source: mne-bids-pipeline\n"
                      f"  mbp_root: {tmp_path / 'none'}\n  mbp_config: {tmp_path / 'mbp.py'}\n")
    proc = run_snakemake("-n", "--configfile", str(config), workdir=tmp_path, check=False)
    assert proc.returncode == 1
    assert "input.mbp_root" in proc.stderr and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


# --- mne-bids-pipeline itself on the demo study ------------------------------------------

#: Sensor-level steps (init and data_quality are what frequency_filter needs); no make_evoked:
#: its report's topomap fails on the demo's channel names. Ledoit-Wolf: MBP's default 'shrunk'
#: takes ~65 s here. Forward: the demo has no FreeSurfer subject, so MBP's source steps cannot
#: run offline and our template forward is used.
MBP_STEPS = ("init", "preprocessing/data_quality", "preprocessing/frequency_filter",
             "preprocessing/make_epochs", "preprocessing/ptp_reject", "sensor/make_cov")
MBP_CONFIG = """\
bids_root = {bids_root!r}
task = "demo"
data_type = "meg"
ch_types = ["meg", "eeg"]
subjects = ["01"]
conditions = ["auditory", "visual"]
l_freq = 1.0
h_freq = None
epochs_tmin = -0.2
epochs_tmax = 0.5
baseline = (None, 0)
reject = {{"grad": 4e-10, "mag": 4e-12, "eeg": 1.5e-4}}
eeg_reference = "average"
noise_cov = (None, 0)
noise_cov_method = "ledoit_wolf"
run_source_estimation = True
n_jobs = 1
"""


@pytest.fixture(scope="module")
def mbp_run(tmp_path_factory):
    """One demo subject through mne-bids-pipeline, then the workflow in MBP mode (once)."""
    from conftest import snakemake_env

    from tfmxne_simulation.demo import make_demo_dataset

    workdir = tmp_path_factory.mktemp("mbp_run")
    bids_root = workdir / "bids"
    make_demo_dataset(bids_root, n_subjects=1, seed=0)
    mbp_config = workdir / "mbp_config.py"
    mbp_config.write_text(MBP_CONFIG.format(bids_root=str(bids_root)))
    start = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).with_name("mne_bids_pipeline")), "--config", str(mbp_config),
                           "--steps", ",".join(MBP_STEPS)], capture_output=True, text=True, timeout=600,
                          env=snakemake_env())
    mbp_s = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the demo's configuration, as the demo test runs it on our own ingestion
    configfile = write_demo_config(workdir / "config.yaml", bids_root,
                                   input={"source": "mne-bids-pipeline", "mbp_config": str(mbp_config)})
    start = time.perf_counter()
    run_snakemake("--cores", "2", "--configfile", str(configfile), workdir=workdir)
    return {"workdir": workdir, "bids_root": bids_root, "configfile": configfile, "mbp_config": mbp_config,
            "mbp_root": bids_root / "derivatives" / "mne-bids-pipeline",
            "prefix": bids_root / "derivatives" / "tfmxne" / "sub-01" / "meg" / "sub-01_task-demo",
            "mbp_s": mbp_s, "workflow_s": time.perf_counter() - start}


def _planned(mbp_run):
    proc = run_snakemake("-n", "--configfile", str(mbp_run["configfile"]), workdir=mbp_run["workdir"])
    return parse_job_stats(proc.stdout)


@pytest.mark.slow
def test_mbp_mode_finds_the_true_sources(mbp_run):
    """As test_workflow's demo test: every simulated source has an estimate within 10 mm."""
    from tfmxne_simulation.demo import read_truth

    misses = []
    for cond, true in read_truth(mbp_run["bids_root"], "01").groupby("condition"):
        table = pd.read_csv(f"{mbp_run['prefix']}_desc-{cond}_sources.tsv", sep="\t")
        est = table[["x_mm", "y_mm", "z_mm"]].to_numpy()
        for _, src in true.iterrows():
            dist = np.linalg.norm(est - src[["x_mm", "y_mm", "z_mm"]].to_numpy(float), axis=1).min() if len(est) else np.inf
            if dist > 10.0:
                misses.append(f"{cond} {src['hemi']}: nearest estimate {dist:.0f} mm")
    assert not misses, misses


@pytest.mark.slow
def test_mbp_files_are_used_and_our_ingestion_did_not_run(mbp_run):
    logs = mbp_run["bids_root"] / "derivatives" / "tfmxne" / "logs"
    assert {"mbp_info", "mbp_conditions", "mbp_evoked", "mbp_noise_cov"} <= {p.name for p in logs.iterdir()}
    assert not {"epochs", "evoked", "noise_cov", "measurement_info"} & {p.name for p in logs.iterdir()}
    clean = mne.read_epochs(mbp_run["mbp_root"] / "sub-01" / "meg" / "sub-01_task-demo_proc-clean_epo.fif",
                            verbose="error")
    evoked = mne.read_evokeds(f"{mbp_run['prefix']}_desc-auditory_ave.fif", verbose="error")[0]
    np.testing.assert_allclose(evoked.data, clean["auditory"].average().data, rtol=1e-6)
    mbp_cov = mne.read_cov(mbp_run["mbp_root"] / "sub-01" / "meg" / "sub-01_proc-clean_cov.fif", verbose="error")
    ours = mne.read_cov(f"{mbp_run['prefix']}_cov.fif", verbose="error")
    idx = [mbp_cov["names"].index(ch) for ch in ours["names"]]
    np.testing.assert_array_equal(ours.data, mbp_cov.data[np.ix_(idx, idx)])
    conditions = pd.read_csv(f"{mbp_run['prefix']}_conditions.tsv", sep="\t")
    assert conditions["n_epochs"].tolist() == [len(clean["auditory"]), len(clean["visual"])]
    # stability selection resamples halves of MBP's cleaned epochs of the condition
    assert json.loads(Path(f"{mbp_run['prefix']}_desc-auditory_convergence.json").read_text())["resampling"] == "trial halves"


@pytest.mark.slow
def test_report_says_where_the_data_came_from(mbp_run):
    html = Path(f"{mbp_run['prefix']}_report.html").read_text()
    assert "Where the data came from" in html and "mne-bids-pipeline 1.10.1" in html
    assert "preprocessing/ptp_reject" in html and "sensor/make_cov" in html
    assert str(mbp_run["mbp_config"]) in html and "noise_cov_method" in html


@pytest.mark.slow
def test_second_run_nothing_and_an_mbp_config_edit_reruns_what_depends_on_it(mbp_run):
    assert _planned(mbp_run) == {}
    original = mbp_run["mbp_config"].read_text()
    try:
        mbp_run["mbp_config"].write_text(original + "# a note\n")
        assert set(_planned(mbp_run)) == {"mbp_provenance", "report", "study_summary", "all"}
        mbp_run["mbp_config"].write_text(original.replace('["auditory", "visual"]', '{"visual": "visual"}'))
        jobs = _planned(mbp_run)
        assert {"mbp_provenance", "mbp_conditions", "report"} <= set(jobs) and "mbp_noise_cov" not in jobs, jobs
    finally:
        mbp_run["mbp_config"].write_text(original)


@pytest.mark.slow
def test_mbp_forward_is_read_when_present(mbp_run):
    """MBP's forward needs FreeSurfer: our template forward stands in for one it wrote."""
    fwd = mbp_run["mbp_root"] / "sub-01" / "meg" / "sub-01_fwd.fif"
    shutil.copy(f"{mbp_run['prefix']}_fwd.fif", fwd)
    try:
        jobs = _planned(mbp_run)
        assert jobs.get("mbp_forward") == 1 and "forward" not in jobs, jobs
    finally:
        fwd.unlink()


@pytest.mark.slow
def test_mbp_run_time(mbp_run):
    print(f"mne-bids-pipeline {mbp_run['mbp_s']:.0f} s, workflow {mbp_run['workflow_s']:.0f} s")
    assert mbp_run["mbp_s"] < 120 and mbp_run["workflow_s"] < 300
