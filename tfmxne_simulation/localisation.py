"""Localisation benchmark: simulated evoked responses with a known truth, solved and scored.

A :class:`Head` holds what stays fixed across recordings: the channels, the forward the
workflow inverts with (its default ``oct5`` source space), a pool of *simulation* dipoles
(fsaverage5 ico5 vertices that are neither ico4 nor inversion vertices, oriented along the
cortical normal, with their gains from a separate forward call: no inverse crime) and the
sensor noise covariance of single trials.

:func:`simulate_recording` draws one recording: 1-4 Gabor bursts (4-40 Hz, 20-200 ms,
50-300 ms latency, 5-50 nAm) at random pool dipoles (both hemispheres, deep and superficial,
some pairs 10-30 mm apart), ``nave`` trials (20-200) of noise from the covariance with a
first-order temporal colouring, then the workflow's own preprocessing: baseline correction,
average, and a ``shrunk`` baseline covariance.

:func:`run_configuration` solves a recording with one configuration through the workflow's
own path (the plan's settings, the dSPM, solve, crop and sources-table stages) and
:func:`score` compares the sources table's rows with the truth.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

#: Distance (mm) within which an estimate recovers a true source.
RECALL_MM = 10.0
#: Distance (mm) beyond which an estimate, far from every true source, is spurious.
SPURIOUS_MM = 20.0
#: Temporal correlation of successive noise samples (AR(1) coefficient at ~150 Hz).
NOISE_AR = 0.6
#: Sampling rate (Hz) of the simulated recordings (the sample data decimated by 4).
SFREQ = 600.614990234375 / 4
#: Baseline covariance estimator: Ledoit-Wolf's analytic shrinkage (0.6 s per recording
#: here); the workflow's default ``shrunk`` cross-validates the same kind of shrinkage
#: (12 s per recording of 366 channels), which would dominate the benchmark's time.
COV_METHOD = "ledoit_wolf"
#: Size of the pool of simulation dipoles per head.
POOL_SIZE = 3000
#: The bad channels of MNE's sample recording (its raw file marks them; the evoked and
#: covariance files here do not): MEG 2443's noise is far above its neighbours'.
SAMPLE_BADS = ("MEG 2443", "EEG 053")
#: Epoch window (s) of the simulated trials; the workflow's defaults.
EPOCH_TMIN, EPOCH_TMAX = -0.2, 0.5


@dataclass
class Head:
    """Fixed parts of a benchmark head (see the module docstring)."""

    name: str
    info: object          # mne.Info of the simulated channels (with projectors)
    forward: object       # inversion forward (surface orientation)
    pool_mm: np.ndarray   # (n_pool, 3) simulation dipoles, MRI surface RAS (mm)
    pool_hemi: np.ndarray  # (n_pool,) 'lh' / 'rh'
    pool_gain: np.ndarray  # (n_channels, n_pool) fixed-orientation gains, info order
    noise_cov: np.ndarray  # (n_channels, n_channels) single-trial noise covariance
    inner_skull_mm: np.ndarray  # (n_vertices, 3) the inner skull's vertices, MRI (mm)
    bads: list = field(default_factory=list)  # the recording's bad channels (raw recordings)

    @cached_property
    def pool_depth_mm(self) -> np.ndarray:
        """Depth of each simulation dipole: its distance (mm) to the nearest inner-skull vertex."""
        from scipy.spatial import cKDTree

        return cKDTree(self.inner_skull_mm).query(self.pool_mm)[0]

    @cached_property
    def noise_factor(self):
        """``F`` with ``F @ F.T`` the noise covariance.

        A square root of the correlation matrix (eigenvalues clipped at 0), as channel
        units differ by 1e7.
        """
        scale = np.sqrt(np.diag(self.noise_cov))
        s, u = np.linalg.eigh(self.noise_cov / np.outer(scale, scale))
        return scale[:, None] * u * np.sqrt(np.clip(s, 0, None))

    @cached_property
    def whitener(self):
        """Whitener of the true noise covariance (projectors applied)."""
        import mne

        cov = mne.Covariance(self.noise_cov, self.info["ch_names"], [], self.info["projs"], 1000)
        return mne.cov.compute_whitener(cov, self.info, verbose=False)[0]

    @cached_property
    def rank(self) -> int:
        """Rank of the whitened data (channels minus projectors)."""
        return int(np.linalg.matrix_rank(self.whitener))


@dataclass
class Recording:
    """One simulated evoked response with its truth."""

    seed: int
    evoked: object        # mne.Evoked (baseline-corrected average)
    noise_cov: object     # mne.Covariance estimated on the baseline
    truth: list = field(default_factory=list)  # dicts: pos_mm, hemi, latency_s, ...


# ---------------------------------------------------------------------------
# heads
# ---------------------------------------------------------------------------
def _pool(rng, cortex: dict, exclude: dict, n: int):
    """Random ico5 vertices that are not ico4 and not in ``exclude[hemi]``."""
    cand = []
    for hemi in ("lh", "rh"):
        rr, nn = cortex[hemi]
        ok = np.setdiff1d(np.arange(2562, len(rr)), exclude[hemi])
        cand += [(hemi, v) for v in ok]
    pick = rng.choice(len(cand), n, replace=False)
    hemi = np.array([cand[k][0] for k in pick])
    rr = np.array([cortex[cand[k][0]][0][cand[k][1]] for k in pick])
    nn = np.array([cortex[cand[k][0]][1][cand[k][1]] for k in pick])
    return hemi, rr, nn


def _cached_pool(work_dir: Path, name: str, make):
    """Pool (hemi, rr_mm, gain) from ``work_dir/<name>-pool.npz``, computed once."""
    fname = work_dir / f"{name}-pool.npz"
    if fname.is_file():
        d = np.load(fname)
        return d["hemi"], d["rr_mm"], d["gain"]
    hemi, rr_mm, gain = make()
    tmp = fname.with_name(f".{fname.name}.tmp.npz")
    np.savez(tmp, hemi=hemi, rr_mm=rr_mm, gain=gain)
    tmp.replace(fname)
    return hemi, rr_mm, gain


def _exclude(forward) -> dict:
    return {h: s["vertno"] for h, s in zip(("lh", "rh"), forward["src"])}


def sample_head(sample_dir, work_dir, spacing: str = "oct5") -> Head:
    """The real MNE sample head: Neuromag 306 + 60 EEG, 3-layer BEM, real noise covariance.

    The cortex is fsaverage5 fitted inside the sample inner skull
    (:func:`~tfmxne_simulation.sample_head.sample_head_forward`).
    """
    import mne

    from tfmxne._mne_private import unlocked

    from tfmxne_workflow.headmodels.template import single_threaded_blas
    from . import demo, sample_head as sh
    from . import simulate as sim

    work_dir = Path(work_dir)
    paths = sh.sample_paths(sample_dir)
    cov = mne.read_cov(paths["cov"], verbose=False)
    info = sh.read_sample_info(sample_dir, drop_projs=False)
    info = mne.pick_info(info, mne.pick_types(info, meg=True, eeg=True, exclude=[]))
    with unlocked(info):
        info["sfreq"] = SFREQ
        info["lowpass"] = SFREQ / 3.0
    fwd = sh.sample_head_forward(sample_dir, work_dir, spacing=spacing)
    fwd = mne.convert_forward_solution(fwd, surf_ori=True, verbose=False)

    def make():
        cortex = demo._cortex(sh.sample_cortex_affine(sample_dir))
        hemi, rr, nn = _pool(np.random.default_rng(0), cortex, _exclude(fwd), POOL_SIZE)
        bem = mne.read_bem_solution(paths["bem_sol"], verbose=False)
        with single_threaded_blas():
            gain = sim.fixed_orientation_gain(info, paths["trans"], bem, rr / 1000.0, nn)
        return hemi, rr, gain

    hemi, rr, gain = _cached_pool(work_dir, f"sample-{spacing}", make)
    c = mne.pick_channels_cov(cov, info["ch_names"], ordered=True, verbose=False)
    skull = mne.read_surface(paths["inner_skull"])[0]
    return Head("sample MEG+EEG", info, fwd, rr, hemi, gain, c["data"], skull, list(SAMPLE_BADS))


def template_eeg_head(work_dir, spacing: str = "oct5", bem_ico: int = 4) -> Head:
    """The fsaverage5 template head with 60 EEG electrodes (users without MRI).

    Inverted with the workflow's template forward (``bem_ico`` BEM); simulated with the
    demo's coarser ico3 BEM. The noise covariance is the demo's noise model (brain
    background of random cortical dipoles, spatially coloured and white sensor noise).
    """
    import mne

    from tfmxne._mne_private import unlocked

    from tfmxne_workflow.headmodels import template
    from tfmxne_workflow.stages import forward as fwd_stage
    from . import demo, sensors
    from . import simulate as sim

    work_dir = Path(work_dir)
    info = mne.create_info(list(sensors.EEG60), SFREQ, "eeg")
    info.set_montage(sensors.eeg_montage(), verbose=False)
    proj = mne.io.RawArray(np.zeros((60, 2)), info, verbose=False).set_eeg_reference(
        "average", projection=True, verbose=False).info["projs"]
    with unlocked(info):
        info["projs"] = proj
    fname = work_dir / f"template-eeg-{spacing}-ico{bem_ico}-fwd.fif"
    trans = template.template_trans()
    if fname.is_file():
        fwd = mne.read_forward_solution(fname, verbose=False)
    else:
        subjects_dir = work_dir / "subjects"
        fwd_stage.write_template(subjects_dir / "fsaverage5", work_dir / "template-trans.fif")
        src = fwd_stage.source_space("fsaverage5", subjects_dir, spacing)
        bem = fwd_stage.bem_solution("fsaverage5", subjects_dir, template.THREE_LAYER_CONDUCTIVITY,
                                     ico=bem_ico)
        with template.single_threaded_blas():
            fwd = fwd_stage.make_forward(info, trans, src, bem)
        tmp = fname.with_name(f".tmp-{fname.name}")
        mne.write_forward_solution(tmp, fwd, overwrite=True, verbose=False)
        tmp.replace(fname)
    fwd = mne.convert_forward_solution(fwd, surf_ori=True, verbose=False)

    def make():
        cortex = demo._cortex()
        hemi, rr, nn = _pool(np.random.default_rng(1), cortex, _exclude(fwd), POOL_SIZE)
        gain = sim.fixed_orientation_gain(info, trans, demo.template_bem_solution(),
                                          rr / 1000.0, nn)
        return hemi, rr, gain

    hemi, rr, gain = _cached_pool(work_dir, f"template-eeg-{spacing}", make)
    skull = template.template_inner_skull(4)[0] * 1e3
    return Head("template EEG", info, fwd, rr, hemi, gain, _demo_noise_cov(info, gain), skull)


def _demo_noise_cov(info, pool_gain: np.ndarray) -> np.ndarray:
    """Covariance of the demo's noise model (:mod:`.simulate`) for EEG channels."""
    from . import simulate as sim

    rng = np.random.default_rng(2)
    bg = pool_gain[:, rng.choice(pool_gain.shape[1], 200, replace=False)]
    c_bg = bg @ bg.T
    c_bg *= sim.BACKGROUND_RMS["eeg"] ** 2 / np.mean(np.diag(c_bg))
    pos = np.array([ch["loc"][:3] for ch in info["chs"]])
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    c_col = sim.COLOURED_RMS["eeg"] ** 2 * np.exp(-dist / sim.NOISE_LENGTH_SCALE)
    return c_bg + c_col + sim.WHITE_RMS["eeg"] ** 2 * np.eye(len(pos))


# ---------------------------------------------------------------------------
# recordings
# ---------------------------------------------------------------------------
def _draw_sources(rng, head: Head) -> list[int]:
    """Indices into the pool of 1-4 sources.

    With probability 0.3 a source lies 10-30 mm from an earlier one, otherwise anywhere
    at least 30 mm from the others.
    """
    n = int(rng.integers(1, 5))
    chosen = [int(rng.integers(len(head.pool_mm)))]
    while len(chosen) < n:
        dist = np.linalg.norm(head.pool_mm[:, None] - head.pool_mm[chosen][None], axis=-1).min(1)
        near = rng.random() < 0.3
        ok = np.flatnonzero((dist >= 10) & (dist <= 30) if near else dist > 30)
        chosen.append(int(rng.choice(ok)))
    return chosen


def gabor(times: np.ndarray, freq: float, latency: float, duration: float) -> np.ndarray:
    """Unit-peak Gabor burst centred on ``latency``.

    A cosine at ``freq`` under a Gaussian whose +-2 sigma span is ``duration`` (s).
    """
    sigma = duration / 4.0
    return np.exp(-0.5 * ((times - latency) / sigma) ** 2) * np.cos(2 * np.pi * freq * (times - latency))


def simulate_recording(head: Head, seed: int, raw: bool = False) -> Recording:
    """One benchmark recording (see the module docstring); fully determined by ``seed``.

    ``raw``: the same sources and trial count as a continuous recording through the
    workflow's own ingestion (:func:`_record_raw`) instead of simulated epochs.
    """
    rng = np.random.default_rng(seed)
    truth = []
    for k in _draw_sources(rng, head):
        freq = float(np.exp(rng.uniform(np.log(4), np.log(40))))
        duration = float(rng.uniform(0.02, 0.2))
        duration = max(duration, 1.0 / freq)  # at least one cycle
        latency = float(rng.uniform(0.05, 0.3))
        amp = float(np.exp(rng.uniform(np.log(5), np.log(50))))
        truth.append(dict(pool_index=k, pos_mm=head.pool_mm[k], hemi=str(head.pool_hemi[k]), freq_hz=freq,
                          duration_s=duration, latency_s=latency, amplitude_nAm=amp))
    nave = int(round(np.exp(rng.uniform(np.log(20), np.log(200)))))
    return (_record_raw if raw else _record)(head, seed, truth, nave, rng)


def simulate_sources(head: Head, sources: list, nave: int, seed: int) -> Recording:
    """A recording of chosen sources, with noise as in :func:`simulate_recording`.

    ``sources``: dicts with ``pool_index``, ``freq_hz`` (None: a monophasic evoked
    deflection, no oscillation), ``duration_s``, ``latency_s`` and ``amplitude_nAm``.
    """
    truth = [dict(src, pos_mm=head.pool_mm[src["pool_index"]], hemi=str(head.pool_hemi[src["pool_index"]]))
             for src in sources]
    return _record(head, seed, truth, nave, np.random.default_rng(seed))


def _source_signal(head: Head, truth, times) -> np.ndarray:
    """Sensor data (T) of the true sources, one epoch of ``times`` (s)."""
    signal = np.zeros((head.info["nchan"], len(times)))
    for src in truth:
        if src["freq_hz"] is None:
            shape = np.exp(-0.5 * ((times - src["latency_s"]) / (src["duration_s"] / 4.0)) ** 2)
        else:
            shape = gabor(times, src["freq_hz"], src["latency_s"], src["duration_s"])
        signal += np.outer(head.pool_gain[:, src["pool_index"]], src["amplitude_nAm"] * 1e-9 * shape)
    return signal


def _ar1(white: np.ndarray) -> np.ndarray:
    """AR(1) colouring (:data:`NOISE_AR`) along the last axis, unit stationary variance."""
    from scipy.signal import lfilter

    white[..., 0] /= np.sqrt(1 - NOISE_AR**2)  # the first sample at the stationary variance
    return lfilter([np.sqrt(1 - NOISE_AR**2)], [1.0, -NOISE_AR], white, axis=-1)


def _record_raw(head: Head, seed, truth, nave, rng) -> Recording:
    """``nave`` trials in one continuous recording, through the workflow's ingestion.

    The trials start 1.0-1.4 s apart (uniform) in continuous noise of the head's
    covariance and AR(1) colouring, the recording's bad channels marked; the run goes through the epochs stage
    (:func:`tfmxne_workflow.stages.ingest.preprocess_raw`, ``epoch_run``: the schema's
    default filtering, epoch window, baseline and rejection) and the noise-covariance stage
    (:func:`tfmxne_workflow.stages.noise_cov.baseline_covariance`: the default ``shrunk``).
    """
    import mne

    from tfmxne_workflow.stages import ingest, noise_cov

    settings = settings_of({})
    prep, cov_opts = settings["preprocessing"], settings["noise_cov"]
    epoch = np.arange(int(round(EPOCH_TMIN * SFREQ)), int(round(EPOCH_TMAX * SFREQ)) + 1)
    onsets = np.round(SFREQ * (2.0 + np.cumsum(rng.uniform(1.0, 1.4, nave)))).astype(int)
    n_times = onsets[-1] + int(2.0 * SFREQ)
    data = head.noise_factor @ _ar1(rng.standard_normal((head.info["nchan"], n_times)))
    signal = _source_signal(head, truth, epoch / SFREQ)
    for onset in onsets:
        data[:, onset + epoch] += signal
    raw = mne.io.RawArray(data, head.info, verbose=False)
    raw.info["bads"] = list(head.bads)  # as the recording's channels.tsv marks them
    raw.set_annotations(mne.Annotations(onsets / SFREQ, 0.0, "stim"))
    raw = ingest.preprocess_raw(raw, prep["ch_types"], prep["l_freq"], prep["h_freq"], prep["montage"])
    epochs = ingest.epoch_run(raw, {"stim": "stim"}, prep["tmin"], prep["tmax"], prep["baseline"],
                              prep["reject"], prep["decim"], prep["event_repeated"])
    cov = noise_cov.baseline_covariance(epochs, tmax=cov_opts["tmax"], method=cov_opts["method"])
    evoked = ingest.make_evoked(epochs, "stim", "stim")
    _add_snr(truth, head, evoked.nave)
    return Recording(seed, evoked, cov, truth)


def _record(head: Head, seed, truth, nave, rng) -> Recording:
    """The sources of ``truth`` plus ``nave`` trials of noise, averaged; the baseline covariance."""
    import mne

    info = head.info
    times = np.arange(int(round(EPOCH_TMIN * SFREQ)), int(round(EPOCH_TMAX * SFREQ)) + 1) / SFREQ
    signal = _source_signal(head, truth, times)
    white = _ar1(rng.standard_normal((nave, info["nchan"], len(times))))
    trials = np.einsum("ij,njt->nit", head.noise_factor, white) + signal
    epochs = mne.EpochsArray(trials, info, tmin=times[0], baseline=(None, 0.0), verbose=False)
    cov = mne.compute_covariance(epochs, tmax=0.0, method=COV_METHOD, rank=None, verbose=False)
    evoked = epochs.average()
    _add_snr(truth, head, evoked.nave)
    return Recording(seed, evoked, cov, truth)


def _add_snr(truth, head: Head, nave: int) -> None:
    """Peak SNR and depth of each true source in the average.

    ``snr``: ``amp * ||W g|| * sqrt(nave)`` with ``W`` the whitener of the true noise
    covariance (projectors applied): the whitened field's norm at the peak, i.e. the SNR of
    a matched filter (a dipole fit) at one sample. ``gfp_snr``: the source alone's whitened
    global field power at its peak, ``snr ** 2 / rank`` (:meth:`mne.Evoked.plot_white`'s
    chi-squared scale, on which noise alone is about 1). ``depth_mm``:
    :attr:`Head.pool_depth_mm`.
    """
    for src in truth:
        g = head.whitener @ head.pool_gain[:, src["pool_index"]]
        src["snr"] = float(src["amplitude_nAm"] * 1e-9 * np.linalg.norm(g) * np.sqrt(nave))
        src["gfp_snr"] = src["snr"] ** 2 / head.rank
        src["depth_mm"] = float(head.pool_depth_mm[src["pool_index"]])


# ---------------------------------------------------------------------------
# solving and scoring
# ---------------------------------------------------------------------------
#: The study keys the schema requires, which a simulated recording (no BIDS dataset) leaves unused.
NO_STUDY = {"bids_root": "", "task": ""}


def settings_of(config: dict):
    """The plan's settings of ``config`` (as a user writes it) for recordings without a study."""
    from tfmxne_workflow.plan.config import resolve
    from tfmxne_workflow.plan.settings import Settings

    return Settings(resolve({**NO_STUDY, **config})[0])


class Run(NamedTuple):
    """One configuration's result on one recording."""

    stc: object         # the estimate, cropped to the reported window
    record: dict        # the solve's convergence record
    elapsed: float      # wall time (s) of dSPM plus solve
    sources: object     # the sources table of the estimate (pandas.DataFrame, as *_sources.tsv)


def run_configuration(recording: Recording, head: Head, config: dict, dspm_cache: dict | None = None) -> Run:
    """Solve one recording as the solve rule does, with ``config`` (a configuration as a user writes it).

    The same path as the workflow's: the plan resolves ``config`` (schema, defaults, ``auto``
    for the head's channels) into the solve stage's settings, then the dSPM stage (when
    weighted), :func:`tfmxne_workflow.stages.solve.solve_recording`, the crop stage and the
    sources table. ``dspm_cache`` (dict) reuses a dSPM computed for the same
    recording and settings.
    """
    from tfmxne_workflow.plan import auto
    from tfmxne_workflow.stages import crop, solve, sources

    settings = settings_of(config)
    view = settings.solve(auto.modality(auto.good_channel_types(recording.evoked.info)))
    weights, dspm_time = dspm_prior(recording, head, settings, dspm_cache) if view["weights"] else (None, 0.0)
    start = time.perf_counter() - dspm_time
    solution = solve.solve_recording(recording.evoked, head.forward, recording.noise_cov, view, dspm=weights)
    elapsed = time.perf_counter() - start
    window = settings["crop"]
    stc = crop.crop_results(solution.stc, recording.evoked, solution.residual, window["tmin"], window["tmax"])[0]
    table = sources.sources_table(stc, head.forward, solution.record, "", solution.signed,
                                  **settings.spectra(), **settings.merge(), resamples=solution.resamples)
    return Run(stc, solution.record, elapsed, table)


def dspm_prior(recording: Recording, head: Head, settings, dspm_cache: dict | None = None):
    """The dSPM stage's prior of ``recording`` with ``settings``' dSPM view, and its time (s).

    ``dspm_cache`` (dict) keeps each recording's prior per dSPM view: computed once for
    every configuration that uses it, and timed as if computed each time.
    """
    from tfmxne_workflow.stages import dspm

    key = (recording.seed, repr(settings.dspm()))
    if dspm_cache is None or key not in dspm_cache:
        start = time.perf_counter()
        weights = dspm.dspm_on_solve_window(recording.evoked, head.forward, recording.noise_cov,
                                            settings.dspm())
        if dspm_cache is None:
            return weights, time.perf_counter() - start
        dspm_cache[key] = weights, time.perf_counter() - start
    return dspm_cache[key]


def source_positions_mm(forward) -> list[np.ndarray]:
    """Inversion source positions per hemisphere, MRI surface RAS (mm)."""
    from tfmxne_workflow.stages.sources import source_positions_mri

    return [rr * 1e3 for rr in source_positions_mri(forward)]


def estimate_positions(sources):
    """MRI positions (mm) and peak latencies (s) of the estimated sources (rows of a sources table)."""
    return sources[["x_mm", "y_mm", "z_mm"]].to_numpy(float).reshape(-1, 3), sources["peak_time_s"].to_numpy(float)


def score(sources, truth) -> dict:
    """Recall, spurious and duplicate counts, localisation, latency and frequency errors of one estimate.

    The estimates are the rows of its sources table (``sources``, as ``*_sources.tsv``: one
    row per source, its vertices merged). A true source is *recalled* when an estimate lies
    within :data:`RECALL_MM`; its error is the distance to the nearest estimate, its latency
    error the difference of that estimate's peak latency from the burst's, its frequency
    error (bursts only) the difference of that estimate's ``peak_frequency_hz`` from the
    burst's; a recalled source whose estimate has no frequency counts in
    ``n_without_frequency``. An estimate farther than :data:`SPURIOUS_MM` from every true
    source is *spurious*; one within :data:`RECALL_MM` of a true source that a nearer
    estimate recalls, and itself nearest to none, is a *duplicate* (the same source counted
    again). ``hit``: per true source, whether it is recalled.
    """
    est, peaks = estimate_positions(sources)
    frequencies = sources["peak_frequency_hz"].to_numpy(float)
    true = np.array([s["pos_mm"] for s in truth])
    dist = np.linalg.norm(true[:, None] - est[None], axis=-1)
    nearest = dist.min(1, initial=np.inf)
    which = dist.argmin(1) if len(est) else np.zeros(len(true), int)
    hit = nearest <= RECALL_MM
    lat = [abs(peaks[which[i]] - truth[i]["latency_s"]) for i in np.flatnonzero(hit)]
    freq = [float(frequencies[which[i]]) - truth[i]["freq_hz"] for i in np.flatnonzero(hit)
            if truth[i]["freq_hz"] is not None]
    return dict(n_true=len(true), n_estimated=len(est), recalled=int(hit.sum()),
                recall=float(hit.mean()), spurious=int((dist.min(0, initial=np.inf) > SPURIOUS_MM).sum()),
                duplicates=_duplicates(dist, which[hit]),
                error_mm=[float(x) for x in nearest[hit]], latency_error_s=[float(x) for x in lat],
                frequency_error_hz=[abs(x) for x in freq if np.isfinite(x)],
                n_without_frequency=int(sum(not np.isfinite(x) for x in freq)),
                all_recalled=bool(hit.all()), hit=[bool(h) for h in hit])


def _duplicates(dist, matched) -> int:
    """How many estimates lie within :data:`RECALL_MM` of a true source, nearest to none.

    ``dist``: distances (mm), true sources x estimates; ``matched``: the estimates nearest
    to a recalled true source.
    """
    return int(((dist <= RECALL_MM).any(0) & ~np.isin(np.arange(dist.shape[1]), matched)).sum())
