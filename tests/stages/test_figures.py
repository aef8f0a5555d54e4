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
                figures.tf_map(rng.normal(size=120) * 1e-8, 300.0, -0.1, [16, 64], [4, 16], "tf"),
                figures.convergence(record, "convergence"), figures.sure_curve(sure, "sure")):
        _labels_inside(fig)
        plt.close(fig)
