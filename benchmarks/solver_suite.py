"""Problem shapes of the solver benchmark (:mod:`bench_solver` ``--suite``).

Each :class:`Shape` is one call of ``tf_mixed_norm`` (ours and MNE's take the
same arguments): a head (forward model), a recording (evoked and noise
covariance), an orientation prior, the seed settings (dSPM weights) or none,
and a number of BLAS threads. Heads and recordings are built from the MNE
sample data and the fsaverage5 template only:

* ``sample``: the real sample head (3-layer BEM, Neuromag 306 + 60 EEG) with the
  fsaverage5 ico4 cortex fitted in it, 5124 sources, mindist 0;
* ``sample-1layer``: a second forward of the same head and cortex, the
  1-layer BEM (MEG only) and mindist 8 mm;
* ``template-eeg``: the fsaverage5 template head, 60 EEG electrodes, ico3
  3-layer BEM, ico4 cortex, mindist 5 mm.

Recordings: the real 'Left visual' evoked (-0.1..0.4 s, 301 samples at 600 Hz;
``meg-decim``: MEG only, decimated by 3 to 101 samples) with the real noise
covariance, and simulated ones (3 Gabor bursts on cortical normals, noise drawn
from the covariance of single trials divided by ``nave``): ``long`` on the
sample head (1201 samples) and ``eeg`` on the template head with an ad hoc
covariance.

Forwards are computed once and cached as ``-fwd.fif`` files in
``benchmarks/.cache`` (git-ignored), as are the references (see
:mod:`bench_solver`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "sample"
CACHE = ROOT / "benchmarks" / ".cache"

#: tf_mixed_norm settings without and with prior weights (MNE's example: dSPM).
UNWEIGHTED = dict(alpha=30.0, l1_ratio=0.03, wsize=16, tstep=4, tol=1e-4)
SEED = dict(alpha=51.0, l1_ratio=1.0 / 51.0, depth=0.9, weights_min=8.0, wsize=16,
            tstep=4, window=0.05, tol=1e-4, debias=True)


#: STFT dictionaries (Bekhti et al. 2016): single-scale 16 (both settings above) and 64,
#: and the two together; at 600 Hz, 27 and 107 ms windows.
DICTIONARIES = {
    "wsize16": dict(wsize=16, tstep=4),
    "wsize64": dict(wsize=64, tstep=16),
    "wsize16+64": dict(wsize=[16, 64], tstep=[4, 16]),
}


@dataclass(frozen=True)
class Shape:
    """One benchmark problem: ``head`` x ``recording`` x settings x dictionary x threads."""

    head: str
    recording: str
    loose: float
    weighted: bool
    threads: int = 1
    dictionary: str = "wsize16"

    @property
    def name(self):
        ori = {0.0: "fixed", 1.0: "free"}.get(self.loose, f"loose{self.loose:g}")
        kind = "seed" if self.weighted else "unweighted"
        if self.dictionary != "wsize16":  # the shapes' names before dictionaries were compared
            kind += f"-{self.dictionary}"
        return f"{self.head}/{self.recording}/{ori}/{kind}/{self.threads}thr"


SUITE = [
    Shape("sample", "evoked", 0.2, False),
    Shape("sample", "evoked", 0.2, True),
    Shape("sample", "evoked", 1.0, False),
    Shape("sample", "evoked", 0.0, False),
    Shape("sample", "evoked", 0.2, False, threads=2),
    Shape("sample", "evoked", 0.2, True, threads=2),
    Shape("sample", "meg-decim", 0.2, False),
    Shape("sample", "meg-decim", 0.2, True),
    Shape("sample", "meg-decim", 1.0, True),
    Shape("sample", "long", 0.2, False),
    Shape("sample", "long", 0.2, True),
    Shape("sample", "long", 0.0, False, threads=2),
    Shape("template-eeg", "eeg", 0.2, False),
    Shape("template-eeg", "eeg", 0.2, True),
    Shape("sample-1layer", "meg-decim", 0.2, False),
    Shape("sample-1layer", "meg-decim", 0.2, True),
    Shape("sample", "evoked", 0.2, True, dictionary="wsize64"),
    Shape("sample", "evoked", 0.2, True, dictionary="wsize16+64"),
    Shape("sample", "meg-decim", 0.2, False, dictionary="wsize64"),
    Shape("sample", "meg-decim", 0.2, False, dictionary="wsize16+64"),
]
QUICK = [SUITE[1], SUITE[6], SUITE[13], SUITE[15]]


def _save_forward(fwd, fname):
    import mne

    tmp = fname.with_name(f".{uuid.uuid4().hex}-fwd.fif")
    try:
        mne.write_forward_solution(tmp, fwd, overwrite=True, verbose=False)
        tmp.replace(fname)
    finally:
        tmp.unlink(missing_ok=True)


@lru_cache(maxsize=None)
def forward(head):
    """The forward of ``head`` (computed once, then read from the cache)."""
    import mne

    from tfmxne_simulation import sample_head as sh

    CACHE.mkdir(parents=True, exist_ok=True)
    if head == "sample":
        return sh.sample_head_forward(SAMPLE, CACHE, spacing="ico4")
    fname = CACHE / f"{head}-ico4-fwd.fif"
    if fname.is_file():
        return mne.read_forward_solution(fname, verbose=False)
    if head == "sample-1layer":
        sh.sample_head_forward(SAMPLE, CACHE, spacing="ico4")  # writes the cortex subject
        src = mne.setup_source_space("sample_fsaverage5", spacing="ico4",
                                     subjects_dir=CACHE / "subjects", add_dist=False,
                                     verbose=False)
        bem = SAMPLE / "subjects" / "sample" / "bem" / "sample-1280-bem-sol.fif"
        fwd = mne.make_forward_solution(sh.read_sample_info(SAMPLE),
                                        trans=sh.sample_paths(SAMPLE)["trans"], src=src,
                                        bem=bem, meg=True, eeg=False, mindist=8.0,
                                        verbose=False)
    elif head == "template-eeg":
        from tfmxne_workflow.headmodels import template
        from tfmxne_workflow.stages import forward as fwd_stage

        subjects_dir = CACHE / "subjects"
        fwd_stage.write_template(subjects_dir / "fsaverage5", CACHE / "template-trans.fif")
        src = fwd_stage.source_space("fsaverage5", subjects_dir, "ico4")
        bem = fwd_stage.bem_solution("fsaverage5", subjects_dir,
                                     template.THREE_LAYER_CONDUCTIVITY, ico=3)
        fwd = fwd_stage.make_forward(_eeg60_info(), template.template_trans(), src, bem)
    else:
        raise ValueError(f"unknown head {head!r}")
    _save_forward(fwd, fname)
    return fwd


def _eeg60_info(sfreq=250.0):
    import mne

    from tfmxne_simulation import sensors

    info = mne.create_info(list(sensors.EEG60), sfreq, "eeg")
    info.set_montage(sensors.eeg_montage(), verbose=False)
    return info


def _real_evoked():
    import mne

    evoked = mne.read_evokeds(SAMPLE / "sample_audvis_short-ave.fif.gz",
                              condition="Left visual", baseline=(None, 0), verbose=False)
    return evoked.crop(-0.1, 0.4)


def _gabor(times, freq, latency, width):
    return np.exp(-(((times - latency) / width) ** 2)) * np.cos(2 * np.pi * freq * (times - latency))


def _simulate(info, fwd, cov, times, nave, seed):
    """Evoked of 3 Gabor bursts (20-40 nAm) on cortical normals plus noise of ``cov / nave``."""
    import mne

    rng = np.random.default_rng(seed)
    fwd = mne.pick_channels_forward(fwd, info["ch_names"], ordered=True, verbose=False)
    fwd = mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=True, verbose=False)
    picks = rng.choice(fwd["nsource"], 3, replace=False)
    bursts = [_gabor(times, f, lat, 0.05) for f, lat in ((8, 0.15), (20, 0.3), (12, 0.5))]
    data = fwd["sol"]["data"][:, picks] @ (np.array(bursts) * rng.uniform(20e-9, 40e-9, (3, 1)))
    c = mne.pick_channels_cov(cov, fwd["info"]["ch_names"], ordered=True, verbose=False)
    s, u = np.linalg.eigh(np.diag(c["data"]) if c["diag"] else c["data"])
    factor = u * np.sqrt(np.clip(s, 0, None))
    data += factor @ rng.standard_normal((len(s), len(times))) / np.sqrt(nave)
    info = mne.pick_info(info, [info["ch_names"].index(n) for n in fwd["info"]["ch_names"]])
    evoked = mne.EvokedArray(data, info, tmin=times[0], nave=nave, verbose=False)
    if "eeg" in evoked:
        evoked.set_eeg_reference("average", projection=True, verbose=False)
    return evoked


@lru_cache(maxsize=None)
def recording(head, name):
    """``(evoked, noise_cov)`` of a recording (see the module docstring)."""
    import mne

    sample_cov = SAMPLE / "sample_audvis-cov.fif"
    if name == "evoked":
        return _real_evoked(), mne.read_cov(sample_cov, verbose=False)
    if name == "meg-decim":
        evoked = _real_evoked().pick("meg").decimate(3)
        return evoked, mne.read_cov(sample_cov, verbose=False)
    if name == "long":
        cov = mne.read_cov(sample_cov, verbose=False)
        info = _real_evoked().pick(["meg", "eeg"], exclude="bads").info
        sfreq = info["sfreq"]
        times = np.arange(-0.2 * sfreq, 1.8 * sfreq) / sfreq
        return _simulate(info, forward(head), cov, times, nave=60, seed=0), cov
    if name == "eeg":
        info = _eeg60_info()
        cov = mne.make_ad_hoc_cov(info, verbose=False)
        times = np.arange(-0.2 * 250, 0.8 * 250 + 1) / 250.0
        evoked = _simulate(info, forward(head), cov, times, nave=30, seed=1)
        return evoked, cov
    raise ValueError(f"unknown recording {name!r}")


@lru_cache(maxsize=None)
def _dspm_weights(head, rec, loose):
    import mne

    evoked, cov = recording(head, rec)
    inv = mne.minimum_norm.make_inverse_operator(evoked.info, forward(head), cov,
                                                 loose=loose, depth=0.9, verbose=False)
    return mne.minimum_norm.apply_inverse(evoked, inv, lambda2=1.0 / 9.0, method="dSPM",
                                          verbose=False)


def arguments(shape):
    """``(evoked, forward, noise_cov, kwargs)`` of ``tf_mixed_norm`` for a shape.

    Built with BLAS on one thread, so that the simulated recordings and the
    weights are the same to the last bit in every process (the cached
    references are keyed by the data, and the marginal sources of a tight
    reference change with rounding).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        evoked, cov = recording(shape.head, shape.recording)
        kw = dict(SEED if shape.weighted else UNWEIGHTED, loose=shape.loose,
                  **DICTIONARIES[shape.dictionary])
        if shape.weighted:
            kw["weights"] = _dspm_weights(shape.head, shape.recording, shape.loose)
        return evoked, forward(shape.head), cov, kw
