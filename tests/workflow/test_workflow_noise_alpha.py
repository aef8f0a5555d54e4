"""``tfmxne.alpha: auto`` on the demo study (MEG data: ``alpha: noise``, no dSPM weights).

The record and the report say what auto chose and how the noise set alpha. (That the
defaults find every simulated source is tested in test_workflow.py; why they are the
defaults: docs/localisation.md.)
"""
import json

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_noise_alpha_is_recorded_and_reported(demo_run):
    records = sorted(demo_run["deriv"].glob("sub-*/meg/*_convergence.json"))
    assert len(records) == 4
    for record_file in records:
        record = json.loads(record_file.read_text())
        assert record["weights"] is False and record["weights_min_used"] is None
        assert "auto for MEG data" in record["weights_note"]
        assert record["sure"] is None
        draws = np.asarray(record["noise_alpha"])
        assert len(draws) == 20 and (draws > 0).all()
        margin, floor = record["params"]["noise_margin"], record["params"]["noise_floor"]
        expected = min(max(margin * np.quantile(draws, 0.95), floor), 100.0)
        assert record["alpha"] == pytest.approx(expected)
        # the demo's responses stand well above their noise
        assert record["alpha"] < 100.0 and record["n_active"] > 0
    for report in demo_run["deriv"].glob("sub-*/meg/*_report.html"):
        text = report.read_text()
        assert "set by the noise: noise_margin 1.6" in text and "auto for MEG data" in text
        assert "floor 30" in text
