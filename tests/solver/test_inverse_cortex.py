"""tfmxne.tf_mixed_norm against MNE on a realistic cortex: MNE's example settings.

The real 'Left visual' evoked of the MNE sample data, its noise covariance, trans and 3-layer
BEM, with the fsaverage5 cortex (ico4, 5124 sources) fitted into the sample inner skull
(tfmxne_simulation.sample_head.sample_head_forward). Skipped when ../shared/data/sample is absent.
"""
import mne
import numpy as np
import pytest
from conftest import SAMPLE_DIR
from mne.minimum_norm import apply_inverse, make_inverse_operator

import tfmxne

pytestmark = pytest.mark.sample

SEED = dict(loose=0.2, depth=0.9, weights_min=8.0, alpha=51.0, l1_ratio=1.0 / 51, wsize=16,
            tstep=4, window=0.05, debias=True, maxit=3000, tol=1e-4, return_residual=True)


@pytest.fixture(scope="module")
def seed_problem(sample_head_cache):
    from tfmxne_simulation.sample_head import sample_head_forward

    forward = sample_head_forward(SAMPLE_DIR, sample_head_cache)
    evoked = mne.read_evokeds(SAMPLE_DIR / "sample_audvis_short-ave.fif.gz", condition="Left visual",
                              baseline=(None, 0), verbose="error")
    evoked.crop(tmin=-0.1, tmax=0.4)
    cov = mne.read_cov(SAMPLE_DIR / "sample_audvis-cov.fif", verbose="error")
    inverse = make_inverse_operator(evoked.info, forward, cov, loose=0.2, depth=0.9, verbose="error")
    dspm = apply_inverse(evoked, inverse, lambda2=1.0 / 9.0, method="dSPM", verbose="error")
    return evoked, forward, cov, dspm


def _explained_variance(evoked, residual, cov):
    picked = evoked.copy().pick(residual.ch_names)
    whitener, _ = mne.cov.compute_whitener(cov, picked.info, verbose="error")
    data, res = whitener @ picked.data, whitener @ residual.data
    return 100 * (1 - np.sum(res**2) / np.sum(data**2))


def test_seed_example_on_cortex_matches_mne(seed_problem):
    from mne.inverse_sparse import tf_mixed_norm as mne_tf_mixed_norm

    evoked, forward, cov, dspm = seed_problem
    stc_mne, res_mne = mne_tf_mixed_norm(evoked, forward, cov, weights=dspm, verbose="error", **SEED)
    stc, res = tfmxne.tf_mixed_norm(evoked, forward, cov, weights=dspm, verbose="error", **SEED)
    assert sum(len(v) for v in stc_mne.vertices) > 0, "MNE found no source: the comparison is empty"
    for ours, theirs in zip(stc.vertices, stc_mne.vertices):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(np.abs(stc.data).max(1), np.abs(stc_mne.data).max(1), rtol=0.05)
    assert abs(_explained_variance(evoked, res, cov) - _explained_variance(evoked, res_mne, cov)) < 0.5


@pytest.mark.parametrize("options", [
    dict(pick_ori="vector", wsize=[16, 32], tstep=[4, 8], window=(0.02, 0.05)),
    dict(n_tfmxne_iter=2, debias=False, loose=1.0),
    dict(loose=0.0, return_as_dipoles=True),
])
def test_options_on_cortex_match_mne(seed_problem, options):
    """Vector output, multi-dictionary, reweighting, free and fixed orientations, dipoles."""
    from mne.inverse_sparse import tf_mixed_norm as mne_tf_mixed_norm

    evoked, forward, cov, dspm = seed_problem
    kw = {**SEED, **options}
    if kw["loose"] == 0.0:
        forward = mne.convert_forward_solution(forward, surf_ori=True, force_fixed=True,
                                               verbose="error")
    out_mne, res_mne = mne_tf_mixed_norm(evoked, forward, cov, weights=dspm, verbose="error", **kw)
    out, res = tfmxne.tf_mixed_norm(evoked, forward, cov, weights=dspm, verbose="error", **kw)
    if kw.get("return_as_dipoles"):
        assert len(out) == len(out_mne) > 0
        for d, d_mne in zip(out, out_mne):
            np.testing.assert_allclose(d.pos, d_mne.pos)
            np.testing.assert_allclose(np.abs(d.amplitude).max(), np.abs(d_mne.amplitude).max(),
                                       rtol=0.05)
    else:
        assert type(out) is type(out_mne) and out.data.shape == out_mne.data.shape
        assert out.data.shape[0] > 0, "no source: the comparison is empty"
        if out.data.ndim == 3:
            out, out_mne = out.magnitude(), out_mne.magnitude()
        for ours, theirs in zip(out.vertices, out_mne.vertices):
            np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_allclose(np.abs(out.data).max(1), np.abs(out_mne.data).max(1), rtol=0.05)
    assert abs(_explained_variance(evoked, res, cov) - _explained_variance(evoked, res_mne, cov)) < 0.5
