"""The signed time course of each active source (tfmxne.inverse._principal_time_courses)."""
import numpy as np

from tfmxne.inverse import _principal_time_courses


def test_a_constant_orientation_gives_its_signed_time_course():
    t = np.linspace(0, 0.5, 151)
    wave = np.sin(2 * np.pi * 10 * t) * np.exp(-((t - 0.25) / 0.08) ** 2)
    toward = np.array([0.6, 0.0, 0.8])  # positive along the normal (the frame's third axis)
    X = np.concatenate([np.outer(toward, wave), np.outer(-toward, 2 * wave)])  # two positions
    out = _principal_time_courses(X, 3)
    np.testing.assert_allclose(out[0], wave, atol=1e-12)
    np.testing.assert_allclose(out[1], -2 * wave, atol=1e-12)  # pointing inwards: negative
    # the norm of the orientations (what the estimate holds) is its absolute value
    np.testing.assert_allclose(np.abs(out), np.linalg.norm(X.reshape(2, 3, -1), axis=1), atol=1e-12)


def test_a_rotating_source_keeps_its_dominant_direction_and_sign_changes():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 0.5, 151)
    wave = np.cos(2 * np.pi * 8 * t)
    X = np.outer([0.1, 0.0, 1.0], wave) + 0.01 * rng.standard_normal((3, len(t)))
    out = _principal_time_courses(X, 3)[0]
    assert np.corrcoef(out, wave)[0, 1] > 0.99
    assert (out > 0).any() and (out < 0).any()
    assert np.all(np.abs(out) <= np.linalg.norm(X, axis=0) + 1e-12)


def test_a_fixed_orientation_is_its_own_time_course():
    X = np.arange(12.0).reshape(3, 4) - 5
    np.testing.assert_array_equal(_principal_time_courses(X, 1), X)
    assert _principal_time_courses(np.zeros((0, 4)), 3).shape == (0, 4)
