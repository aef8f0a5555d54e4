"""Stability selection on the real sample head: a real source is stable, sources fitted to noise are not.

One strong burst plus noise trials, solved through the workflow's solve path at a low fixed
alpha (so that the noise makes sources too), with 20 resamples.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLE_DIR

from tfmxne_simulation import localisation as loc

pytestmark = pytest.mark.sample

CONFIG = {"dspm": {"weights": False}, "tfmxne": {"alpha": 20.0},
          "stability": {"n_resamples": 20}}


@pytest.fixture(scope="module")
def head(sample_head_cache):
    from tfmxne_workflow.headmodels.template import single_threaded_blas

    with single_threaded_blas():
        return loc.sample_head(SAMPLE_DIR, sample_head_cache)


@pytest.fixture(scope="module")
def solved(head):
    """The sources table of one 11 Hz, 15 nAm burst at a well visible place, and its distances
    from the truth.
    """
    rec = _recording(head)
    run = loc.run_configuration(rec, head, CONFIG)
    dist = np.linalg.norm(run.sources[["x_mm", "y_mm", "z_mm"]].to_numpy(float) - rec.truth[0]["pos_mm"], axis=1)
    return run, dist


def _recording(head):
    strength = np.linalg.norm(head.whitener @ head.pool_gain, axis=0)
    source = dict(pool_index=int(np.argsort(-strength)[0]), freq_hz=11.0, latency_s=0.15,
                  duration_s=0.3, amplitude_nAm=15.0)
    return loc.simulate_sources(head, [source], nave=40, seed=7)


def test_the_true_source_is_stable_and_the_noise_sources_are_not(solved):
    run, dist = solved
    stability = run.sources["stability"].to_numpy(float)
    near, far = stability[dist <= loc.RECALL_MM], stability[dist > 30.0]
    assert len(near) and near.max() >= 0.9, (near, dist)
    assert len(far) >= 3, f"the low alpha should make noise sources too: {dist}"
    assert np.median(far) <= 0.5, far
    # a confirming resample's source lies within the radius, and the interval holds the estimate
    row = run.sources.iloc[int(np.argmin(dist))]
    assert 0 <= row["position_ci_mm"] <= 10.0
    assert row["amplitude_ci_low_nAm"] <= row["peak_amplitude_nAm"] * 1.5
    assert row["peak_time_ci_low_s"] <= row["peak_time_ci_high_s"]


def test_a_threshold_drops_the_unstable_sources_and_refits(head, solved):
    run, dist = solved
    threshold = 0.6
    rec = _recording(head)
    config = {**CONFIG, "stability": {"n_resamples": 20, "threshold": threshold, "drop_unstable": True}}
    kept = loc.run_configuration(rec, head, config)
    assert kept.record["n_candidates"] == run.record["n_candidates"]
    stable = run.sources["stability"].to_numpy(float) >= threshold
    # the same candidates, the same stabilities: only the stable ones are reported
    assert 0 < len(kept.sources) <= stable.sum() < len(run.sources)
    assert (kept.sources["stability"] >= threshold).all()
    assert set(zip(kept.sources["hemi"], kept.sources["vertex"])) <= set(
        zip(run.sources["hemi"][stable], run.sources["vertex"][stable]))
