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
