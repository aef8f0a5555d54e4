"""Each source's frequency and time-frequency extent from its time course (stages.spectra)."""
import numpy as np
import pytest

from tfmxne_simulation.localisation import gabor
from tfmxne_workflow.stages import spectra

WINDOW = (-0.05, 0.3)


def _times(sfreq):
    return np.arange(-0.1, 0.4 + 1e-9, 1 / sfreq)


@pytest.mark.parametrize("sfreq", [150.0, 600.0])
@pytest.mark.parametrize("freq", [4.0, 8.0, 11.0, 17.5, 22.0, 35.0, 40.0])
@pytest.mark.parametrize("cycles", [3, 5])
def test_a_burst_of_3_cycles_or_more_is_found_within_a_tenth_of_a_hertz(sfreq, freq, cycles):
    times = _times(sfreq)
    burst = spectra.source_bursts(gabor(times, freq, 0.15, cycles / freq)[np.newaxis], times, sfreq,
                                  3.0, 45.0, WINDOW)[0]
    assert burst["oscillatory"]
    assert burst["peak_frequency_hz"] == pytest.approx(freq, abs=0.1)
    assert burst["tf_fmin_hz"] <= freq <= burst["tf_fmax_hz"]
    assert burst["tf_tmin_s"] <= 0.15 <= burst["tf_tmax_s"]
    # the extent is a half-maximum box: a few Hz and tens of ms wide, not the whole map
    assert burst["tf_fmax_hz"] - burst["tf_fmin_hz"] <= 12 and burst["tf_tmax_s"] - burst["tf_tmin_s"] < 0.4


def test_the_extent_follows_the_burst():
    times = _times(600.0)
    short, long = (spectra.source_bursts(gabor(times, 20.0, 0.15, d)[np.newaxis], times, 600.0, 3.0, 45.0,
                                         WINDOW)[0] for d in (0.1, 0.3))
    assert long["tf_tmax_s"] - long["tf_tmin_s"] > short["tf_tmax_s"] - short["tf_tmin_s"]
    assert long["tf_fmax_hz"] - long["tf_fmin_hz"] < short["tf_fmax_hz"] - short["tf_fmin_hz"]


@pytest.mark.parametrize("width_s", [0.02, 0.05, 0.1])
def test_an_evoked_deflection_is_flagged_not_given_a_frequency(width_s):
    times = _times(300.0)
    bump = np.exp(-0.5 * ((times - 0.1) / width_s) ** 2)
    burst = spectra.source_bursts(bump[np.newaxis], times, 300.0, 3.0, 45.0, WINDOW)[0]
    assert burst["oscillatory"] is False
    assert all(np.isnan(burst[c]) for c in spectra.COLUMNS[1:])


def test_two_sources_get_their_own_frequencies_and_the_peak_is_searched_in_the_window():
    times = _times(300.0)
    late = gabor(times, 30.0, 0.37, 0.1) * 3  # stronger, but after the reported window
    rows = np.stack([gabor(times, 11.0, 0.1, 0.3) + late, gabor(times, 22.0, 0.2, 0.2)])
    first, second = spectra.source_bursts(rows, times, 300.0, 3.0, 45.0, WINDOW)
    assert first["peak_frequency_hz"] == pytest.approx(11.0, abs=0.2)
    assert second["peak_frequency_hz"] == pytest.approx(22.0, abs=0.2)


def test_the_range_stays_below_nyquist():
    np.testing.assert_array_equal(spectra.frequencies(3.0, 45.0, 60.0), np.arange(3.0, 29.5))
    with pytest.raises(ValueError, match="sources_table.fmin"):
        spectra.frequencies(40.0, 45.0, 60.0)
    assert spectra.source_bursts(np.zeros((0, 10)), np.arange(10) / 100, 100.0, 3.0, 45.0) == []
