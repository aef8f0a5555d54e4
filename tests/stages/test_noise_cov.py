"""Empty-room noise covariance (tfmxne_workflow.stages.noise_cov, dataset.empty_room_file)."""
import mne
import numpy as np
import pytest
from conftest import write_tiny_bids

from tfmxne_workflow import dataset
from tfmxne_workflow.stages import ingest, noise_cov


@pytest.fixture()
def bids_with_empty_room(tmp_path):
    from mne_bids import BIDSPath, write_raw_bids

    root = write_tiny_bids(tmp_path / "bids", runs=("01",))
    run = dataset.find_recordings(root, "tiny", "meg")[0].raw_files[0]
    raw = ingest.read_raw(run)
    er = mne.io.RawArray(1e-13 * np.random.default_rng(0).standard_normal((4, 2000)),
                         mne.pick_info(raw.info, mne.pick_types(raw.info, meg=True)), verbose="error")
    er.set_meas_date(raw.info["meas_date"])
    date = raw.info["meas_date"].strftime("%Y%m%d")
    bp = BIDSPath(subject="emptyroom", session=date, task="noise", datatype="meg", root=root)
    write_raw_bids(er, bp, format="FIF", allow_preload=True, overwrite=True, verbose="error")
    return root, run


def test_empty_room_is_found_and_used(bids_with_empty_room):
    root, run = bids_with_empty_room
    er_file = dataset.empty_room_file(run)
    assert "sub-emptyroom" in str(er_file)
    epochs = ingest.make_epochs([run], {"face": "Left visual"}, ch_types=["meg"], l_freq=1.0,
                                 h_freq=None, tmin=-0.2, tmax=0.5, baseline=(None, 0), reject=None)
    cov = noise_cov.empty_room_covariance(er_file, epochs.info, l_freq=1.0, h_freq=None)
    assert cov.ch_names == epochs.ch_names


def test_empty_room_refuses_eeg(bids_with_empty_room):
    root, run = bids_with_empty_room
    info = ingest.read_raw(run).info
    with pytest.raises(ValueError, match="MEG sensors only"):
        noise_cov.empty_room_covariance(dataset.empty_room_file(run), info, l_freq=1.0, h_freq=None)


def test_missing_empty_room_is_named(tiny_bids):
    run = dataset.find_recordings(tiny_bids, "tiny", "meg")[0].raw_files[0]
    with pytest.raises(ValueError, match="no empty-room recording"):
        dataset.empty_room_file(run)
