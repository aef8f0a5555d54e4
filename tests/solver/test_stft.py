"""FFT-based STFT frame against MNE's, and its tight-frame identities."""

import numpy as np
import pytest
from mne.inverse_sparse.mxne_optim import _Phi, _PhiT
from mne.time_frequency import istft as mne_istft
from mne.time_frequency import stft as mne_stft

from tfmxne.stft import STFT, TFDictionary, istft, stft

PARAMS = [(16, 4), (64, 4), (32, 16), (8, 2), (12, 6), (64, 32)]


@pytest.mark.parametrize("n_times", [37, 100, 101, 421])
@pytest.mark.parametrize("wsize,tstep", PARAMS)
def test_stft_matches_mne(n_times, wsize, tstep):
    """Same coefficients and inverse as mne.time_frequency on odd/even lengths."""
    x = np.random.default_rng(n_times).standard_normal((3, n_times))
    Z_mne = mne_stft(x, wsize, tstep, verbose=False)
    Z = stft(x, wsize, tstep)
    assert Z.shape == Z_mne.shape
    np.testing.assert_allclose(Z, Z_mne, rtol=0, atol=1e-12)
    np.testing.assert_allclose(istft(Z, tstep, n_times),
                               mne_istft(Z_mne, tstep, n_times), atol=1e-12)
    # perfect reconstruction
    np.testing.assert_allclose(istft(Z, tstep, n_times), x, atol=1e-12)


@pytest.mark.parametrize("wsize,tstep", PARAMS)
def test_parseval_and_adjoint(wsize, tstep):
    """||x|| = ||Phi x||_c (half-spectrum counts) and <Phi x, Z>_c = <x, Phi^H Z>."""
    rng = np.random.default_rng(0)
    n_times = 101
    tf = TFDictionary(wsize, tstep, n_times)
    x = rng.standard_normal((4, n_times))
    Z = tf.analysis(x)
    np.testing.assert_allclose(tf.norm2(Z), np.sum(x**2, axis=1), rtol=1e-12)
    W = rng.standard_normal(Z.shape) + 1j * rng.standard_normal(Z.shape)
    lhs = np.real(np.conj(Z) * W) @ tf.counts
    np.testing.assert_allclose(lhs, np.sum(x * tf.synthesis(W), axis=1), rtol=1e-10)
    # L1 norm with counts against MNE's stft_norm1 convention
    f = tf.frames[0]
    l1 = np.abs(Z).reshape(4, f.n_freqs, f.n_steps)
    expected = 2 * l1.sum((1, 2)) - l1[:, 0].sum(1) - l1[:, -1].sum(1)
    np.testing.assert_allclose(tf.norm1(Z), expected, rtol=1e-12)


def test_multi_dictionary_scaling():
    """Several frames: 1/sqrt(D) scaling, same operators as MNE's _Phi/_PhiT."""
    rng = np.random.default_rng(1)
    n_times = 50
    wsize, tstep = np.array([16, 32]), np.array([4, 8])
    tf = TFDictionary(wsize, tstep, n_times)
    n_steps = np.ceil(n_times / tstep).astype(int)
    n_freqs = wsize // 2 + 1
    phi = _Phi(wsize, tstep, n_steps * n_freqs, n_times)
    phiT = _PhiT(tstep, n_freqs, n_steps, n_times)
    x = rng.standard_normal((3, n_times))
    Z = tf.analysis(x)
    np.testing.assert_allclose(Z, phi(x), atol=1e-12)
    W = rng.standard_normal(Z.shape) + 1j * rng.standard_normal(Z.shape)
    np.testing.assert_allclose(tf.synthesis(W), phiT(W), atol=1e-12)
    np.testing.assert_allclose(tf.synthesis(Z), x, atol=1e-12)
    np.testing.assert_allclose(tf.norm2(Z), phi.norm(Z, ord=2), rtol=1e-12)
    np.testing.assert_allclose(tf.norm2(Z), np.sum(x**2, axis=1), rtol=1e-12)


def test_invalid_parameters():
    with pytest.raises(ValueError, match="multiple of 4"):
        STFT(18, 2, 10)
    with pytest.raises(ValueError, match="divider"):
        STFT(16, 6, 10)
    with pytest.raises(ValueError, match="smaller than half"):
        STFT(16, 16, 10)
    with pytest.raises(ValueError, match="same number"):
        TFDictionary([16, 32], [4], 10)


def test_memory_is_linear():
    """No dense operator: the frame only stores O(n_times) windows."""
    f = STFT(64, 4, 3000)
    assert f._analysis.size == f.n_steps * 64


def test_frequencies_name_each_coefficient():
    """A sinusoid on a bin of each window: its largest coefficient is at that frequency."""
    from tfmxne.inverse import _peak_frequencies

    sfreq, n_times = 300.0, 150
    t = np.arange(n_times) / sfreq
    tf = TFDictionary([16, 64], [4, 8], n_times)
    freqs = tf.frequencies(sfreq)
    assert freqs.shape == (tf.n_coefs,) and freqs.max() == sfreq / 2
    for f in (37.5, 75.0):  # bins of both windows (300 / 16 = 18.75, 300 / 64 = 4.6875 Hz)
        Z = tf.analysis(np.sin(2 * np.pi * f * t)[None])
        assert freqs[np.argmax(np.abs(Z[0]))] == f
        # three orientations of one position: the power is summed over them
        Z3 = np.concatenate([Z * 0.2, Z, Z * 0.1])
        assert _peak_frequencies(Z3, 3, [16, 64], [4, 8], n_times, sfreq).tolist() == [f]
