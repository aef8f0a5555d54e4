"""Covariance files and evoked files as input (noise_cov.source: file, input.source: evoked): the checks before any job."""
import mne
import pytest

from tfmxne_workflow import dataset
from tfmxne_workflow.errors import BadInput
from tfmxne_workflow.plan import checks
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
