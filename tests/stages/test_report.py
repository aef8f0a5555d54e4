"""What the subject report shows of a solve: alpha, non-convergence of the solver and the debiasing, the dense estimate."""
import functools
import html

import numpy as np
import pytest
from conftest import SAMPLE_DIR

import tfmxne.solver
from tfmxne.debias import compute_bias
from tfmxne_workflow.stages import crop, dense, report, sources
from tfmxne_workflow.stages.solve import debias_text, solve_tfmxne

pytestmark = [pytest.mark.sample,
              pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason=f"sample data not found in {SAMPLE_DIR}")]


def test_debiasing_says_when_it_stops_at_its_cap():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((20, 3))
    X = rng.standard_normal((3, 40))
    M = G @ (2.0 * X)
    converged, error = compute_bias(M, G, X)
    assert error == 0.0
    stopped, error = compute_bias(M, G, X, max_iter=1)
    assert error == pytest.approx(np.max(np.abs(stopped - converged) / converged), rel=1e-3) and error > 0.05


@pytest.mark.parametrize("error, advice", [(0.014, "Below 5 %: nothing to do."),
                                           (0.2, "Read the amplitudes as approximate, or set tfmxne.debias: false")])
def test_the_debiasing_text_says_how_far_and_what_to_do(error, advice):
    text = debias_text({"debias_converged": False, "debias_error": error})
    assert f"differ by up to {100 * error:.2g} % from converged ones" in text and text.endswith(advice + (
        "" if error < 0.05 else " to report the penalised ones."))
    assert debias_text({"debias_converged": True, "debias_error": 0.0}) is None
    assert debias_text({"debias_converged": None, "debias_error": None}) is None


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
    assert record["debias_error"] > 0.05
    page = _html(cond, small_forward, tmp_path)
    assert "not converged: final duality gap" in page
    assert "raise tfmxne.maxit" in page
    assert f"<b style='color:#b00'>{html.escape(debias_text(record))}</b>" in page
    assert "Read the amplitudes as approximate" in page
    absolute = record["alpha"] * record["alpha_max"] / 100
    assert f"alpha = 50 % of alpha_max = {absolute:.4g} (alpha_max = {record['alpha_max']:.4g}:" in page




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
    assert cond["record"]["debias_error"] == 0.0
    page = _html(cond, small_forward, tmp_path)
    assert "not converged" not in page and "debiasing" not in page and "Warning:" not in page
    assert ("Dense estimate (dSPM, SNR 3: lambda2 = 1/SNR²" in page
            and f"peak {value:.3g} (dSPM value (noise-normalised, F statistic)) at {hemi}:{vertex}" in page)
    assert (tmp_path / "Leftvisual_dense.png").is_file()
    assert "Noise covariance" in page and "Left visual: average (whole epoch) whitened with the noise" in page
    assert (tmp_path / "Leftvisual_whitened.png").is_file()
