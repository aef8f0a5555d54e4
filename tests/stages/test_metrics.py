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
    table = summary.study_table([tsv], [conv])
    assert table.loc[0, "condition"] == "a/b" and not table.loc[0, "converged"]
    assert table.loc[0, "top_vertex"] == 3
    html = summary.study_html(table, [], tmp_path / "study_summary.html")
    assert "a/b" in html
