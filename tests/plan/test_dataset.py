"""Dataset enumeration and condition labels (tfmxne_workflow.dataset)."""
import pytest

from tfmxne_workflow import dataset


@pytest.mark.parametrize(("trial_type", "label"), [
    ("auditory/left", "auditoryLeft"),
    ("Left visual", "LeftVisual"),
    ("face", "face"),
    ("a-b_c 2", "aBC2"),
])
def test_safe_label(trial_type, label):
    assert dataset.safe_label(trial_type) == label


def test_safe_label_rejects_symbols_only():
    with pytest.raises(ValueError, match="no letters or digits"):
        dataset.safe_label("//")


def test_condition_labels_are_unique_and_keep_the_mapping():
    labels = dataset.condition_labels(["a/b", "a b", "aB"])
    assert labels == {"aB": "a/b", "aB2": "a b", "aB3": "aB"}


def test_find_recordings_lists_runs_in_order(tiny_bids):
    (rec,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    assert (rec.subject, rec.session, rec.ses) == ("01", None, "")
    assert [f.name for f in rec.raw_files] == [
        "sub-01_task-tiny_run-01_meg.fif", "sub-01_task-tiny_run-02_meg.fif"]
    assert dataset.read_trial_types(rec.raw_files) == sorted(["auditory/left", "Left visual"])
    assert dataset.events_tsv(rec.raw_files[0]).is_file()
    assert dataset.channels_tsv(rec.raw_files[0]).is_file()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"task": "nope"}, r"task 'nope' not found.*'tiny'"),
    ({"subjects": ["99"]}, r"subjects \['99'\] not found.*'01'"),
])
def test_find_recordings_names_what_is_missing(tiny_bids, kwargs, message):
    args = {"task": "tiny", "datatype": "meg", **kwargs}
    with pytest.raises(ValueError, match=message):
        dataset.find_recordings(tiny_bids, **args)


def test_find_recordings_needs_a_bids_root(tmp_path):
    with pytest.raises(ValueError, match="not a BIDS dataset"):
        dataset.find_recordings(tmp_path, "tiny", "meg")


def test_select_conditions(tiny_bids):
    available = ["Left visual", "auditory/left"]
    assert dataset.select_conditions("all", available, "x") == available
    with pytest.raises(ValueError, match=r"\['tone'\] not found"):
        dataset.select_conditions(["tone"], available, "x")
    with pytest.raises(ValueError, match="No events"):
        dataset.select_conditions("all", [], "x")


def test_sessions_are_enumerated_and_selected(tmp_path):
    from conftest import write_tiny_bids

    root = write_tiny_bids(tmp_path / "bids", subjects=("01", "02"), runs=(None,), sessions=("a", "b"))
    recordings = dataset.find_recordings(root, "tiny", "meg")
    assert [(r.subject, r.ses) for r in recordings] == [
        ("01", "_ses-a"), ("01", "_ses-b"), ("02", "_ses-a"), ("02", "_ses-b")]
    chosen = dataset.find_recordings(root, "tiny", "meg", subjects=["02"], sessions=["b"])
    assert [(r.subject, r.session) for r in chosen] == [("02", "b")]
    with pytest.raises(ValueError, match=r"sessions of sub-01 \['c'\] not found"):
        dataset.find_recordings(root, "tiny", "meg", sessions=["c"])
