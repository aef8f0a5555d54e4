"""Atomic writes (tfmxne_workflow.atomic)."""
import json

import mne
import numpy as np
import pytest

from tfmxne_workflow import atomic


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "x_ave.fif"
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_write_replaces_atomically(tmp_path):
    target = tmp_path / "a.json"
    atomic.write_json(target, {"x": np.float64(1.5)})
    atomic.write_json(target, {"x": 2})
    assert json.loads(target.read_text()) == {"x": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_save_stc_writes_both_hemispheres(tmp_path):
    stc = mne.SourceEstimate(np.ones((3, 4)), [np.array([1, 5]), np.array([2])], 0.0, 0.01)
    atomic.save_stc(stc, tmp_path / "x_dspm-lh.stc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_dspm-lh.stc", "x_dspm-rh.stc"]
    back = mne.read_source_estimate(tmp_path / "x_dspm-lh.stc")
    np.testing.assert_allclose(back.data, stc.data)
    with pytest.raises(ValueError, match="-lh.stc"):
        atomic.stc_basename(tmp_path / "x.stc")
