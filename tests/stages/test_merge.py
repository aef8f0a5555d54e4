"""One source, one row: neighbouring vertices with one time course merge (stages.merge, stages.sources)."""
import mne
import numpy as np
import pytest
from mne.io.constants import FIFF

from tfmxne_simulation.localisation import gabor
from tfmxne_workflow.stages import merge, sources

SFREQ = 300.0
#: The solve window; the reported window is a part of it.
TIMES = np.arange(-0.1, 0.4 + 1e-9, 1 / SFREQ)
WINDOW = (-0.05, 0.3)
#: Surface points of each hemisphere (m): vertices 0, 1 and 2 of lh are 4 mm and 40 mm
#: apart, all others far away.
RR = [np.array([[-0.040, 0.0, 0.05], [-0.040, 0.004, 0.05], [-0.040, 0.040, 0.05], [-0.040, 0.08, 0.0]]),
      np.array([[0.040, 0.0, 0.05], [0.040, 0.004, 0.05], [0.040, 0.040, 0.05], [0.040, 0.08, 0.0]])]


def _forward(rr=RR):
    src = [{"rr": points, "vertno": np.arange(len(points)), "coord_frame": FIFF.FIFFV_COORD_MRI} for points in rr]
    return {"src": src, "mri_head_t": None}


def _table(courses, merge_mm=10.0, min_correlation=0.9, rr=RR):
    """The sources table of lh vertices ``courses`` (``{vertex: signed time course in A·m}``)."""
    vertices = [np.array(sorted(courses)), np.array([], int)]
    data = np.array([courses[v] for v in vertices[0]])
    signed = mne.SourceEstimate(data, vertices, TIMES[0], 1 / SFREQ)
    amplitude = signed.copy().crop(*WINDOW)
    amplitude.data = np.abs(amplitude.data)
    record = {"converged": True, "final_gap": 1e-7,
              "tf_peaks": [{"hemi": "lh", "vertex": int(v), "peak_frequency_hz": 10.0} for v in vertices[0]]}
    return sources.sources_table(amplitude, _forward(rr), record, "A", signed, merge_mm=merge_mm,
                                 min_correlation=min_correlation), signed


def _burst(freq, amplitude_nAm, latency=0.15):
    return gabor(TIMES, freq, latency, 4 / freq) * amplitude_nAm * 1e-9


def test_two_neighbours_with_one_time_course_are_one_source():
    # vertex 1 carries twice vertex 0's moment; its normal is turned over (opposite sign)
    table, _ = _table({0: _burst(10.0, 10.0), 1: -_burst(10.0, 20.0)})
    assert len(table) == 1
    row = table.iloc[0]
    assert row["vertex"] == 1 and row["vertices"] == "1;0" and row["n_vertices"] == 2
    # amplitude-weighted position: 2/3 of the way to vertex 1, 4/3 mm from it
    np.testing.assert_allclose(row[["x_mm", "y_mm", "z_mm"]].to_numpy(float), [-40.0, 8 / 3, 50.0], atol=1e-6)
    assert row["extent_mm"] == pytest.approx(8 / 3)
    # the patch's moment: the two dipoles summed in sign
    assert row["peak_amplitude_nAm"] == pytest.approx(30.0, rel=1e-3)
    assert row["peak_time_s"] == pytest.approx(0.15, abs=1 / SFREQ)
    assert row["peak_frequency_hz"] == pytest.approx(10.0, abs=0.2)
    assert list(table.columns) == sources.COLUMNS


def test_neighbours_with_different_time_courses_stay_two_sources():
    table, _ = _table({0: _burst(10.0, 10.0), 1: _burst(22.0, 20.0, latency=0.2)})
    assert len(table) == 2
    assert table["n_vertices"].tolist() == [1, 1] and table["extent_mm"].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(sorted(table["peak_frequency_hz"]), [10.0, 22.0], atol=0.2)
    np.testing.assert_allclose(table["y_mm"], [4.0, 0.0])  # each at its own vertex


def test_far_vertices_with_one_time_course_stay_two_sources():
    table, _ = _table({0: _burst(10.0, 10.0), 2: _burst(10.0, 20.0)})
    assert table["vertex"].tolist() == [2, 0] and table["n_vertices"].tolist() == [1, 1]
    # merged when the distance allows it: the rule's distance is the only thing that parted them
    assert _table({0: _burst(10.0, 10.0), 2: _burst(10.0, 20.0)}, merge_mm=50.0)[0]["n_vertices"].tolist() == [2]


def test_a_chain_of_neighbours_is_one_source_and_the_report_rebuilds_its_time_course():
    lh = RR[0].copy()
    lh[2] = [-0.040, 0.008, 0.05]  # 4 mm from vertex 1, 8 mm from vertex 0
    table, signed = _table({0: _burst(10.0, 10.0), 1: _burst(10.0, 20.0), 2: _burst(10.0, 5.0)},
                           merge_mm=5.0, rr=[lh, RR[1]])
    assert table["vertices"].tolist() == ["1;0;2"]
    merged = merge.merged_estimate(signed, merge.table_sources(table), WINDOW)
    assert merged.vertices[0].tolist() == [1]
    np.testing.assert_allclose(merged.data[0], _burst(10.0, 35.0), atol=1e-15)


def test_no_active_vertex_no_row():
    empty = mne.SourceEstimate(np.zeros((0, len(TIMES))), [np.array([], int)] * 2, TIMES[0], 1 / SFREQ)
    table = sources.sources_table(empty.copy().crop(*WINDOW), _forward(),
                                  {"converged": True, "final_gap": 0.0, "tf_peaks": []}, "A", empty)
    assert table.empty and list(table.columns) == sources.COLUMNS
    assert merge.merged_estimate(empty, merge.table_sources(table), WINDOW).data.shape[0] == 0
