"""Report numbers and the study table (metrics, summary, sources, crop)."""
import json

import mne
import numpy as np
import pandas as pd
import pytest

from tfmxne_workflow.stages import crop, metrics, summary


def _evoked(data):
    info = mne.create_info(["a", "b"], 100.0, "eeg")
    return mne.EvokedArray(data, info, tmin=-0.1)


def test_explained_variance():
    data = np.ones((2, 50))
    assert metrics.explained_variance(_evoked(data), _evoked(0.5 * data)) == {"eeg": pytest.approx(0.75)}


@pytest.mark.parametrize("n_sources, explained, warned", [
    (11, {"grad": 0.49, "eeg": 0.2}, True),    # many sources, the best channel type under half
    (10, {"grad": 0.2}, False),                # not more than MANY_SOURCES
    (11, {"grad": 0.5, "eeg": 0.2}, False),    # one channel type is half explained
    (55, {"grad": 0.41, "mag": 0.3}, True),    # the sample recording's worst condition
])
def test_poor_fit_warning_needs_many_sources_and_little_explained(n_sources, explained, warned):
    assert (metrics.MANY_SOURCES, metrics.LITTLE_EXPLAINED) == (10, 0.5)
    text = metrics.poor_fit_warning(n_sources, explained)
    assert (text is not None) == warned
    if warned:
        best = max(explained, key=explained.get)
        assert text.startswith(f"{n_sources} sources explain at most {100 * explained[best]:.0f} % of the "
                               f"data ({best}): more than 10 sources explaining less than 50 %")


def test_localisation_errors_picks_the_nearest_estimate():
    sources = pd.DataFrame({"hemi": ["lh", "rh"], "vertex": [1, 2], "x_mm": [0, 50.0],
                            "y_mm": [0, 0.0], "z_mm": [0, 0.0]})
    truth = pd.DataFrame({"condition": ["A", "B"], "hemi": ["rh", "lh"], "vertex": [9, 9],
                          "x_mm": [47.0, 0], "y_mm": [4.0, 0], "z_mm": [0.0, 0]})
    errors = metrics.localisation_errors(sources, truth, "A")
    assert len(errors) == 1
    assert errors["error_mm"].iloc[0] == pytest.approx(5.0) and errors["found_vertex"].iloc[0] == 2
    empty = metrics.localisation_errors(sources.iloc[:0], truth, "A")
    assert np.isnan(empty["error_mm"].iloc[0])


def test_spurious_count_counts_estimates_far_from_every_true_source():
    sources = pd.DataFrame({"x_mm": [0.0, 50.0, 20.0], "y_mm": [0.0, 0.0, 0.0], "z_mm": [0.0, 0.0, 0.0]})
    truth = pd.DataFrame({"condition": ["A", "A", "B"], "x_mm": [3.0, 47.0, 20.0],
                          "y_mm": [4.0, 0.0, 0.0], "z_mm": [0.0, 0.0, 0.0]})
    assert metrics.spurious_count(sources, truth, "A") == 1  # the one at x = 20 mm
    assert metrics.spurious_count(sources, truth, "A", radius_mm=4.0) == 2  # 5 mm is too far
    assert metrics.spurious_count(sources, truth, "C") == 3  # no truth: all are spurious


def test_crop_refuses_a_window_outside_the_data():
    evoked = _evoked(np.zeros((2, 50)))
    stc = mne.SourceEstimate(np.zeros((1, 50)), [np.array([0]), np.array([], int)], -0.1, 0.01)
    out = crop.crop_results(stc, evoked, evoked, -0.05, 0.3)
    assert out[0].times[0] == pytest.approx(-0.05) and out[1].times[-1] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="crop.tmin/crop.tmax"):
        crop.crop_results(stc, evoked, evoked, -0.5, 0.3)


def test_study_table(tmp_path):
    tsv = tmp_path / "sub-01_task-x_desc-A_sources.tsv"
    pd.DataFrame({"condition": ["a/b"], "hemi": ["lh"], "vertex": [3], "x_mm": [1.0], "y_mm": [2.0],
                  "z_mm": [3.0], "peak_time_s": [0.1], "peak_amplitude_nAm": [10.0]}).to_csv(tsv, sep="\t", index=False)
    conv = tmp_path / "sub-01_task-x_desc-A_convergence.json"
    conv.write_text(json.dumps({"converged": False, "final_gap": 0.5}))
    evoked, residual = tmp_path / "a-ave.fif", tmp_path / "r-ave.fif"
    _evoked(np.ones((2, 50))).save(evoked, verbose="error")
    _evoked(0.8 * np.ones((2, 50))).save(residual, verbose="error")  # 1 - 0.64 explained
    table = summary.study_table([tsv], [conv], [evoked], [residual])
    assert table.loc[0, "condition"] == "a/b" and not table.loc[0, "converged"]
    assert table.loc[0, "top_vertex"] == 3
    assert table.loc[0, "explained_var_eeg"] == pytest.approx(0.36) and table.loc[0, "warning"] == ""
    many = tmp_path / "sub-02_task-x_desc-A_sources.tsv"
    pd.concat([pd.read_csv(tsv, sep="\t")] * 11).to_csv(many, sep="\t", index=False)
    table = summary.study_table([tsv, many], [conv, conv], [evoked] * 2, [residual] * 2)
    assert table["warning"].str.startswith("11 sources explain at most 36 % of the data (eeg)").tolist() == [
        False, True]
    html = summary.study_html(table, [], tmp_path / "study_summary.html")
    assert "a/b" in html
    assert "little of the data in 1 recording(s) and condition(s)</b>: sub-02 a/b</p>" in html
