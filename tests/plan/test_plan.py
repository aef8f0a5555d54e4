"""The plan: settings resolved once, auto decided per recording, the study and its paths."""
import pytest
from conftest import REPO

from tfmxne_workflow.errors import BadInput
from tfmxne_workflow.plan import inputs, make_plan
from tfmxne_workflow.plan.auto import AUTO_SETTINGS
from tfmxne_workflow.stages.solve import SOLVER_PARAMS


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a fresh folder (the plan keeps its scan of the dataset under .snakemake/)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _plan(bids, **config):
    return make_plan({"bids_root": str(bids), "task": "tiny", **config}, REPO)


def test_what_the_user_leaves_out_is_the_schema_default(tiny_bids, in_tmp):
    """Not the demo's values (forward.bem_ico 3, a report.truth pattern): workflow/demo/config.yaml."""
    plan = _plan(tiny_bids)
    assert plan.settings["forward"]["bem_ico"] == 4  # what rule bem_solution reads
    assert plan.settings["report"]["truth"] is None


def test_the_study_and_its_paths(tiny_bids, in_tmp):
    plan = _plan(tiny_bids)
    assert list(plan.study.recordings) == [("01", "")]
    assert plan.study.labels == {"LeftVisual": "Left visual", "auditoryLeft": "auditory/left"}
    assert plan.study.condition_labels("01", "") == {"LeftVisual": "Left visual", "auditoryLeft": "auditory/left"}
    prefix = f"{tiny_bids}/derivatives/tfmxne/sub-01/meg/sub-01_task-tiny"
    assert inputs.fill(plan.paths.condition_file("_ave.fif"), "01", "", "LeftVisual") == f"{prefix}_desc-LeftVisual_ave.fif"
    assert inputs.study_files(plan, "_desc-{cond}_sources.tsv") == [
        f"{prefix}_desc-LeftVisual_sources.tsv", f"{prefix}_desc-auditoryLeft_sources.tsv"]
    assert plan.common_space == "template" and not plan.group_enabled  # one subject
    assert plan.notes == ()


@pytest.mark.parametrize(("ch_types", "kind"), [(None, "meg"), (["eeg"], "eeg"), (["meg"], "meg")])
def test_auto_is_decided_per_recording_from_its_channels(tiny_bids, in_tmp, ch_types, kind):
    """The tiny recording has 19 EEG channels and 4 magnetometers (channels.tsv)."""
    plan = _plan(tiny_bids, preprocessing={"ch_types": ch_types})
    assert plan.modality("01", "") == kind
    settings = plan.solve_settings("01", "")
    assert settings["weights"] is AUTO_SETTINGS[kind]["weights"]
    assert settings["solver"]["alpha"] == AUTO_SETTINGS[kind]["alpha"]
    assert set(settings["solver"]) == set(SOLVER_PARAMS)
    assert AUTO_SETTINGS[kind]["benchmark"] in settings["note"]
    solve_inputs = inputs.solve(plan, "01", "", "LeftVisual")
    assert ("dspm" in solve_inputs) is AUTO_SETTINGS[kind]["weights"]  # no dSPM job without weights
    # without weights, the weights' thresholds are not the solve's parameters (no rerun on them)
    assert ("weights_min" in settings) is AUTO_SETTINGS[kind]["weights"]


def test_stability_selection_gives_the_solve_the_epochs_and_the_conditions_selector(tiny_bids, in_tmp):
    plan = _plan(tiny_bids)
    epochs = inputs.solve(plan, "01", "", "LeftVisual")["epochs"]
    assert epochs == inputs.noise_cov(plan, "01", "")["epochs"]  # the recording's _epo.fif
    assert inputs.epochs_selector(plan, "01", "", "LeftVisual") == "LeftVisual"  # the epochs' event id
    assert "epochs" not in inputs.solve(_plan(tiny_bids, stability={"n_resamples": 0}), "01", "", "LeftVisual")


def test_explicit_settings_are_kept(tiny_bids, in_tmp):
    plan = _plan(tiny_bids, dspm={"weights": True, "loose": 0.5}, tfmxne={"alpha": 40.0})
    settings = plan.solve_settings("01", "")
    assert settings["weights"] and settings["solver"]["alpha"] == 40.0 and settings["note"] is None
    assert plan.settings.dspm() == {"window": [-0.1, 0.4], "snr": 3.0, "loose": 0.5, "depth": 0.9}


def test_the_settings_cannot_be_changed_by_a_reader(tiny_bids, in_tmp):
    plan = _plan(tiny_bids)
    plan.settings["tfmxne"]["alpha"] = 1.0
    plan.solve_settings("01", "")["solver"]["alpha"] = 2.0
    assert plan.settings["tfmxne"]["alpha"] == "auto"
    assert plan.solve_settings("01", "")["solver"]["alpha"] == AUTO_SETTINGS["meg"]["alpha"]


def test_a_renamed_key_is_noted(tiny_bids, in_tmp):
    plan = _plan(tiny_bids, prior={"weights": True})
    assert plan.settings["dspm"]["weights"] is True and "'prior' is now called 'dspm'" in plan.notes[0]


def test_bad_input_is_refused_before_any_job(tiny_bids, in_tmp):
    with pytest.raises(BadInput, match="tfmxne.alpah is not a configuration key"):
        _plan(tiny_bids, tfmxne={"alpah": 1})
    with pytest.raises(ValueError, match=r"conditions \(trial_type\) of sub-01 task-tiny \['nope'\] not found"):
        _plan(tiny_bids, conditions=["nope"])
    with pytest.raises(BadInput, match="group.enabled is true but the sources have no common space"):
        _plan(tiny_bids, group={"enabled": True}, forward={"source": "precomputed", "fname": "x-{subject}.fif"})


def test_a_job_reads_the_hosts_scan(tiny_bids, in_tmp, monkeypatch):
    """A job's parse (on_host False) does not scan the dataset again, nor check it."""
    from tfmxne_workflow import dataset
    from tfmxne_workflow.plan import checks

    host = _plan(tiny_bids)

    def refuse(*args, **kwargs):
        raise AssertionError("a job scanned or checked the dataset")

    for module, name in ((dataset, "scan_study"), (checks, "check_raw_files"), (checks, "check_channels")):
        monkeypatch.setattr(module, name, refuse)
    job = make_plan({"bids_root": str(tiny_bids), "task": "tiny"}, REPO, on_host=False)
    assert job.study == host.study
