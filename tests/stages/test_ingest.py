"""Ingestion: runs -> filtered epochs -> one evoked per condition (tfmxne_workflow.stages.ingest)."""
import numpy as np
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
