"""Building blocks for simulated M/EEG recordings with a known source truth.

The signal model of one recording (channels x samples) is

    data = G_true @ S_true            evoked bursts at known cortical sources
         + G_bg @ S_bg                brain background: random cortical sources, 1/f spectra
         + L @ W                      spatially coloured sensor noise (exponential kernel)
         + E                          white sensor noise
         + D                          slow drift and offsets (what the 1 Hz high-pass removes)

with ``G`` fixed-orientation gains (dipoles normal to the cortex) computed on a
BEM, and ``S_true`` Morlet bursts (time-frequency localised) added at each
trial onset. Every function takes a ``numpy.random.Generator`` so that a seed
fixes the whole dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Brain background (1/f) RMS per channel type, in SI units (T, T/m, V).
BACKGROUND_RMS = {"mag": 120e-15, "grad": 25e-13, "eeg": 6e-6}
#: Spatially coloured sensor noise RMS per channel type.
COLOURED_RMS = {"mag": 40e-15, "grad": 8e-13, "eeg": 3e-6}
#: White sensor noise RMS per channel type.
WHITE_RMS = {"mag": 15e-15, "grad": 4e-13, "eeg": 1.5e-6}
#: Slow drift amplitude per channel type (sum of three sinusoids, 0.02-0.3 Hz).
DRIFT_AMPLITUDE = {"mag": 1.5e-12, "grad": 3e-11, "eeg": 60e-6}
#: Spatial correlation length of the coloured sensor noise (m).
NOISE_LENGTH_SCALE = 0.05


@dataclass(frozen=True)
class Burst:
    """One simulated source: a Morlet burst at a fixed cortical location.

    Attributes
    ----------
    condition : str
        Trial type in which the source is active.
    hemi : {'lh', 'rh'}
    vertex : int
        Vertex number on the fsaverage5 (ico5) white surface of that hemisphere.
    pos_mm : tuple of float
        Position in the source space's MRI surface RAS (mm).
    normal : tuple of float
        Unit dipole orientation (surface normal, MRI frame).
    freq_hz, peak_time_s, amplitude_nam : float
        Burst carrier frequency, envelope peak latency and peak amplitude (nAm).
    n_cycles : float
        Morlet width: envelope standard deviation ``n_cycles / (2 pi freq)``.
    """

    condition: str
    hemi: str
    vertex: int
    pos_mm: tuple
    normal: tuple
    freq_hz: float
    peak_time_s: float
    amplitude_nam: float
    n_cycles: float = 4.0


def morlet_burst(times: np.ndarray, freq: float, peak_time: float, amplitude: float,
                 n_cycles: float = 4.0) -> np.ndarray:
    """Gabor/Morlet burst ``a * exp(-(t - t0)^2 / (2 s^2)) * cos(2 pi f (t - t0))``.

    ``s = n_cycles / (2 pi f)``: a burst localised both in time (s) and in
    frequency (bandwidth ``f / n_cycles``), the kind of signal TF-MxNE's
    time-frequency prior is built for.
    """
    sigma = n_cycles / (2 * np.pi * freq)
    t = times - peak_time
    return amplitude * np.exp(-(t**2) / (2 * sigma**2)) * np.cos(2 * np.pi * freq * t)


def pink_noise(rng: np.random.Generator, n_signals: int, n_times: int, sfreq: float,
               fmin: float = 1.0) -> np.ndarray:
    """Unit-RMS noise with a ``1/f`` power spectrum above ``fmin`` (flat below).

    White Gaussian noise shaped in the Fourier domain by ``1/sqrt(max(f, fmin))``.
    """
    spec = np.fft.rfft(rng.standard_normal((n_signals, n_times)), axis=1)
    freqs = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    spec *= 1.0 / np.sqrt(np.maximum(freqs, fmin))
    out = np.fft.irfft(spec, n=n_times, axis=1)
    return out / out.std(axis=1, keepdims=True)


def channel_types(info) -> np.ndarray:
    """Channel type per channel ('mag', 'grad', 'eeg', 'eog', ...)."""
    return np.array(info.get_channel_types())


def per_type(info, values: dict) -> np.ndarray:
    """Column vector with ``values[type]`` for each channel (0 for other types)."""
    return np.array([values.get(t, 0.0) for t in channel_types(info)])[:, np.newaxis]


def coloured_sensor_noise(rng: np.random.Generator, info, n_times: int,
                          length_scale: float = NOISE_LENGTH_SCALE) -> np.ndarray:
    """Sensor noise correlated across nearby sensors of the same type.

    Covariance ``C_ij = exp(-|r_i - r_j| / length_scale)`` within each channel
    type (positions from ``info``), sampled as ``chol(C) @ W`` with ``W`` white,
    and scaled to :data:`COLOURED_RMS`.
    """
    types = channel_types(info)
    pos = np.array([ch["loc"][:3] for ch in info["chs"]])
    out = np.zeros((len(types), n_times))
    for kind, rms in COLOURED_RMS.items():
        idx = np.flatnonzero(types == kind)
        if not len(idx):
            continue
        dist = np.linalg.norm(pos[idx, None] - pos[None, idx], axis=-1)
        chol = np.linalg.cholesky(np.exp(-dist / length_scale) + 1e-6 * np.eye(len(idx)))
        out[idx] = rms * (chol @ rng.standard_normal((len(idx), n_times)))
    return out


def slow_drift(rng: np.random.Generator, info, n_times: int, sfreq: float) -> np.ndarray:
    """Per-channel slow drift: three sinusoids at 0.02-0.3 Hz plus an offset.

    Slow enough to survive baseline correction within an epoch as a trend,
    removed by a 1 Hz high-pass (amplitudes: :data:`DRIFT_AMPLITUDE`).
    """
    t = np.arange(n_times) / sfreq
    n_ch = info["nchan"]
    freqs = rng.uniform(0.02, 0.3, (n_ch, 3, 1))
    phases = rng.uniform(0, 2 * np.pi, (n_ch, 3, 1))
    drift = np.sin(2 * np.pi * freqs * t + phases).sum(1) / np.sqrt(1.5)
    drift += rng.uniform(-1, 1, (n_ch, 1))
    return per_type(info, DRIFT_AMPLITUDE) * drift


def make_events(rng: np.random.Generator, conditions, n_trials: int, sfreq: float,
                soa=(1.0, 1.4), start: float = 2.0) -> np.ndarray:
    """MNE events array: ``n_trials`` of each condition in random order.

    Onsets are separated by a uniformly jittered SOA; event codes are
    1..len(conditions) in the order given.
    """
    codes = np.repeat(np.arange(1, len(conditions) + 1), n_trials)
    rng.shuffle(codes)
    onsets = start + np.concatenate([[0.0], np.cumsum(rng.uniform(*soa, len(codes) - 1))])
    return np.c_[np.round(onsets * sfreq).astype(int), np.zeros(len(codes), int), codes]


def vertex_normals(rr: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Unit vertex normals: area-weighted sum of the adjacent triangle normals."""
    tri_n = np.cross(rr[tris[:, 1]] - rr[tris[:, 0]], rr[tris[:, 2]] - rr[tris[:, 0]])
    nn = np.zeros_like(rr)
    for k in range(3):
        np.add.at(nn, tris[:, k], tri_n)
    return nn / np.linalg.norm(nn, axis=1, keepdims=True)


def fixed_orientation_gain(info, trans, bem, rr_mri: np.ndarray, nn_mri: np.ndarray,
                           verbose=False) -> np.ndarray:
    """Gain of dipoles at given MRI positions with given orientations.

    A discrete source space (``mne.setup_volume_source_space(pos=...)``) holds
    only the requested points, so this is much cheaper than a full cortical
    forward. Columns are projected on ``nn_mri`` (rotated to the head frame).

    Returns
    -------
    gain : ndarray, shape (n_channels, n_dipoles)
        In SI units per A*m.
    """
    import mne

    from tfmxne_workflow.headmodels.template import single_threaded_blas

    src = mne.setup_volume_source_space(
        pos=dict(rr=np.asarray(rr_mri, float), nn=np.asarray(nn_mri, float)), verbose=verbose
    )
    with single_threaded_blas():
        fwd = mne.make_forward_solution(info, trans=trans, src=src, bem=bem, meg=True,
                                        eeg=True, mindist=0.0, verbose=verbose)
    if fwd["nsource"] != len(rr_mri):
        raise RuntimeError(f"{len(rr_mri) - fwd['nsource']} simulated sources fell outside the BEM")
    rot = fwd["mri_head_t"]["trans"][:3, :3]
    nn_head = nn_mri @ rot.T
    gain = fwd["sol"]["data"].reshape(fwd["nchan"], -1, 3)
    gain = np.einsum("cdk,dk->cd", gain, nn_head)
    # forward rows follow fwd['info'] order; return them in ``info`` order (0 for non-M/EEG)
    out = np.zeros((info["nchan"], gain.shape[1]))
    index = {name: i for i, name in enumerate(info["ch_names"])}
    for row, name in enumerate(fwd["sol"]["row_names"]):
        out[index[name]] = gain[row]
    return out


def source_candidates(cortex: dict, spec: dict, radius_mm: float = 12.0,
                      min_vertex: int = 2562) -> np.ndarray:
    """Vertices eligible for one simulated source.

    Those of ``spec['hemi']`` within ``radius_mm`` of ``spec['target_mm']``
    and with number >= ``min_vertex``: fsaverage5 vertices below 2562 are the
    ico4 vertices the workflow inverts on, so excluding them avoids the
    inverse crime of simulating exactly on the solution grid.

    Parameters
    ----------
    cortex : dict
        ``{hemi: (rr_mm, nn)}`` for all ico5 vertices, in the target MRI frame.
    """
    rr = cortex[spec["hemi"]][0]
    dist = np.linalg.norm(rr - np.asarray(spec["target_mm"]), axis=1)
    cand = np.flatnonzero((dist < radius_mm) & (np.arange(len(rr)) >= min_vertex))
    if not len(cand):
        raise RuntimeError(f"no candidate vertex near {spec}")
    return cand


def visibility(info, gain: np.ndarray) -> np.ndarray:
    """Noise-normalised strength of each gain column (an SNR proxy).

    ``sqrt(sum_type ||g_type||^2 / (n_type * sigma_type^2))`` with ``sigma``
    the total simulated noise RMS of the channel type: high for superficial,
    tangential (MEG-visible) dipoles, low for deep or radial ones.
    """
    types = channel_types(info)
    score = np.zeros(gain.shape[1])
    for kind in ("mag", "grad", "eeg"):
        idx = np.flatnonzero(types == kind)
        if len(idx):
            sigma2 = BACKGROUND_RMS[kind] ** 2 + COLOURED_RMS[kind] ** 2 + WHITE_RMS[kind] ** 2
            score += (gain[idx] ** 2).sum(0) / (len(idx) * sigma2)
    return np.sqrt(score)


def pick_bursts(rng: np.random.Generator, cortex: dict, specs, candidates, scores,
                n_best: int = 3, visible_fraction: float = 0.25):
    """Draw each source near its target among well visible candidates; jitter it.

    Among the ``visible_fraction`` of candidates with the highest visibility
    (MEG is blind to radial and EEG/MEG to deep dipoles), one of the
    ``n_best`` closest to the target is drawn. (Taking the very most visible
    ones would pick extreme gyral crowns at the edge of the cortex.)

    Parameters
    ----------
    cortex : dict
        ``{hemi: (rr_mm, nn)}``.
    specs : list of dict
        ``condition, hemi, target_mm, freq_hz, peak_time_s, amplitude_nam``.
    candidates : list of ndarray
        Candidate vertices per spec (:func:`source_candidates`).
    scores : list of ndarray
        Their :func:`visibility`.

    Returns
    -------
    bursts : list of Burst
    chosen : list of int
        Index of the chosen vertex within each spec's candidates.

    Latency (+-10 ms) and amplitude (+-10 %) are jittered, so each subject differs.
    """
    bursts, chosen = [], []
    for spec, cand, score in zip(specs, candidates, scores):
        rr_c = cortex[spec["hemi"]][0][cand]
        dist = np.linalg.norm(rr_c - np.asarray(spec["target_mm"]), axis=1)
        ok = np.flatnonzero(score >= np.quantile(score, 1 - visible_fraction))
        k = int(rng.choice(ok[np.argsort(dist[ok])][:n_best]))
        v = int(cand[k])
        rr, nn = cortex[spec["hemi"]]
        chosen.append(k)
        bursts.append(Burst(
            condition=spec["condition"], hemi=spec["hemi"], vertex=v,
            pos_mm=tuple(float(x) for x in rr[v]), normal=tuple(float(x) for x in nn[v]),
            freq_hz=float(spec["freq_hz"]),
            peak_time_s=round(float(spec["peak_time_s"] + rng.uniform(-0.01, 0.01)), 4),
            amplitude_nam=round(float(spec["amplitude_nam"] * rng.uniform(0.9, 1.1)), 2),
        ))
    return bursts, chosen


def simulate_data(rng: np.random.Generator, info, events: np.ndarray, event_codes: dict,
                  bursts, gain_true: np.ndarray, gain_bg: np.ndarray, n_times: int,
                  latency_jitter_s: float = 0.002, amplitude_jitter: float = 0.15) -> np.ndarray:
    """Sum of the signal model's terms (see module docstring), channels x samples.

    Each trial adds every burst of its condition, with a small latency and
    amplitude jitter (phase-locked, so they survive averaging). The brain
    background is scaled so that its RMS per channel type is
    :data:`BACKGROUND_RMS`.
    """
    sfreq = info["sfreq"]
    n_ch = info["nchan"]
    data = np.zeros((n_ch, n_times))
    # evoked bursts
    half = int(round(0.5 * sfreq))
    t_rel = np.arange(-half, 2 * half) / sfreq
    code_of = {cond: code for cond, code in event_codes.items()}
    for j, b in enumerate(bursts):
        code = code_of[b.condition]
        for onset in events[events[:, 2] == code, 0]:
            wave = morlet_burst(
                t_rel, b.freq_hz, b.peak_time_s + rng.normal(0, latency_jitter_s),
                b.amplitude_nam * 1e-9 * (1 + rng.normal(0, amplitude_jitter)), b.n_cycles,
            )
            lo, hi = onset - half, onset + 2 * half
            keep = slice(max(0, -lo), len(t_rel) - max(0, hi - n_times))
            data[:, max(lo, 0) : min(hi, n_times)] += np.outer(gain_true[:, j], wave[keep])
    # brain background
    bg = gain_bg @ pink_noise(rng, gain_bg.shape[1], n_times, sfreq)
    types = channel_types(info)
    for kind, rms in BACKGROUND_RMS.items():
        idx = np.flatnonzero(types == kind)
        if len(idx):
            bg[idx] *= rms / np.sqrt(np.mean(bg[idx] ** 2))
    data += bg
    data += coloured_sensor_noise(rng, info, n_times)
    data += per_type(info, WHITE_RMS) * rng.standard_normal((n_ch, n_times))
    data += slow_drift(rng, info, n_times, sfreq)
    return data


def blink_eog(rng: np.random.Generator, n_times: int, sfreq: float, rate_hz: float = 0.25,
              amplitude: float = 150e-6) -> np.ndarray:
    """EOG trace: blinks (~250 ms half-sines at random times) on white noise."""
    eog = 5e-6 * rng.standard_normal(n_times)
    width = int(0.25 * sfreq)
    blink = amplitude * np.sin(np.linspace(0, np.pi, width))
    for onset in rng.uniform(0, n_times / sfreq, rng.poisson(rate_hz * n_times / sfreq)):
        i = int(onset * sfreq)
        seg = slice(i, min(i + width, n_times))
        eog[seg] += blink[: seg.stop - seg.start]
    return eog
