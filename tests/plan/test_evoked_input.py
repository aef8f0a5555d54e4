"""Covariance files and evoked files as input (noise_cov.source: file, input.source: evoked): the checks before any job."""
import mne
import numpy as np
import pytest
from conftest import REPO, TINY_TRIAL_TYPES

from tfmxne_workflow import dataset
from tfmxne_workflow.errors import BadInput
from tfmxne_workflow.plan import checks, inputs, make_plan
from tfmxne_workflow.stages import ingest


@pytest.fixture(scope="module")
def tiny_cov(tiny_bids, tmp_path_factory):
    """The tiny dataset's recording and a folder of ad-hoc covariances of its channels."""
    folder = tmp_path_factory.mktemp("cov")
    (rec,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    cov = mne.make_ad_hoc_cov(ingest.read_raw(rec.raw_files[0]).info, verbose="error")
    cov.save(folder / "sub-01-cov.fif", verbose="error")
    mne.pick_channels_cov(cov, exclude=["Cz"], verbose="error").save(folder / "lacking-cov.fif", verbose="error")
    cov["bads"] = ["Fz"]
    cov.save(folder / "bad-cov.fif", verbose="error")
    return rec, folder


def test_noise_cov_file_that_fits_passes(tiny_cov):
    rec, folder = tiny_cov
    checks.check_noise_cov_files(str(folder / "sub-{subject}-cov.fif"), [rec], None)


def test_noise_cov_file_missing_names_the_pattern(tiny_cov):
    rec, folder = tiny_cov
    pattern = str(folder / "nothing" / "sub-{subject}-cov.fif")
    with pytest.raises(BadInput) as info:
        checks.check_noise_cov_files(pattern, [rec], None)
    assert (f"noise_cov.fname {pattern!r} resolves to no file for:\n  - sub-01: {folder}/nothing/sub-01-cov.fif\n"
            "Fix noise_cov.fname ({subject} and {session} are filled in)") in str(info.value)


@pytest.mark.parametrize("name, problem, channel", [("lacking", "lacks", "Cz"), ("bad", "marks as bad", "Fz")])
def test_noise_cov_file_not_covering_the_good_channels(tiny_cov, name, problem, channel):
    """A good channel the covariance lacks or marks bad is named; without EEG the file fits."""
    rec, folder = tiny_cov
    with pytest.raises(BadInput) as info:
        checks.check_noise_cov_files(str(folder / f"{name}-cov.fif"), [rec], None)
    assert (f"{name}-cov.fif (noise_cov.fname) {problem} 1 good channel(s) of sub-01: {channel}; give a covariance "
            "estimated on this recording's channels, or mark these channels bad in the data, or leave their type "
            "out of preprocessing.ch_types") in str(info.value)
    checks.check_noise_cov_files(str(folder / f"{name}-cov.fif"), [rec], ["meg"])


def test_noise_cov_file_is_taken_on_the_data_channels(tiny_cov):
    """The rule's covariance: the file's, on the data's channels in their order (T8: bad, not in the file)."""
    from tfmxne_workflow.stages import noise_cov

    rec, folder = tiny_cov
    info = ingest.read_raw(rec.raw_files[0]).info
    info = mne.pick_info(info, mne.pick_types(info, meg=False, eeg=True, exclude=[]))
    cov = noise_cov.covariance_from_file(folder / "sub-01-cov.fif", info)
    assert cov.ch_names == [ch for ch in info.ch_names if ch != "T8"]


# --------------------------------------------------------------------------------------
# input.source: evoked
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_evoked(tiny_bids, tiny_cov, tmp_path_factory):
    """A config reading sub-01's two evokeds (comments 'auditory/left', 'Left visual') and its covariance."""
    rec, cov_folder = tiny_cov
    folder = tmp_path_factory.mktemp("evoked")
    info = ingest.read_raw(rec.raw_files[0]).info
    rng = np.random.default_rng(0)
    evokeds = [mne.EvokedArray(1e-13 * rng.standard_normal((len(info.ch_names), 141)), info, tmin=-0.2,
                               comment=comment, nave=20) for comment in TINY_TRIAL_TYPES]
    mne.write_evokeds(folder / "sub-01-ave.fif", evokeds, verbose="error")
    return {"bids_root": str(folder), "task": "tiny", "subjects": ["01"],
            "input": {"source": "evoked", "evoked": str(folder / "sub-{subject}-ave.fif")},
            "noise_cov": {"source": "file", "fname": str(cov_folder / "sub-{subject}-cov.fif")},
            "forward": {"source": "precomputed", "fname": str(folder / "sub-{subject}-fwd.fif")}}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """make_plan keeps its scan in the working folder: a fresh one."""
    monkeypatch.chdir(tmp_path)


def _plan_error(config) -> str:
    with pytest.raises(ValueError) as info:
        make_plan(config, REPO)
    return str(info.value)


def test_evoked_input_conditions_are_the_comments(tiny_evoked):
    """Conditions are the evokeds' comments, labelled as trial types are; no epochs for stability selection."""
    config = {**tiny_evoked, "forward": {"source": "template"}}
    plan = make_plan(config, REPO)
    assert plan.evoked_input and list(plan.study.recordings) == [("01", "")]
    assert plan.study.labels == {"LeftVisual": "Left visual", "auditoryLeft": "auditory/left"}
    assert set(inputs.solve(plan, "01", "", "auditoryLeft")) == {"evoked", "fwd", "noise_cov"}
    assert inputs.noise_cov(plan, "01", "")["info"].endswith("sub-01_task-tiny_info.fif")


@pytest.mark.parametrize("change, message", [
    ({"subjects": "all"}, "subjects: all cannot be listed with input.source 'evoked' (there is no BIDS dataset to "
                          "list them from); set subjects to the labels filled into {subject} of input.evoked"),
    ({"noise_cov": {"source": "baseline"}}, "noise_cov.source 'baseline' needs raw data but input.source is "
                                            "'evoked'; set noise_cov.source: file and noise_cov.fname"),
    ({"input": {"source": "evoked"}}, "input.source is 'evoked' but input.evoked is not set; give the -ave.fif path"),
    ({"input": {"source": "evoked", "evoked": "/x/sub-{subject}_ses-{session}-ave.fif"}},
     "set sessions to the labels filled into its {session}"),
    ({"forward": {"source": "freesurfer", "subjects_dir": "/x"}}, "needs forward.trans (there are no BIDS landmarks"),
])
def test_evoked_input_config_names_the_fix(tiny_evoked, change, message):
    assert message in _plan_error({**tiny_evoked, **change})


def test_evoked_input_unknown_condition_names_the_comments(tiny_evoked):
    error = _plan_error({**tiny_evoked, "conditions": ["auditory/right"], "forward": {"source": "template"}})
    assert ("['auditory/right'] not found in the dataset; it has conditions (trial_type) of sub-01 (sub-01-ave.fif: "
            "its evokeds' comments): ['Left visual', 'auditory/left']; set conditions to some of these, or all") in error


def test_evoked_input_missing_file(tiny_evoked):
    error = _plan_error({**tiny_evoked, "subjects": ["01", "02"], "forward": {"source": "template"}})
    assert ("input.evoked {!r} resolves to no file for:\n  - sub-02: ".format(tiny_evoked["input"]["evoked"])
            in error and "Fix input.evoked ({subject} and {session} are filled in)" in error)


def test_evoked_input_covariance_checked_against_the_evoked_channels(tiny_evoked, tiny_cov):
    """The evoked file's header gives the good channels the covariance must cover (here Cz)."""
    folder = tiny_cov[1]
    error = _plan_error({**tiny_evoked, "forward": {"source": "template"},
                         "noise_cov": {"source": "file", "fname": str(folder / "lacking-cov.fif")}})
    assert "lacking-cov.fif (noise_cov.fname) lacks 1 good channel(s) of sub-01: Cz; give a covariance" in error


def test_evoked_condition_on_the_requested_channels(tiny_evoked):
    """Rule evoked_condition's evoked: the comment's, its ch_types only, with an EEG average reference."""
    from tfmxne_workflow.stages import evoked_input

    fname = tiny_evoked["input"]["evoked"].format(subject="01")
    evoked = evoked_input.read_condition(fname, "Left visual", ["eeg"])
    assert evoked.comment == "Left visual" and evoked.get_channel_types(unique=True) == ["eeg"]
    assert ingest.has_average_reference(evoked.info) and "T8" in evoked.info["bads"]
    assert evoked_input.measurement_info(fname, ["meg"]).get_channel_types(unique=True) == ["mag"]


def test_evoked_input_jobs_read_the_hosts_scan(tiny_evoked, monkeypatch):
    """A job's plan takes the comments the host read, without reading the evoked files."""
    from tfmxne_workflow.stages import evoked_input

    config = {**tiny_evoked, "forward": {"source": "template"}}
    host = make_plan(config, REPO)
    monkeypatch.setattr(evoked_input, "read_all", lambda fname: pytest.fail(f"a job read {fname}"))
    job = make_plan(config, REPO, on_host=False)
    assert job.study.conditions == host.study.conditions == {("01", ""): ["Left visual", "auditory/left"]}
