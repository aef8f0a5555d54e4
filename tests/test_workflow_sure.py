"""``tfmxne.alpha: sure`` (the default) on the demo study.

The record and the report say what SURE chose and from which path. (That the defaults
find every simulated source is tested in test_workflow.py; why SURE is the default:
docs/localisation.md.)
"""
import json

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_sure_choice_is_recorded_and_reported(demo_run):
    records = sorted(demo_run["deriv"].glob("sub-*/meg/*_convergence.json"))
    assert len(records) == 4
    for record_file in records:
        record = json.loads(record_file.read_text())
        path = record["sure"]
        assert 2 <= len(path["alphas"]) == len(path["sure"]) == len(path["n_active"]) <= 15
        best = int(np.argmin(path["sure"]))
        assert record["alpha"] == pytest.approx(path["alphas"][best])
        assert record["n_active"] == path["n_active"][best]
        assert path["n_solves"] == 2 * (len(path["alphas"]) - 1)
        # the noise model came from the baseline (default sure_noise: baseline)
        assert 0.0 <= path["noise_rho"] <= 0.99 and path["noise_sigma"] > 0
    for report in demo_run["deriv"].glob("sub-*/meg/*_report.html"):
        text = report.read_text()
        assert "selected by SURE" in text and "SURE path" in text
