"""The weights_min rule for weak priors (mne-python#5162) (tfmxne_workflow.stages.solve)."""
import mne
import numpy as np
import pytest

from tfmxne_workflow.stages import solve


def _stc(peak):
    data = np.linspace(0, peak, 6).reshape(3, 2)
    return mne.SourceEstimate(data, [np.array([0, 1]), np.array([0])], 0.0, 0.01)


def test_strong_prior_keeps_weights_min():
    assert solve.effective_weights_min(_stc(20.0), 8.0) == (8.0, None)
    assert solve.effective_weights_min(None, 8.0) == (8.0, None)


def test_weak_prior_lowers_weights_min_and_says_so(caplog):
    used, note = solve.effective_weights_min(_stc(4.0), 8.0, fallback_fraction=0.5)
    assert used == pytest.approx(2.0)
    assert "below dspm.weights_min" in note and "5162" in note
    assert note in caplog.text
