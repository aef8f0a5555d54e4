"""Stability selection's pieces on arrays (tfmxne.stability) and the warm start it uses."""

import numpy as np
import pytest

from test_inverse import SAMPLE, sample_data  # noqa: F401 (fixtures)

from tfmxne import TFDictionary, alpha_max, solve
from tfmxne.solver import active_positions
from tfmxne.stability import match, stability_selection


def _problem(seed=0, n_sensors=20, n_positions=30, n_times=64):
    """A random gain and data of two sources (positions 3 and 17) plus weak noise."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n_sensors, n_positions))
    t = np.arange(n_times) / 100.0
    X = np.zeros((n_positions, n_times))
    X[3] = np.sin(2 * np.pi * 10 * t) * np.hanning(n_times)
    X[17] = np.cos(2 * np.pi * 20 * t) * np.hanning(n_times)
    M = G @ X + 0.05 * rng.standard_normal((n_sensors, n_times))
    positions = np.c_[np.arange(n_positions) * 0.02, np.zeros((n_positions, 2))]  # 20 mm apart
    return M, G, positions, rng


def test_match_takes_the_nearest_within_the_radius():
    cand = np.array([[0.0, 0, 0], [1.0, 0, 0]])
    found = np.array([[0.004, 0, 0], [0.002, 0, 0], [0.5, 0, 0]])
    np.testing.assert_array_equal(match(cand, found, 0.005), [1, -1])
    np.testing.assert_array_equal(match(cand, found[:0], 0.005), [-1, -1])


def test_warm_start_from_a_result_gives_the_cold_answer():
    M, G, _, _ = _problem()
    kw = dict(wsize=16, tstep=4, tol=1e-10, maxit=2000)
    cold = solve(M, G, 2.0, 0.1, **kw)
    warm = solve(M, G, 1.5, 0.1, Z_init=cold, **kw)
    reference = solve(M, G, 1.5, 0.1, **kw)
    np.testing.assert_array_equal(warm.active_set, reference.active_set)
    np.testing.assert_allclose(warm.X, reference.X, atol=1e-6 * np.abs(reference.X).max())
    with pytest.raises(ValueError, match="another gain"):
        solve(M, G[:, :10], 1.5, 0.1, Z_init=cold, **kw)


def test_real_sources_are_stable_and_a_threshold_refits_on_the_stable_ones():
    """Two real sources are confirmed by every resample; at a low alpha, positions that only
    fit the noise are missed by some; a threshold keeps the stable ones and refits on them.
    """
    M, G, positions, rng = _problem()
    kw = dict(wsize=16, tstep=4, maxit=2000)
    a = 0.015 * alpha_max(G, M, TFDictionary(np.array([16]), np.array([4]), M.shape[1]), 0.05, 1)
    result = solve(M, G, 0.95 * a, 0.05 * a, tol=1e-8, **kw)
    candidates = active_positions(result.active_set, 1)
    assert {3, 17} < set(candidates), candidates
    resamples = [M + 0.05 * rng.standard_normal(M.shape) for _ in range(20)]
    stability, refit = stability_selection(M, resamples, G, 0.95 * a, 0.05 * a, result, positions,
                                           radius=0.005, threshold=0.8, n_orient=1, tol=1e-8,
                                           weakness=0.5, random_state=1, **kw)
    freq = dict(zip(stability.candidates, stability.frequency))
    assert freq[3] == 1.0 and freq[17] == 1.0
    assert not stability.kept.all(), freq
    np.testing.assert_array_equal(stability.kept, stability.frequency >= 0.8)
    assert {3, 17} <= set(active_positions(refit.active_set, 1)) <= set(stability.candidates[stability.kept])
    # each confirmed resample holds the matched source's time course, NaN elsewhere
    courses = stability.time_courses(1)
    assert courses.shape == (len(candidates), 20, 1, M.shape[1])
    assert np.isfinite(courses[list(candidates).index(3)]).all()
    assert np.isnan(courses[stability.matched < 0]).all()


def test_a_resample_without_sources_confirms_nothing():
    M, G, positions, rng = _problem()
    kw = dict(wsize=16, tstep=4, maxit=2000)
    result = solve(M, G, 1.0, 0.05, tol=1e-8, **kw)
    empty = [1e-3 * rng.standard_normal(M.shape), M]  # the first: alpha above its alpha_max
    stability, refit = stability_selection(M, empty, G, 1.0, 0.05, result, positions, radius=0.005,
                                           threshold=0.0, n_orient=1, tol=1e-8, **kw)
    assert (stability.matched[:, 0] == -1).all() and (stability.matched[:, 1] >= 0).all()
    np.testing.assert_allclose(stability.frequency, 0.5)
    assert np.isnan(stability.time_courses(1)[:, 0]).all()
    assert refit is result


@pytest.mark.sample
@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"sample data not found in {SAMPLE}")
def test_the_solve_stage_resamples_halves_of_the_epochs_when_given(sample_data, small_forward):  # noqa: F811
    """Epochs of the sample response plus noise of the covariance: their halves are the resamples."""
    import mne

    from tfmxne_simulation.localisation import settings_of
    from tfmxne_workflow.stages import solve as solve_stage
    from tfmxne_workflow.stages import stability as stability_stage

    evoked, cov = sample_data
    evoked = evoked.copy().pick(["meg", "eeg"], exclude=[])
    cov = cov.copy().pick_channels(evoked.ch_names, ordered=True)
    e, v = np.linalg.eigh(cov.data)
    trials = np.random.default_rng(0).standard_normal((12, *evoked.data.shape))
    noise = np.einsum("ij,ejt->eit", v * np.sqrt(np.clip(e, 0, None)), trials)  # of the covariance
    epochs = mne.EpochsArray(evoked.data + noise, evoked.info, tmin=evoked.times[0], verbose="error")
    average = epochs.average()
    settings = settings_of({"tfmxne": {"alpha": 50.0, "tmin": 0.05, "tmax": 0.2},
                            "crop": {"tmin": 0.1, "tmax": 0.15},
                            "stability": {"n_resamples": 3}}).solve("meg")
    halves = solve_stage.solve_recording(average, small_forward, cov, settings, epochs=epochs)
    drawn = solve_stage.solve_recording(average, small_forward, cov, settings)
    assert (halves.record["resampling"], drawn.record["resampling"]) == ("trial halves", "noise")
    np.testing.assert_array_equal(halves.stc.data, drawn.stc.data)  # the data's solution is the same
    assert not np.allclose(halves.resamples["amplitude"], drawn.resamples["amplitude"], equal_nan=True)
    # the resamples are the solves of the halves' averages
    cropped = average.copy().crop(*settings["window"])
    given = stability_stage.trial_halves(epochs, cropped, 3, settings["solver"]["random_state"])
    direct = solve_stage.solve_tfmxne(cropped, small_forward, cov, resamples=given, **settings["solver"],
                                      **stability_stage.solver_params(settings["stability"]))
    np.testing.assert_array_equal(halves.resamples["amplitude"], direct.resamples["amplitude"])
