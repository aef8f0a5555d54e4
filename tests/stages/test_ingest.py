"""Ingestion: runs -> filtered epochs -> one evoked per condition (tfmxne_workflow.stages.ingest)."""
import shutil

import numpy as np
import pandas as pd
import pytest

from tfmxne_workflow import dataset
from tfmxne_workflow.stages import ingest, noise_cov

LABELS = {"LeftVisual": "Left visual", "auditoryLeft": "auditory/left"}
PREP = dict(ch_types=None, l_freq=1.0, h_freq=None, tmin=-0.2, tmax=0.5, baseline=(None, 0.0),
            reject={"eeg": 150e-6, "mag": 4e-12, "grad": 4e-10})


@pytest.fixture(scope="module")
def epochs(tiny_bids):
    (rec,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    return ingest.make_epochs(rec.raw_files, LABELS, **PREP)


def test_runs_are_concatenated_with_conditions_as_labels(epochs):
    assert set(epochs.event_id) == set(LABELS)
    # 22 events per run, alternating conditions, two runs
    assert len(epochs["LeftVisual"]) == 22 and len(epochs["auditoryLeft"]) == 22


def test_bads_from_channels_tsv_and_average_reference(epochs):
    assert epochs.info["bads"] == ["T8"]
    assert any("Average EEG reference" in p["desc"] for p in epochs.info["projs"])
    assert epochs.info["highpass"] == pytest.approx(1.0)
    assert epochs.info["lowpass"] == pytest.approx(epochs.info["sfreq"] / 2)


def test_evoked_per_condition_keeps_the_trial_type(epochs):
    evoked = ingest.make_evoked(epochs, "auditoryLeft", "auditory/left")
    assert evoked.comment == "auditory/left" and evoked.nave == 22


def test_baseline_covariance(epochs):
    cov = noise_cov.baseline_covariance(epochs, tmax=0.0, method="shrunk")
    n_good = len(epochs.ch_names) - len(epochs.info["bads"])
    assert cov.data.shape == (n_good, n_good)
    assert np.all(np.isfinite(cov.data))


def test_channel_type_selection(epochs):
    assert ingest.expand_ch_types(None, epochs.info) == ["mag", "eeg"]
    assert ingest.expand_ch_types(["meg"], epochs.info) == ["mag"]
    with pytest.raises(ValueError, match=r"\['grad'\] requested.*only \['mag', 'eeg'\]"):
        ingest.expand_ch_types(["grad"], epochs.info)


def test_measurement_info_is_unfiltered(tiny_bids):
    (rec,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    info = ingest.measurement_info(rec.raw_files[0], ["eeg"])
    assert info.get_channel_types(unique=True) == ["eeg"] and info["highpass"] == 0.0


def test_zero_epochs_after_rejection_is_named(tiny_bids):
    (rec,) = dataset.find_recordings(tiny_bids, "tiny", "meg")
    with pytest.raises(ValueError, match="No epochs|no epochs left"):
        ingest.make_epochs(rec.raw_files, LABELS, **{**PREP, "reject": {"eeg": 1e-9}})


def test_montage_gives_the_forward_and_the_epochs_positions(unplaced_bids):
    (rec,) = dataset.find_recordings(unplaced_bids, "tiny", "meg")
    with pytest.raises(ValueError, match=r"18 good EEG channel\(s\) of .*run-01_meg.fif have no position: Fp1, "
                                         r".*set preprocessing.montage"):
        ingest.measurement_info(rec.raw_files[0])
    info = ingest.measurement_info(rec.raw_files[0], montage="colin27_1020")
    assert len(info.ch_names) == 23 and not ingest.unplaced_eeg(info)
    epochs = ingest.make_epochs(rec.raw_files, LABELS, **PREP, montage="colin27_1020")
    assert not ingest.unplaced_eeg(epochs.info)
    assert ingest.measurement_info(rec.raw_files[0], ["meg"], montage="colin27_1020").ch_names[0] == "MEG0111"


def test_channels_the_montage_lacks_stop_the_forward_unless_bad(tiny_bids, tmp_path):
    bids = shutil.copytree(tiny_bids, tmp_path / "bids")
    (rec,) = dataset.find_recordings(bids, "tiny", "meg")
    with pytest.raises(ValueError, match=r"4 good EEG channel\(s\) of .* have no position: F7, F8, P7, P8; "
                                         r"preprocessing.montage 'biosemi16' does not have them"):
        ingest.measurement_info(rec.raw_files[0], montage="biosemi16")
    tsv = dataset.channels_tsv(rec.raw_files[0])
    channels = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False)
    channels.loc[channels["name"].isin(["F7", "F8", "P7", "P8"]), "status"] = "bad"
    channels.to_csv(tsv, sep="\t", index=False)
    info = ingest.measurement_info(rec.raw_files[0], montage="biosemi16")
    assert len(info.ch_names) == 23 - 4 and info["bads"] == ["T8"]  # the forward does not need bad channels


@pytest.mark.parametrize(("mode", "counts"), [("drop", (22, 22)), ("merge", (23, 22))])
def test_repeated_events_dropped_or_merged(repeated_bids, mode, counts):
    (rec,) = dataset.find_recordings(repeated_bids, "tiny", "meg")
    epochs = ingest.make_epochs(rec.raw_files, LABELS, **PREP, event_repeated=mode)
    assert (len(epochs["LeftVisual"]), len(epochs["auditoryLeft"])) == counts


def test_repeated_events_are_named_in_the_job(repeated_bids):
    (rec,) = dataset.find_recordings(repeated_bids, "tiny", "meg")
    with pytest.raises(ValueError, match=r"run-02_meg.fif has 1 sample\(s\) with more than one event of the "
                                         r"analysed conditions: 3.000 s \(auditory/left, Left visual\); .*"
                                         r"set preprocessing.event_repeated to 'drop'"):
        ingest.make_epochs(rec.raw_files, LABELS, **PREP)
