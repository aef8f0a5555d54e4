"""What the subject report shows of a solve: alpha, non-convergence of the solver and the debiasing, the dense estimate."""
import functools

import numpy as np
import pytest
from conftest import SAMPLE_DIR

import tfmxne.solver
from tfmxne.debias import compute_bias
from tfmxne_workflow.stages import crop, dense, report, sources
from tfmxne_workflow.stages.solve import DEBIAS_NOT_CONVERGED, solve_tfmxne

pytestmark = [pytest.mark.sample,
              pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason=f"sample data not found in {SAMPLE_DIR}")]


def test_debiasing_says_when_it_stops_at_its_cap():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((20, 3))
    X = rng.standard_normal((3, 40))
    M = G @ (2.0 * X)
    _, converged = compute_bias(M, G, X)
    assert converged
    _, converged = compute_bias(M, G, X, max_iter=1)
    assert not converged


#: The dense stage's settings (as Settings.dense gives them, window the crop window).
DENSE = {"method": "dSPM", "snr": 3.0, "window": [0.08, 0.17], "loose": 0.2, "depth": 0.9}


def _html(cond, forward, folder):
    """The report of one condition, as the rule writes it."""
    fname = folder / "report.html"
    report.build_report("t", [cond], forward, cond["noise_cov"], folder, DENSE).save(
        fname, open_browser=False, verbose="error")
    return fname.read_text(encoding="utf-8")


def _condition(sample_evoked_cov, small_forward, **params):
    """One condition of the sample response as the report gets it, solved with ``params``."""
    evoked, cov = sample_evoked_cov
    solution = solve_tfmxne(evoked.copy().crop(0.05, 0.2), small_forward, cov, l1_ratio=0.05, loose=0.2,
                            depth=0.9, wsize=16, tstep=4, debias=True, **params)
    stc, cropped, residual = crop.crop_results(solution.stc, evoked.copy().crop(0.05, 0.2),
                                               solution.residual, 0.08, 0.17)
    return {"trial_type": "Left visual", "label": "Leftvisual", "average": evoked, "noise_cov": cov,
            "evoked": cropped, "residual": residual,
            "signed": solution.signed, "record": solution.record, "truth": None,
            "dense": dense.dense_estimate(evoked, small_forward, cov, DENSE),
            "sources": sources.sources_table(stc, small_forward, solution.record, "Left visual",
                                             solution.signed)}


def test_forced_non_convergence_and_alpha_appear_in_the_report(sample_evoked_cov, small_forward,
                                                               tmp_path, monkeypatch):
    monkeypatch.setattr(tfmxne.solver, "compute_bias", functools.partial(compute_bias, max_iter=1))
    cond = _condition(sample_evoked_cov, small_forward, alpha=50.0, maxit=1, tol=1e-12)
    record = cond["record"]
    assert not record["converged"] and record["debias_converged"] is False and record["n_active"]
    html = _html(cond, small_forward, tmp_path)
    assert "not converged: final duality gap" in html
    assert "raise tfmxne.maxit" in html
    assert DEBIAS_NOT_CONVERGED.replace("'", "&#x27;") in html
    absolute = record["alpha"] * record["alpha_max"] / 100
    assert f"alpha = 50 % of alpha_max = {absolute:.4g} (alpha_max = {record['alpha_max']:.4g}:" in html




def test_the_dense_estimate_is_mne_s_on_the_crop_window_and_its_peak_is_reported(sample_evoked_cov, small_forward,
                                                                                  tmp_path):
    import mne

    evoked, cov = sample_evoked_cov
    stc = dense.dense_estimate(evoked, small_forward, cov, DENSE)
    inv = mne.minimum_norm.make_inverse_operator(evoked.info, small_forward, cov, loose=0.2, depth=0.9,
                                                 verbose="error")
    expected = mne.minimum_norm.apply_inverse(evoked.copy().crop(0.08, 0.17), inv, 1 / 9, "dSPM",
                                              verbose="error")
    np.testing.assert_allclose(stc.data, expected.data)
    assert stc.times[0] == pytest.approx(0.08, abs=1e-3) and stc.times[-1] == pytest.approx(0.17, abs=1e-3)
    hemi, vertex, time, value = dense.peak(stc)
    assert abs(value) == np.abs(stc.data).max() and time in stc.times
    cond = _condition(sample_evoked_cov, small_forward, alpha=50.0, maxit=3000, tol=1e-4)
    assert cond["record"]["converged"] and cond["record"]["debias_converged"] is True
    html = _html(cond, small_forward, tmp_path)
    assert "not converged" not in html and "debiasing" not in html and "Warning:" not in html
    assert ("Dense estimate (dSPM, SNR 3: lambda2 = 1/SNR²" in html
            and f"peak {value:.3g} (dSPM value (noise-normalised, F statistic)) at {hemi}:{vertex}" in html)
    assert (tmp_path / "Leftvisual_dense.png").is_file()
    assert "Noise covariance" in html and "Left visual: average (whole epoch) whitened with the noise" in html
    assert (tmp_path / "Leftvisual_whitened.png").is_file()
