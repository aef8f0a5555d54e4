"""The sources table's stability columns from the resamples (stages.stability)."""

import numpy as np
import pytest

from tfmxne_workflow.stages import stability


def _record():
    """Two candidates, four resamples: the first confirmed 3 times, the second never."""
    times = np.linspace(-0.1, 0.4, 51)
    amplitude = np.full((2, 4, len(times)), np.nan)
    for b, (peak, height) in enumerate([(0.10, 10e-9), (0.12, 12e-9), (0.30, 20e-9)]):
        amplitude[0, b] = height * np.exp(-((times - peak) / 0.02) ** 2)
    distance = np.full((2, 4), np.nan)
    distance[0, :3] = [0.001, 0.004, 0.002]
    info = {"vertices": [np.array([11]), np.array([7])], "stability": np.array([0.75, 0.0]),
            "kept": np.array([True, False]), "distance": distance, "amplitude": amplitude}
    return stability.resamples_record(info, times)


def test_columns_are_the_confirming_resamples_percentiles_in_the_window():
    table = stability.source_columns(_record(), window=(0.0, 0.2))
    first = table.loc[("lh", 11)]
    assert first["stability"] == 0.75
    assert first["position_ci_mm"] == pytest.approx(np.percentile([1.0, 4.0, 2.0], 95))
    # the 0.30 s peak lies outside the window: that resample's peak is the window's largest value
    low, high = np.percentile([0.10, 0.12, 0.20], [2.5, 97.5])
    assert first["peak_time_ci_low_s"] == pytest.approx(low, abs=1e-9)
    assert first["peak_time_ci_high_s"] == pytest.approx(high, abs=1e-9)
    third = 20.0 * np.exp(-((0.2 - 0.3) / 0.02) ** 2)  # its largest value inside the window
    low, high = np.percentile([10.0, 12.0, third], [2.5, 97.5])
    assert first["amplitude_ci_low_nAm"] == pytest.approx(low, rel=1e-3)
    assert first["amplitude_ci_high_nAm"] == pytest.approx(high, rel=1e-3)
    second = table.loc[("rh", 7)]
    assert second["stability"] == 0.0 and np.isnan(second[stability.COLUMNS[1:]].astype(float)).all()


def test_no_stability_selection_gives_an_empty_record():
    record = stability.resamples_record(None, np.linspace(0, 1, 5))
    assert stability.source_columns(record, (0, 1)).empty


def test_the_record_survives_its_file(tmp_path):
    from tfmxne_workflow import atomic

    fname = tmp_path / "x_resamples.npz"
    atomic.save_npz(fname, _record())
    back = stability.read_resamples(fname)
    for key, value in _record().items():
        np.testing.assert_array_equal(back[key], value)


def _epochs(n_epochs=40, seed=0):
    """``n_epochs`` trials of a signal plus noise of a different level per channel (EEG and MEG)."""
    import mne

    rng = np.random.default_rng(seed)
    info = mne.create_info(["EEG1", "EEG2", "MEG1"], 100.0, ["eeg", "eeg", "mag"])
    info["bads"] = ["EEG2"]
    times = np.arange(-20, 60) / 100.0
    scale = np.array([[1e-6], [2e-6], [1e-13]])
    data = scale * (np.sin(2 * np.pi * 8 * times) + rng.standard_normal((n_epochs, 3, len(times))))
    return mne.EpochsArray(data, info, tmin=times[0], baseline=(None, 0), verbose="error")


def test_trial_halves_are_halves_on_the_evoked_channels_and_times():
    epochs = _epochs()
    # as the solve gets it: the average, channels reordered, cropped to the solve window
    evoked = epochs.average(picks="all").reorder_channels(["MEG1", "EEG1", "EEG2"]).crop(-0.1, 0.3)
    halves = stability.trial_halves(epochs, evoked, 2000, random_state=0)
    assert halves.shape == (2000, 3, len(evoked.times))
    # over many halves their mean is the evoked and, drawn without replacement, the variance of
    # an average of n/2 of n trials about the whole average is S^2 / n (S^2 over the trials)
    scale = np.abs(evoked.data).max(axis=1, keepdims=True)  # per channel: EEG and MEG alike
    np.testing.assert_allclose(halves.mean(axis=0) / scale, evoked.data / scale, atol=0.02)
    trials = epochs.copy().crop(-0.1, 0.3).get_data(picks=evoked.ch_names)
    expected = trials.var(axis=0, ddof=1) / len(epochs)
    ratio = ((halves - evoked.data) ** 2).mean(axis=0) / expected
    assert ratio.mean() == pytest.approx(1.0, abs=0.03), ratio.mean()
    assert np.allclose(ratio, 1.0, atol=0.2)  # each channel and time
    np.testing.assert_array_equal(stability.trial_halves(epochs, evoked, 3, random_state=1),
                                  stability.trial_halves(epochs, evoked, 3, random_state=1))


def test_too_few_trials_or_another_average_resample_the_noise(caplog):
    caplog.set_level("INFO")
    epochs = _epochs(n_epochs=3)
    assert stability.trial_halves(epochs, epochs.average(), 5, 0) is None
    assert "fewer than 4" in caplog.text
    epochs = _epochs()
    assert stability.trial_halves(epochs[:-1], epochs.average(), 5, 0) is None
    assert "not the average" in caplog.text
