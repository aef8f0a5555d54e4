"""tfmxne.prepare.prepare_forward against MNE's ``_prepare_forward`` on sample data.

Uses the sample 'small' source space (2 x 258 sources) with a sphere model (fast
to build); needs ``../shared/data/sample`` (skipped otherwise).
"""


import mne
import numpy as np
import pytest
from conftest import SAMPLE_DIR as SAMPLE
from mne.inverse_sparse.mxne_inverse import _prepare_weights
from mne.minimum_norm.inverse import _prepare_forward
from mne.utils import _check_depth

from tfmxne.prepare import prepare_forward

pytestmark = [
    pytest.mark.sample,
    pytest.mark.skipif(not SAMPLE.is_dir(),
                       reason=f"MNE sample data not found in {SAMPLE}"),
]


@pytest.fixture(scope="module")
def data(sample_evoked_cov):
    """Evoked, noise covariance and a free-orientation sphere-model forward."""
    evoked, cov = sample_evoked_cov
    src = mne.read_source_spaces(SAMPLE / "sample-small-src.fif.gz", verbose=False)
    sphere = mne.make_sphere_model("auto", "auto", evoked.info, verbose=False)
    fwd = mne.make_forward_solution(evoked.info, SAMPLE / "sample-trans.fif", src,
                                    sphere, meg=True, eeg=True, verbose=False)
    return evoked, cov, fwd


def _mne_prepare(fwd, info, cov, loose, depth, rank, pca):
    out = _prepare_forward(fwd, info, cov, "auto", loose, rank, pca, use_cps=True,
                           **_check_depth(depth, "depth_sparse"))
    return out[0], out[1], out[2], out[5], out[8]


def _assert_same(ours, ref):
    fwd, info, gain, source_weighting, whitener = ref
    assert ours.info["ch_names"] == info["ch_names"] == fwd["sol"]["row_names"]
    assert ours.n_orient == (1 if mne.forward.is_fixed_orient(fwd) else 3)
    assert ours.surf_ori == fwd["surf_ori"]
    sensor_gain = ours.sensor_gain()
    assert sensor_gain.dtype == fwd["sol"]["data"].dtype
    np.testing.assert_allclose(sensor_gain, fwd["sol"]["data"], rtol=1e-12,
                               atol=1e-12 * np.abs(fwd["sol"]["data"]).max())
    np.testing.assert_allclose(ours.source_nn, fwd["source_nn"], atol=1e-12)
    columns = np.zeros(sensor_gain.shape[1], bool)
    columns[ours.n_orient * 7:ours.n_orient * 9] = True  # sources 7 and 8
    np.testing.assert_array_equal(ours.sensor_gain(columns), sensor_gain[:, columns])
    np.testing.assert_allclose(ours.whitener, whitener, rtol=1e-7,
                               atol=1e-10 * np.abs(whitener).max())
    np.testing.assert_allclose(ours.gain, gain, rtol=1e-7,
                               atol=1e-10 * np.abs(gain).max())
    np.testing.assert_allclose(ours.source_weighting, source_weighting, rtol=1e-7)


@pytest.mark.parametrize("loose, depth, rank, pca, fixed_fwd", [
    (0.2, 0.9, None, True, False),  # the seed example's settings
    (1.0, 0.8, None, True, False),  # free orientation
    (0.0, 0.8, None, True, False),  # fixed inverse from a free forward
    (0.0, dict(exp=0.8, allow_fixed_depth=False), None, True, False),  # depth first
    (0.0, None, None, True, True),  # fixed-orientation forward, no depth weighting
    (0.2, 0.8, "info", False, False),
    (0.2, dict(exp=0.8, limit=10.0), dict(meg=300, eeg=58), True, False),
    (0.2, dict(exp=0.8, combine_xyz="spectral", limit_depth_chs=True), None, True,
     False),  # depth prior left to MNE
])
def test_matches_mne(data, loose, depth, rank, pca, fixed_fwd):
    """Same gain, whitener, source weighting, channels and forward as MNE."""
    evoked, cov, fwd = data
    if fixed_fwd:
        fwd = mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=True,
                                           verbose=False)
    ref = _mne_prepare(fwd, evoked.info, cov, loose, depth, rank, pca)
    ours = prepare_forward(fwd, evoked.info, cov, loose, depth, rank, pca)
    assert ours.mask is None
    _assert_same(ours, ref)


def test_bads_and_projectors(data):
    """Bad channels in info and covariance, an extra projector, a channel subset."""
    evoked, cov, fwd = data
    evoked = evoked.copy()
    evoked.info["bads"] = ["MEG 2443", "EEG 053"]
    meg = mne.pick_types(evoked.info, meg=True, exclude=[])
    proj = mne.compute_proj_evoked(evoked.copy().pick(meg[:20]), n_grad=0, n_mag=1,
                                   n_eeg=0, verbose=False)
    evoked.add_proj(proj, verbose=False)
    cov = cov.copy()
    cov["bads"] = ["MEG 1032"]
    fwd = mne.pick_channels_forward(fwd, exclude=["EEG 001"], verbose=False)
    ref = _mne_prepare(fwd, evoked.info, cov, 0.2, 0.9, None, True)
    ours = prepare_forward(fwd, evoked.info, cov, 0.2, 0.9, None, True)
    assert {"MEG 2443", "EEG 053", "MEG 1032", "EEG 001"}.isdisjoint(
        ours.info["ch_names"])
    _assert_same(ours, ref)


def _mne_weighted(fwd, evoked, cov, weights, weights_min, depth):
    _, _, gain, source_weighting, _ = _mne_prepare(
        fwd, evoked.info, cov, 0.2, depth, None, True)
    return _prepare_weights(
        mne.convert_forward_solution(fwd, surf_ori=True, verbose=False), gain,
        source_weighting, weights, weights_min)


def test_weights(data):
    """Prior weights: MNE's weighting and reduction, columns above weights_min only.

    Without a depth limit only the kept columns are prepared, and the trace
    normalisation (a factor common to all columns, which alpha_max scaling
    cancels) is left out: the gain equals MNE's up to that one factor.
    """
    evoked, cov, fwd = data
    weights = np.random.default_rng(0).uniform(0, 10, fwd["nsource"])
    gain, source_weighting, mask = _mne_weighted(fwd, evoked, cov, weights, 6.0, 0.9)
    ours = prepare_forward(fwd, evoked.info, cov, 0.2, 0.9, None, True,
                           weights=weights, weights_min=6.0)
    np.testing.assert_array_equal(ours.mask, mask)
    factor = np.linalg.norm(gain) / np.linalg.norm(ours.gain)
    assert 0 < factor < np.inf
    np.testing.assert_allclose(ours.gain * factor, gain, rtol=1e-7,
                               atol=1e-10 * np.abs(gain).max())
    np.testing.assert_allclose(ours.source_weighting[mask] * factor,
                               source_weighting[mask], rtol=1e-7)
    np.testing.assert_array_equal(ours.source_weighting[~mask], 0.0)

    # a depth limit couples all sources: everything is prepared, as in MNE
    depth = dict(exp=0.9, limit=10.0)
    gain, source_weighting, mask = _mne_weighted(fwd, evoked, cov, weights, 6.0, depth)
    ours = prepare_forward(fwd, evoked.info, cov, 0.2, depth, None, True,
                           weights=weights, weights_min=6.0)
    np.testing.assert_allclose(ours.gain, gain, rtol=1e-7,
                               atol=1e-10 * np.abs(gain).max())
    np.testing.assert_allclose(ours.source_weighting, source_weighting, rtol=1e-7)

    with pytest.raises(ValueError, match="weights_min > weights_max"):
        prepare_forward(fwd, evoked.info, cov, 0.2, 0.9, None, True,
                        weights=weights, weights_min=20.0)
    with pytest.raises(ValueError, match="correct dimension"):
        prepare_forward(fwd, evoked.info, cov, 0.2, 0.9, None, True,
                        weights=weights[:-1])


@pytest.mark.parametrize("loose", [0.0, 1.0])
def test_weights_fixed_and_free(data, loose):
    """The kept columns of fixed and free inverses, up to the common factor."""
    evoked, cov, fwd = data
    weights = np.random.default_rng(1).uniform(0, 10, fwd["nsource"])
    fwd_mne, _, gain, _, _ = _mne_prepare(fwd, evoked.info, cov, loose, 0.8, None,
                                          True)
    ours = prepare_forward(fwd, evoked.info, cov, loose, 0.8, None, True,
                           weights=weights, weights_min=5.0)
    n_orient = 1 if loose == 0.0 else 3
    keep = np.repeat(weights / weights.max() > 0.5, n_orient)
    np.testing.assert_array_equal(ours.mask, keep)
    expected = gain[:, keep] * np.repeat(weights / weights.max(), n_orient)[keep]
    factor = np.linalg.norm(expected) / np.linalg.norm(ours.gain)
    np.testing.assert_allclose(ours.gain * factor, expected, rtol=1e-7,
                               atol=1e-10 * np.abs(expected).max())
    np.testing.assert_allclose(ours.sensor_gain(keep), fwd_mne["sol"]["data"][:, keep],
                               rtol=1e-12)
