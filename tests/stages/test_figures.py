"""Report figures: every axis label is drawn whole inside its figure, with its unit."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from tfmxne_workflow.stages import figures


def _labels_inside(fig):
    """The y/x labels of every axis with their bounding boxes, after drawing."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    for ax in fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label):
            if not label.get_text():
                continue
            box = label.get_window_extent(renderer)
            assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, (
                f"axis label {label.get_text()!r} is cut off: {box} outside {width}x{height}")


@pytest.mark.parametrize(("ch_type", "unit"), [("grad", "fT/cm"), ("mag", "fT"), ("eeg", "µV")])
def test_butterfly_labels_on_the_sample_evoked(sample_evoked_cov, ch_type, unit):
    """Real Neuromag data; x20 gives 5-digit magnetometer ticks, which once pushed 'fT' off the figure."""
    evoked = sample_evoked_cov[0].copy()
    evoked.data *= 20
    fig = figures.butterfly(evoked, ch_type, f"evoked ({ch_type})")
    assert fig.axes[0].get_ylabel() == unit
    _labels_inside(fig)
    plt.close(fig)


def test_other_figures_keep_their_labels_inside():
    rng = np.random.default_rng(0)
    positions = [rng.normal(size=(50, 3)) * 0.05, rng.normal(size=(50, 3)) * 0.05]
    sources = pd.DataFrame({"x_mm": [10.0], "y_mm": [-20.0], "z_mm": [30.0], "peak_amplitude_nAm": [12.0]})
    record = {"checks": [{"gap": 1e-3, "objective": 5.0}, {"gap": 1e-7, "objective": 4.9}], "tol": 1e-6}
    sure = {"alphas": [100.0, 50.0, 25.0], "sure": [3.0, 2.0, 2.5], "n_active": [0, 2, 5], "alpha": 50.0}
    for fig in (figures.glass_brain(positions, sources, title="where"),
                figures.convergence(record, "convergence"), figures.sure_curve(sure, "sure")):
        _labels_inside(fig)
        plt.close(fig)


def _signed_estimate(n_sources, sfreq=300.0):
    """Bursts at 5-40 Hz on ``n_sources`` vertices, and the sources table of them."""
    import mne

    from tfmxne_simulation.localisation import gabor
    from tfmxne_workflow.stages import spectra

    times = np.arange(-0.1, 0.4 + 1e-9, 1 / sfreq)
    freqs = np.linspace(5, 40, n_sources)
    data = np.stack([gabor(times, f, 0.15, 3 / f) * 1e-8 for f in freqs])
    stc = mne.SourceEstimate(data, [np.arange(n_sources) * 3, np.array([], int)], times[0], 1 / sfreq)
    bursts = spectra.source_bursts(data, times, sfreq, 3.0, 45.0, (-0.05, 0.3))
    table = pd.DataFrame([{"hemi": "lh", "vertex": 3 * k, "x_mm": -40.0, "y_mm": -20.0 + k, "z_mm": 10.0,
                           "n_vertices": 1 + k % 3, "stability": np.nan if k % 2 else k / n_sources, **b}
                          for k, b in enumerate(bursts)])
    return stc, table


@pytest.mark.parametrize(("n_sources", "n_pages"), [(1, 1), (12, 1), (13, 2), (50, 5)])
def test_time_frequency_maps_come_in_readable_pages(n_sources, n_pages):
    stc, table = _signed_estimate(n_sources)
    pages = figures.tf_maps(stc, table, 3.0, 45.0, (-0.05, 0.3), "tf")
    assert len(pages) == n_pages
    panels = [ax for fig in pages for ax in fig.axes if ax.get_visible() and ax.get_xlabel() == "time (s)"]
    assert len(panels) == n_sources
    for ax, (_, row) in zip(panels, table.iterrows()):
        assert f"{row['peak_frequency_hz']:.1f} Hz" in ax.get_title()
        assert ax.get_title().startswith(figures.source_name("lh", row["vertex"], row["n_vertices"]))
        assert (f"stability {row['stability']:.2f}" in ax.get_title()) is bool(np.isfinite(row["stability"]))
        assert len(ax.patches) == 1  # the burst's half-maximum extent
        assert ax.get_ylabel() == "frequency (Hz)"
    assert all(ax.get_ylabel() == "amplitude (nAm)" for fig in pages for ax in fig.axes
               if ax.get_visible() and ax.get_xlabel() != "time (s)")  # the colour bars
    for fig in pages:
        _labels_inside(fig)
        plt.close(fig)


def test_time_courses_stay_readable_past_a_dozen_sources():
    stc, table = _signed_estimate(20)
    fig = figures.source_time_courses(stc, table, "when")
    assert len(fig.axes) == 3 and sum(len(ax.get_lines()) - 1 for ax in fig.axes) == 20  # minus the zero lines
    assert fig.axes[0].get_legend().get_texts()[1].get_text() == "lh:3 (+1 vertices)"
    _labels_inside(fig)
    plt.close(fig)
