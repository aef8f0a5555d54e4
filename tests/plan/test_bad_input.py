"""Bad input is refused with one message naming the culprit and the fix (unit level).

The same cases through the workflow (exit status, console, nothing written) are in
tests/workflow/test_bad_input_workflow.py.
"""
import json
import logging
import os
import shutil

import mne
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPEATED_EVENTS, REPO
from mne.io.constants import FIFF

from tfmxne_workflow import dataset
from tfmxne_workflow.errors import BadInput, exit_on_bad_input
from tfmxne_workflow.plan import checks, make_plan
from tfmxne_workflow.plan import config as plan_config
from tfmxne_workflow.dataset import Recording
from tfmxne_workflow.stages import forward, ingest, noise_cov

SCHEMA = plan_config.load_schema(plan_config.SCHEMA)
#: The keys without a default (the schema's ``required``).
STUDY = {"bids_root": "bids", "task": "x"}


def config_error(config, study=STUDY) -> str:
    with pytest.raises(BadInput) as info:
        plan_config.check_config({**study, **config}, SCHEMA)
    return str(info.value)


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------

def test_a_renamed_section_is_read_under_its_new_name_with_a_note():
    resolved, notes = plan_config.resolve({**STUDY, "prior": {"snr": 2.0}, "dspm": {"snr": 5.0, "depth": 0.5}})
    assert resolved["dspm"]["snr"] == 2.0 and resolved["dspm"]["depth"] == 0.5 and "prior" not in resolved
    assert notes == ["the configuration section 'prior' is now called 'dspm'; rename it in your "
                     "--configfile ('prior' is read as 'dspm' for now)"]
    assert "dspm.loose = 7 is not allowed" in config_error(plan_config.renamed({"prior": {"loose": 7}})[0])
    assert plan_config.resolve(STUDY)[1] == []


def test_valid_configs_pass():
    plan_config.check_config(STUDY, SCHEMA)
    for path in ("config.yaml", "workflow/demo/config.yaml"):
        plan_config.check_config(yaml.safe_load((REPO / path).read_text()), SCHEMA)
    plan_config.check_config({**STUDY, "tfmxne": {"alpha": "sure", "n_tfmxne_iter": 1, "wsize": [16, 64],
                                                "tstep": [4, 16]}}, SCHEMA)


BIDS_ROOT_REQUIRED = "bids_root is required (it has no default): Root of the BIDS dataset (holds dataset_description.json)."
TASK_REQUIRED = "task is required (it has no default): BIDS task label."


@pytest.mark.parametrize(("config", "problems"), [
    ({}, [BIDS_ROOT_REQUIRED, TASK_REQUIRED]),
    ({"task": "x"}, [BIDS_ROOT_REQUIRED]),
    ({"bids_root": "bids", "tfmxne": {"maxit": 2.5}},
     [TASK_REQUIRED, "tfmxne.maxit = 2.5 is not allowed; expected an integer >= 1"]),
])
def test_a_required_key_left_out_is_named_with_the_file_to_start_from(config, problems):
    lines = config_error(config, study={}).splitlines()
    assert lines[1:-1] == [f"  - {problem}" for problem in problems]
    assert lines[-1].startswith("Fix it in your --configfile (start from a copy of config.yaml)")


@pytest.mark.parametrize(("config", "message"), [
    ({"tfmxne": {"alpah": 3}}, "tfmxne.alpah is not a configuration key; did you mean 'alpha'?"),
    ({"bids_rot": "x"}, "bids_rot is not a configuration key; did you mean 'bids_root'?"),
    ({"preprocessing": {"rejct": None}}, "preprocessing.rejct is not a configuration key; did you mean 'reject'?"),
    ({"crop": {"zzz": 1}}, "crop.zzz is not a configuration key; the keys of crop are: tmin, tmax"),
])
def test_unknown_key_is_named_with_a_suggestion(config, message):
    text = config_error(config)
    assert message in text
    assert "Fix it in your --configfile" in text


@pytest.mark.parametrize(("config", "message"), [
    ({"tfmxne": {"l1_ratio": "high"}}, "tfmxne.l1_ratio = 'high' is not allowed; expected a number >= 0 and <= 1"),
    ({"tfmxne": {"maxit": 2.5}}, "tfmxne.maxit = 2.5 is not allowed; expected an integer >= 1"),
    ({"subjects": "01"}, "subjects = '01' is not allowed; expected 'all', or a list of strings"),
    ({"tfmxne": 3}, "tfmxne = 3 is not allowed; expected a mapping"),
])
def test_wrong_type(config, message):
    assert message in config_error(config)


@pytest.mark.parametrize("alpha", [100, 150.0, -1, "SURE"])
def test_alpha_out_of_range(alpha):
    assert (f"tfmxne.alpha = {alpha!r} is not allowed; expected a number >= 0 and < 100, or one of "
            "'noise', 'sure', 'auto'" in config_error({"tfmxne": {"alpha": alpha}}))


@pytest.mark.parametrize(("config", "message"), [
    ({"tfmxne": {"l1_ratio": 1.5}}, "tfmxne.l1_ratio = 1.5 is not allowed; expected a number >= 0 and <= 1"),
    ({"tfmxne": {"l1_ratio": -0.1}}, "tfmxne.l1_ratio = -0.1 is not allowed"),
    ({"tfmxne": {"loose": 2}}, "tfmxne.loose = 2 is not allowed; expected a number >= 0 and <= 1"),
    ({"dspm": {"loose": -1}}, "dspm.loose = -1 is not allowed; expected a number >= 0 and <= 1 or null"),
    ({"tfmxne": {"wsize": 6}}, "tfmxne.wsize = 6 is not allowed; expected an integer >= 4 and a multiple of 4"),
    ({"tfmxne": {"tstep": 3}}, "tfmxne.tstep = 3 is not allowed; expected an integer >= 2 and a multiple of 2"),
])
def test_out_of_range(config, message):
    assert message in config_error(config)


@pytest.mark.parametrize(("tfmxne", "message"), [
    ({"wsize": 16, "tstep": 6}, "tfmxne.tstep 6 does not fit tfmxne.wsize 16: the hop must divide the window "
                                "and be at most half of it (for wsize 16: 2, 4, 8)"),
    ({"wsize": 16, "tstep": 16}, "tfmxne.tstep 16 does not fit tfmxne.wsize 16"),
    ({"wsize": [16, 32], "tstep": [4]}, "tfmxne.wsize [16, 32] and tfmxne.tstep [4] must both be numbers or "
                                        "lists of the same length"),
    ({"wsize": [16, 32], "tstep": 4}, "must both be numbers or lists of the same length"),
    ({"n_tfmxne_iter": 10}, "tfmxne.alpha: auto needs tfmxne.n_tfmxne_iter: 1 (it is 10)"),
    ({"n_tfmxne_iter": 10, "alpha": "sure"}, "tfmxne.alpha: sure needs tfmxne.n_tfmxne_iter: 1"),
])
def test_stft_and_alpha_rules(tfmxne, message):
    assert message in config_error({"tfmxne": tfmxne})


@pytest.mark.parametrize(("config", "message"), [
    ({"crop": {"tmin": 0.2, "tmax": 0.1}}, "crop.tmin (0.2 s) must be before crop.tmax (0.1 s)"),
    ({"crop": {"tmin": -0.3}}, "the reported window crop.tmin..tmax (-0.3..0.3 s) must lie inside the solve "
                               "window tfmxne.tmin..tmax (-0.1..0.4 s)"),
    ({"crop": {"tmax": 0.45}}, "must lie inside the solve window"),
    ({"tfmxne": {"tmax": 0.6}}, "the solve window tfmxne.tmin..tmax (-0.1..0.6 s) must lie inside the epoch "
                                "preprocessing.tmin..tmax (-0.2..0.5 s)"),
    ({"tfmxne": {"tmin": 0.3, "tmax": 0.2}}, "tfmxne.tmin (0.3 s) must be before tfmxne.tmax (0.2 s)"),
    ({"preprocessing": {"baseline": [0.1, 0.0]}}, "preprocessing.baseline [0.1, 0.0] must be an interval"),
    ({"noise_cov": {"tmax": -0.3}}, "noise_cov.tmax (-0.3 s) must be after preprocessing.tmin (-0.2 s)"),
    ({"preprocessing": {"l_freq": 40.0, "h_freq": 30.0}}, "preprocessing.l_freq (40 Hz) must be below"),
    ({"forward": {"source": "precomputed"}}, "forward.source is 'precomputed' but forward.fname is not set"),
    ({"forward": {"source": "freesurfer"}}, "forward.source is 'freesurfer' but forward.subjects_dir is not set"),
])
def test_windows_and_options_across_keys(config, message):
    assert message in config_error(config)


def test_several_problems_are_listed_in_one_message():
    text = config_error({"tfmxne": {"alpha": 150, "l1_ratio": 2}})
    assert text.startswith("the configuration has 2 problems:")
    assert "tfmxne.alpha = 150" in text and "tfmxne.l1_ratio = 2" in text


def test_exit_on_bad_input_exits_with_the_message():
    with pytest.raises(SystemExit) as info:
        with exit_on_bad_input():
            raise BadInput("bids_root 'x' does not exist")
    assert info.value.code == "Error: bids_root 'x' does not exist"


# --------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------

def test_bids_root_missing_or_not_bids(tmp_path):
    with pytest.raises(ValueError, match=r"bids_root '.*nope' does not exist .*set bids_root"):
        dataset.find_recordings(tmp_path / "nope", "tiny", "meg")
    with pytest.raises(ValueError, match="is not a BIDS dataset \\(no dataset_description.json\\)"):
        dataset.find_recordings(tmp_path, "tiny", "meg")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"task": "nope"}, "task 'nope' not found in the dataset; it has tasks: ['tiny']; set task to one of these"),
    ({"subjects": ["99"]}, "subjects ['99'] not found in the dataset; it has subjects: ['01']; set subjects"),
    ({"sessions": ["x"]}, "sessions of sub-01 ['x'] not found in the dataset; it has sessions of sub-01: []"),
    ({"datatype": "eeg"}, "No eeg recordings of task 'tiny'"),
])
def test_unknown_task_subject_session(tiny_bids, kwargs, message):
    args = {"task": "tiny", "datatype": "meg", **kwargs}
    with pytest.raises(ValueError) as info:
        dataset.find_recordings(tiny_bids, **args)
    assert message in str(info.value)


def test_unknown_condition_and_no_events():
    with pytest.raises(ValueError) as info:
        dataset.select_conditions(["tone"], ["Left visual", "auditory/left"], "sub-01 task-tiny")
    assert ("conditions (trial_type) of sub-01 task-tiny ['tone'] not found in the dataset; it has conditions "
            "(trial_type) of sub-01 task-tiny: ['Left visual', 'auditory/left']; set conditions" in str(info.value))
    with pytest.raises(ValueError, match=r"No events found for sub-01 task-tiny: no \*_events.tsv"):
        dataset.select_conditions("all", [], "sub-01 task-tiny")


def _recording_with_channels(tmp_path, rows):
    raw_file = tmp_path / "sub-01_task-x_run-01_meg.fif"
    raw_file.write_bytes(b"x")
    lines = ["name\ttype\tstatus"] + ["\t".join(r) for r in rows]
    (tmp_path / "sub-01_task-x_run-01_channels.tsv").write_text("\n".join(lines) + "\n")
    return Recording("01", None, [raw_file])


def test_requested_channel_type_absent(tmp_path):
    rec = _recording_with_channels(tmp_path, [("EEG1", "EEG", "good"), ("MEG0111", "MEGMAG", "good")])
    checks.check_channels([rec], None)
    checks.check_channels([rec], ["meg"])
    with pytest.raises(BadInput) as info:
        checks.check_channels([rec], ["grad", "eeg"])
    assert ("channel types ['grad'] requested (preprocessing.ch_types) but sub-01_task-x_run-01_channels.tsv "
            "of sub-01 has only ['mag', 'eeg']; set preprocessing.ch_types to some of ['mag', 'eeg']"
            in str(info.value))


def test_all_channels_bad(tmp_path):
    rec = _recording_with_channels(tmp_path, [("EEG1", "EEG", "bad"), ("EEG2", "EEG", "bad"),
                                             ("MEG0111", "MEGMAG", "good"), ("STI", "TRIG", "good")])
    checks.check_channels([rec], None)
    with pytest.raises(BadInput, match=r"all 2 eeg channels are marked bad in .*channels.tsv; set the "
                                                r"status of the usable ones to 'good'"):
        checks.check_channels([rec], ["eeg"])


def test_missing_empty_or_unfetched_raw_file(tmp_path):
    empty = tmp_path / "empty_meg.fif"
    empty.touch()
    link = tmp_path / "annexed_meg.fif"
    os.symlink(tmp_path / ".git" / "annex" / "objects" / "xx", link)
    rec = Recording("01", None, [empty, link, tmp_path / "gone_meg.fif"])
    with pytest.raises(BadInput) as info:
        checks.check_raw_files([rec])
    text = str(info.value)
    assert text.startswith("raw data files are missing or empty:")
    assert "empty_meg.fif is empty (0 bytes); copy it again from its source" in text
    assert "annexed_meg.fif is a broken link (git-annex/DataLad content not retrieved?" in text
    assert "gone_meg.fif does not exist" in text


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_copy(tiny_bids, tmp_path_factory):
    """A copy of the tiny dataset (its files may be corrupted by the tests)."""
    return shutil.copytree(tiny_bids, tmp_path_factory.mktemp("tiny_copy") / "bids")


def test_truncated_fif_is_named(tiny_copy):
    raw_file = tiny_copy / "sub-01" / "meg" / "sub-01_task-tiny_run-02_meg.fif"
    with open(raw_file, "r+b") as f:
        f.truncate(50_000)
    with pytest.raises(ValueError) as info:
        ingest.read_raw(raw_file)
    assert (f"The raw file {raw_file} is truncated or corrupt (MNE: Invalid tag with only" in str(info.value))
    assert "copy it again from its source" in str(info.value)


def test_unreadable_raw_file_is_named(tiny_copy):
    raw_file = tiny_copy / "sub-01" / "meg" / "sub-01_task-tiny_run-02_meg.fif"
    raw_file.write_bytes(b"")
    with pytest.raises(ValueError, match=r"Could not read the raw file .*run-02_meg.fif: .*corrupt or truncated"):
        ingest.read_raw(raw_file)
    raw_file.unlink()
    with pytest.raises(ValueError, match=r"run-02_meg.fif does not exist"):
        ingest.read_raw(raw_file)


def _sphere_forward(info, fname, subject=None):
    sphere = mne.make_sphere_model("auto", "auto", info, verbose="error")
    src = mne.setup_volume_source_space(pos=30.0, sphere=sphere, verbose="error")
    src[0]["subject_his_id"] = subject
    fwd = mne.make_forward_solution(info, trans=None, src=src, bem=sphere, meg=False, eeg=True, verbose="error")
    mne.write_forward_solution(fname, fwd, overwrite=True, verbose="error")
    return fname


@pytest.fixture(scope="module")
def eeg_forwards(tiny_bids, tmp_path_factory):
    """EEG-only sphere-model forwards for sub-01 of the tiny dataset (one labelled sub-02)."""
    folder = tmp_path_factory.mktemp("fwd")
    (rec,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    info = ingest.read_raw(rec.raw_files[0]).info
    (folder / "other").mkdir()
    return {
        "rec": rec,
        "own": _sphere_forward(info, folder / "sub-01-fwd.fif", "sub-01"),
        "other": _sphere_forward(info, folder / "other" / "sub-01-fwd.fif", "sub-02"),
        "folder": folder,
    }


def test_precomputed_forward_resolving_to_nothing(eeg_forwards):
    pattern = str(eeg_forwards["folder"] / "nothing" / "sub-{subject}-fwd.fif")
    with pytest.raises(BadInput) as info:
        checks.check_precomputed_forwards(pattern, [eeg_forwards["rec"]], None)
    assert (f"forward.source is 'precomputed' but forward.fname {pattern!r} resolves to no file for:\n"
            f"  - sub-01: {eeg_forwards['folder']}/nothing/sub-01-fwd.fif" in str(info.value))


def test_precomputed_forward_lacking_channels(eeg_forwards):
    pattern = str(eeg_forwards["folder"] / "sub-{subject}-fwd.fif")
    checks.check_precomputed_forwards(pattern, [eeg_forwards["rec"]], ["eeg"])
    with pytest.raises(BadInput) as info:
        checks.check_precomputed_forwards(pattern, [eeg_forwards["rec"]], None)
    assert ("sub-01-fwd.fif lacks 4 channel(s) that sub-01 has: MEG0111, MEG0121, MEG0131, MEG0141; recompute the "
            "forward with this recording's sensors" in str(info.value))


def test_precomputed_forward_of_another_subject(eeg_forwards):
    pattern = str(eeg_forwards["folder"] / "other" / "sub-{subject}-fwd.fif")
    with pytest.raises(BadInput, match=r"was computed for sub-02, not sub-01; check the \{subject\} part"):
        checks.check_precomputed_forwards(pattern, [eeg_forwards["rec"]], ["eeg"])
    with pytest.raises(ValueError, match=r"computed for subject 'sub-02', not sub-01"):
        forward.read_precomputed(eeg_forwards["other"], "01")


def test_forward_channels_against_the_data(eeg_forwards):
    fwd = mne.read_forward_solution(eeg_forwards["own"], verbose="error")
    info = ingest.read_raw(eeg_forwards["rec"].raw_files[0]).info
    with pytest.raises(ValueError, match=r"lacks 4 channel\(s\) of the data: MEG0111, MEG0121, MEG0131, MEG0141"):
        forward.check_forward_channels(fwd, info)
    forward.check_forward_channels(fwd, mne.pick_info(info, mne.pick_types(info, meg=False, eeg=True)))


def test_freesurfer_subject_missing(tmp_path):
    (tmp_path / "sub-01").mkdir()
    checks.check_freesurfer(tmp_path, "sub-{subject}", ["01"], None, [])
    with pytest.raises(BadInput, match=r"FreeSurfer subject\(s\) \['sub-02'\] not found .* it has: \['sub-01'\]"):
        checks.check_freesurfer(tmp_path, "sub-{subject}", ["01", "02"], None, [])
    with pytest.raises(BadInput, match="forward.subjects_dir '.*nope' does not exist"):
        checks.check_freesurfer(tmp_path / "nope", "sub-{subject}", ["01"], None, [])


# --------------------------------------------------------------------------------------
# EEG positions and repeated events (found before any job)
# --------------------------------------------------------------------------------------

@pytest.fixture
def plan_of(tmp_path, monkeypatch):
    """make_plan of the tiny task of a dataset, run in a fresh folder (it keeps its scan there)."""
    monkeypatch.chdir(tmp_path)
    return lambda bids, **config: make_plan({"bids_root": str(bids), "task": "tiny", **config}, REPO)


def test_eeg_without_positions_is_named_with_the_montage_fix(unplaced_bids, plan_of):
    with pytest.raises(BadInput) as info:
        plan_of(unplaced_bids)
    assert str(info.value) == (
        "18 good EEG channel(s) of sub-01 (sub-01_task-tiny_run-01_meg.fif) have no position: Fp1, Fp2, F7, "
        "F3, Fz, F4, F8, T7, C3, Cz and 8 more; the forward model needs them: set preprocessing.montage to "
        "the cap's layout (one of MNE's built-in montages, e.g. colin27_1020 or colin27_1005), add their "
        "positions to the dataset (*_electrodes.tsv), or mark them bad in *_channels.tsv (status 'bad')")
    plan_of(unplaced_bids, preprocessing={"montage": "colin27_1020"})
    plan_of(unplaced_bids, preprocessing={"ch_types": ["meg"]})  # no EEG in the forward
    with pytest.raises(BadInput, match="forward.fname 'nowhere.fif' resolves to no file"):  # past the positions
        plan_of(unplaced_bids, forward={"source": "precomputed", "fname": "nowhere.fif"})


def test_eeg_channels_a_montage_lacks_are_named(tiny_bids, unplaced_bids):
    (rec,) = dataset.find_recordings(unplaced_bids, "tiny", "meg")
    with pytest.raises(BadInput) as info:
        checks.check_eeg_positions([rec], None, "biosemi16")
    assert str(info.value).startswith(
        "4 good EEG channel(s) of sub-01 (sub-01_task-tiny_run-01_meg.fif) have no position: F7, F8, P7, P8; "
        "preprocessing.montage 'biosemi16' does not have them: set it to the montage of the cap, or mark them "
        "bad in *_channels.tsv")
    checks.check_eeg_positions([rec], ["mag"], "biosemi16")
    (placed,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    checks.check_eeg_positions([placed], None, None)
    with pytest.raises(BadInput, match="montage 'biosemi16' does not have them"):  # the montage replaces them
        checks.check_eeg_positions([placed], None, "biosemi16")
    with pytest.raises(BadInput, match=r"preprocessing.montage 'standard-1020' is not one of MNE's built-in "
                                       r"montages; set it to one of .*colin27_1020, "):
        checks.check_eeg_positions([rec], None, "standard-1020")


def test_eeg_positions_from_electrodes_tsv(tiny_bids, unplaced_bids, tmp_path):
    """mne-bids takes the positions of an *_electrodes.tsv over the file's: so does the check."""
    folder = shutil.copytree(unplaced_bids / "sub-01" / "meg", tmp_path / "sub-01" / "meg")
    info = ingest.read_raw(tiny_bids / "sub-01" / "meg" / "sub-01_task-tiny_run-01_meg.fif").info
    rows = [[ch["ch_name"], *ch["loc"][:3]] for ch in info["chs"] if ch["kind"] == FIFF.FIFFV_EEG_CH]
    coordsystem = folder / "sub-01_coordsystem.json"
    coordsystem.write_text(json.dumps({**json.loads(coordsystem.read_text()), "EEGCoordinateSystem": "ElektaNeuromag",
                                       "EEGCoordinateUnits": "m"}))
    rec = Recording("01", None, [folder / "sub-01_task-tiny_run-01_meg.fif"])
    electrodes = pd.DataFrame(rows, columns=["name", "x", "y", "z"]).astype(str)
    electrodes.to_csv(folder / "sub-01_electrodes.tsv", sep="\t", index=False)
    checks.check_eeg_positions([rec], None, None)
    electrodes.loc[electrodes["name"] == "Fz", ["x", "y", "z"]] = "n/a"
    electrodes.to_csv(folder / "sub-01_electrodes.tsv", sep="\t", index=False)
    with pytest.raises(BadInput, match=r"1 good EEG channel\(s\) of sub-01 \(.*\) have no position: Fz; "):
        checks.check_eeg_positions([rec], None, None)


def test_eeg_positions_without_channels_tsv(unplaced_bids, tmp_path):
    folder = shutil.copytree(unplaced_bids / "sub-01" / "meg", tmp_path / "sub-01" / "meg")
    for tsv in folder.glob("*_channels.tsv"):
        tsv.unlink()
    rec = Recording("01", None, [folder / "sub-01_task-tiny_run-01_meg.fif"])
    with pytest.raises(BadInput, match=r"good EEG channel\(s\) of sub-01 \(.*\) have no position: Fp1, Fp2, "):
        checks.check_eeg_positions([rec], None, None)
    checks.check_eeg_positions([rec], None, "colin27_1020")


def test_repeated_events_are_named_with_the_event_repeated_fix(repeated_bids, plan_of):
    with pytest.raises(BadInput) as info:
        plan_of(repeated_bids)
    assert str(info.value) == (
        "sub-01 (sub-01_task-tiny_run-02_events.tsv) has 1 sample(s) with more than one event of the analysed "
        "conditions: 3.000 s (auditory/left, Left visual); an epoch needs one event per sample: set "
        "preprocessing.event_repeated to 'drop' (keep the first event of each sample) or 'merge' (one epoch, "
        "counted in each of its conditions), or remove the repeated rows from the events.tsv")
    plan_of(repeated_bids, preprocessing={"event_repeated": "drop"})
    plan_of(repeated_bids, conditions=["Left visual"])  # one of them is not analysed


@pytest.mark.parametrize(("onset", "repeated"), [("3.002", True), ("3.003", False)])
def test_events_are_repeated_when_they_round_to_one_sample(repeated_bids, tmp_path, onset, repeated):
    folder = shutil.copytree(repeated_bids / "sub-01" / "meg", tmp_path / "meg")
    tsv = folder / REPEATED_EVENTS.split("/")[-1]
    tsv.write_text(tsv.read_text().replace("3.0\t0.0\tLeft visual", f"{onset}\t0.0\tLeft visual"))
    raw_file = folder / "sub-01_task-tiny_run-02_meg.fif"
    found = dataset.repeated_events(raw_file, ["Left visual", "auditory/left"], "meg")  # 200 Hz: 2.5 ms
    assert found == ([(3.0, ["auditory/left", "Left visual"])] if repeated else [])


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------

def _raw(n_channels=6, bads=()):
    rng = np.random.default_rng(0)
    info = mne.create_info([f"EEG{i}" for i in range(n_channels)], 100.0, "eeg")
    raw = mne.io.RawArray(1e-6 * rng.standard_normal((n_channels, 1000)), info, verbose="error")
    raw.info["bads"] = list(bads)
    return raw


def test_nan_or_inf_names_the_channels():
    raw = _raw()
    raw._data[2, 10] = np.nan
    raw._data[4, 0] = np.inf
    with pytest.raises(ValueError, match=r"the data contain NaN or Inf values in 2 channel\(s\): EEG2, EEG4; "
                                         r"mark them bad in \*_channels.tsv \(status 'bad'\)"):
        ingest.check_data(raw)


def test_flat_channel_is_named():
    raw = _raw()
    raw._data[3] = 0.0
    with pytest.raises(ValueError, match=r"flat channel\(s\) \(no signal\): EEG3; mark them bad in"):
        ingest.check_data(raw)
    ingest.check_data(_raw(bads=["EEG3"]))  # a flat channel marked bad is fine
    raw.info["bads"] = ["EEG3"]
    ingest.check_data(raw)


def test_all_channels_bad_in_the_data():
    with pytest.raises(ValueError, match=r"all 6 channels are marked bad in \*_channels.tsv"):
        ingest.check_data(_raw(bads=[f"EEG{i}" for i in range(6)]))


def test_zero_epochs_names_the_condition_and_the_thresholds(tiny_bids):
    (rec,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    labels = {"LeftVisual": "Left visual"}
    with pytest.raises(ValueError) as info:
        ingest.make_epochs(rec.raw_files[:1], labels, ch_types=["eeg"], l_freq=None, h_freq=None, tmin=-0.2,
                            tmax=0.5, baseline=(None, 0.0), reject={"eeg": 1e-9})
    text = str(info.value)
    assert text.startswith("Condition(s) ['Left visual'] have no epochs left in ['sub-01_task-tiny_run-01_meg.fif'] "
                           "(epochs per condition: {'LeftVisual': 0})")
    assert "preprocessing.reject {'eeg': 1e-09} rejected them; raise the thresholds" in text


def test_rank_deficient_noise_covariance_is_reported(caplog):
    rng = np.random.default_rng(0)
    info = mne.create_info([f"EEG{i}" for i in range(20)], 100.0, "eeg")
    epochs = mne.EpochsArray(1e-6 * rng.standard_normal((2, 20, 30)), info, tmin=-0.2, verbose="error")
    with caplog.at_level(logging.WARNING, logger="tfmxne"):
        noise_cov.baseline_covariance(epochs, tmax=-0.15, method="empirical")
    assert "The noise covariance is rank deficient: rank" in caplog.text
    assert "estimated from 12 samples with method 'empirical'" in caplog.text
    with pytest.raises(ValueError, match=r"holds 1 sample\(s\); move noise_cov.tmax later"):
        noise_cov.baseline_covariance(epochs, tmax=-0.2)


def test_flat_channel_in_the_noise_covariance():
    rng = np.random.default_rng(0)
    info = mne.create_info([f"EEG{i}" for i in range(4)], 100.0, "eeg")
    data = 1e-6 * rng.standard_normal((10, 4, 30))
    data[:, 1] = 0.0
    epochs = mne.EpochsArray(data, info, tmin=-0.2, verbose="error")
    with pytest.raises(ValueError, match=r"zero variance for channel\(s\) \['EEG1'\]"):
        noise_cov.baseline_covariance(epochs, tmax=0.0, method="empirical")


# dspm.weights_min above the dSPM's maximum: tests/stages/test_solve_stage.py covers the fallback.
