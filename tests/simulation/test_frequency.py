"""Each recovered source's frequency on the real sample head.

Bursts at 8, 11, 22 and 35 Hz, and an evoked deflection without oscillation, through the
workflow's solve path and sources table.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLE_DIR

from tfmxne_simulation import localisation as loc

pytestmark = pytest.mark.sample

LATENCY_S = 0.15


@pytest.fixture(scope="module")
def head(sample_head_cache):
    from tfmxne_workflow.headmodels.template import single_threaded_blas

    with single_threaded_blas():
        return loc.sample_head(SAMPLE_DIR, sample_head_cache)


def _visible(head, k):
    """The ``k``-th most visible simulation dipole (largest whitened gain), one per hemisphere in turn."""
    strength = np.linalg.norm(head.whitener @ head.pool_gain, axis=0)
    order = np.argsort(-strength)
    hemi = ("lh", "rh")[k % 2]
    return int([i for i in order if head.pool_hemi[i] == hemi][k // 2])


def _recovered(head, freq, k, seed):
    """The estimate nearest a single true source (within 10 mm), as the sources table gives it."""
    source = dict(pool_index=_visible(head, k), freq_hz=freq, latency_s=LATENCY_S,
                  duration_s=3.0 / freq if freq else 0.08, amplitude_nAm=30.0)
    rec = loc.simulate_sources(head, [source], nave=60, seed=seed)
    run = loc.run_configuration(rec, head, {})
    table = run.sources
    assert len(table), f"no source found for the {freq} Hz burst"
    xyz = table[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
    dist = np.linalg.norm(xyz - rec.truth[0]["pos_mm"], axis=1)
    assert dist.min() <= loc.RECALL_MM, (freq, dist.min())
    return table.iloc[int(np.argmin(dist))]


@pytest.mark.parametrize(("freq", "k"), [(8.0, 0), (11.0, 1), (22.0, 2), (35.0, 3)])
def test_a_burst_is_reported_at_its_frequency_within_1_hz(head, freq, k):
    row = _recovered(head, freq, k, seed=100 + k)
    assert row["oscillatory"]
    assert abs(row["peak_frequency_hz"] - freq) <= 1.0, row.to_dict()
    assert row["tf_fmin_hz"] <= freq <= row["tf_fmax_hz"], row.to_dict()
    assert row["tf_tmin_s"] <= LATENCY_S <= row["tf_tmax_s"], row.to_dict()
    # the dictionary's bin (wsize 16 at 150 Hz: 9.4 Hz wide) is not the frequency
    assert row["dictionary_frequency_hz"] % (loc.SFREQ / 16) == pytest.approx(0.0, abs=1e-6) or \
        row["dictionary_frequency_hz"] % (loc.SFREQ / 16) == pytest.approx(loc.SFREQ / 16, abs=1e-6)


def test_an_evoked_deflection_has_no_frequency(head):
    row = _recovered(head, None, 0, seed=200)
    assert not row["oscillatory"] and np.isnan(row["peak_frequency_hz"]), row.to_dict()
