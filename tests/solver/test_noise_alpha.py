"""``alpha='noise'``: alpha above what the noise alone gives (tfmxne.noise_alpha)."""

import mne
import numpy as np
import pytest
from scipy import stats
from test_inverse import sample_data  # noqa: F401 (fixtures)

from tfmxne import tf_mixed_norm
from tfmxne.noise_alpha import noise_alpha
from tfmxne.stft import TFDictionary
from tfmxne.sure import ar1_time_cov

N_SENSORS, N_TIMES = 16, 64


def test_orthogonal_design_closed_form():
    """MxNE (l1_ratio 0) with an orthogonal gain and white noise: the STFT is a tight
    frame, so ``alpha_max(E) = max_j ||(Q^T E)_j||``, the largest of ``N_SENSORS``
    independent ``sigma chi(N_TIMES)`` variables, whose quantile is known exactly.
    """
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((N_SENSORS, N_SENSORS)))[0]
    tf = TFDictionary(np.array([16]), np.array([4]), N_TIMES)
    sigma, quantile = 0.7, 0.9
    alpha, draws = noise_alpha(Q, (N_SENSORS, N_TIMES), tf, 0.0, 1, sigma, n_draws=4000,
                               quantile=quantile, random_state=1)
    exact = sigma * np.sqrt(stats.chi2.ppf(quantile ** (1 / N_SENSORS), N_TIMES))
    assert alpha == pytest.approx(exact, rel=0.01)
    assert alpha == pytest.approx(np.quantile(draws, quantile))


def test_scales_with_sigma_and_grows_with_correlation():
    """The noise's alpha_max is proportional to sigma (same draws), and larger for
    correlated noise of the same variance (its energy concentrates on fewer TF atoms).
    """
    rng = np.random.default_rng(0)
    G = rng.standard_normal((N_SENSORS, 40))
    tf = TFDictionary(np.array([16]), np.array([4]), N_TIMES)
    kw = dict(tf=tf, l1_ratio=0.1, n_orient=1, n_draws=50, random_state=3)
    a1, _ = noise_alpha(G, (N_SENSORS, N_TIMES), sigma=1.0, **kw)
    a2, _ = noise_alpha(G, (N_SENSORS, N_TIMES), sigma=2.5, **kw)
    assert a2 == pytest.approx(2.5 * a1, rel=1e-10)
    a_corr, _ = noise_alpha(G, (N_SENSORS, N_TIMES), sigma=1.0,
                            time_cov=ar1_time_cov(0.8, N_TIMES, np.ones(N_TIMES)), **kw)
    assert a_corr > 1.5 * a1


def _simulated(evoked, forward, cov, amplitude, seed):
    """One 12 Hz burst at 0.1 s of ``amplitude`` (Am) on source 10, noise from ``cov`` at
    nave 30.
    """
    t = evoked.times
    vertices = [s["vertno"] for s in forward["src"]]
    data = np.zeros((sum(len(v) for v in vertices), len(t)))
    data[10] = amplitude * np.exp(-(((t - 0.1) / 0.03) ** 2)) * np.cos(2 * np.pi * 12 * (t - 0.1))
    stc = mne.SourceEstimate(data, vertices, t[0], t[1] - t[0])
    return mne.simulation.simulate_evoked(forward, stc, evoked.info, cov, nave=30, rng=seed,
                                          verbose=False)


def test_noise_alone_gives_no_source_and_a_response_does(sample_data, small_forward):  # noqa: F811
    """Real sample head and covariance (fixed orientation): noise alone drawn from the
    covariance gives no source at ``alpha='noise'`` for every seed tried, where a fixed
    50 percent of alpha_max finds some; a 40 nAm burst gives sources, at the alpha the
    record explains (margin times the draws' 95th percentile).
    """
    evoked, cov = sample_data
    evoked = evoked.copy().crop(-0.1, 0.25)
    fwd = mne.convert_forward_solution(small_forward, surf_ori=True, force_fixed=True,
                                       verbose=False)
    kw = dict(l1_ratio=0.03, wsize=16, tstep=4, loose=0.0, verbose="error")
    for seed in range(3):
        noise = _simulated(evoked, fwd, cov, 0.0, seed)
        stc, info = tf_mixed_norm(noise, fwd, cov, alpha="noise", random_state=seed,
                                  return_info=True, **kw)
        assert len(stc.data) == 0, f"seed {seed}: {len(stc.data)} sources from noise alone"
        assert len(tf_mixed_norm(noise, fwd, cov, alpha=50.0, **kw).data) > 0
    burst = _simulated(evoked, fwd, cov, 40e-9, 0)
    stc, info = tf_mixed_norm(burst, fwd, cov, alpha="noise", noise_margin=1.6, noise_floor=0.0,
                              return_info=True, **kw)
    assert len(stc.data) > 0
    assert info["alpha"] < 100.0
    expected = 1.6 * np.quantile(info["noise_alpha"], 0.95)
    assert info["alpha"] == pytest.approx(expected, rel=1e-12)
    # the floor takes over where the noise term is below it
    floor = expected + 10.0
    _, info = tf_mixed_norm(burst, fwd, cov, alpha="noise", noise_margin=1.6, noise_floor=floor,
                            return_info=True, **kw)
    assert info["alpha"] == pytest.approx(floor, rel=1e-12)


def test_noise_margin_and_floor_out_of_range_are_refused(sample_data, small_forward):  # noqa: F811
    evoked, cov = sample_data
    with pytest.raises(ValueError, match="noise_margin must be a number >= 1"):
        tf_mixed_norm(evoked, small_forward, cov, alpha="noise", l1_ratio=0.03,
                      noise_margin=0.5, verbose="error")
    with pytest.raises(ValueError, match=r"noise_floor must be in range \[0, 100\)"):
        tf_mixed_norm(evoked, small_forward, cov, alpha="noise", l1_ratio=0.03,
                      noise_floor=100.0, verbose="error")
