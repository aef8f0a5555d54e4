"""Shared fixtures: a tiny simulated BIDS dataset, the demo dataset and its workflow run."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mne
import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
SAMPLE_DIR = REPO.parent / "shared" / "data" / "sample"
#: The demo's configuration (``make demo``); the tests' demo datasets run with it.
DEMO_CONFIG = REPO / "workflow" / "demo" / "config.yaml"

#: Trial types with characters that are not allowed in BIDS labels.
TINY_TRIAL_TYPES = ("auditory/left", "Left visual")


def _tiny_raw(seed, n_seconds=24.0, sfreq=200.0):
    """EEG on a 10-20 montage and 4 magnetometers: noise, slow drift and an evoked bump per event."""
    rng = np.random.default_rng(seed)
    montage = mne.channels.make_standard_montage("colin27_1020")
    ch_names = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8",
                "P7", "P3", "Pz", "P4", "P8", "O1", "O2"]
    mags = ["MEG0111", "MEG0121", "MEG0131", "MEG0141"]
    info = mne.create_info(ch_names + mags, sfreq, ["eeg"] * len(ch_names) + ["mag"] * len(mags))
    n = int(n_seconds * sfreq)
    times = np.arange(n) / sfreq
    scale = np.array([1e-6] * len(ch_names) + [1e-13] * len(mags))[:, None]
    data = scale * (2 * rng.standard_normal((len(info.ch_names), n)) + 20 * np.sin(2 * np.pi * 0.1 * times))
    onsets = np.arange(1.0, n_seconds - 1.0, 1.0)
    pattern = scale[:, 0] * rng.standard_normal(len(info.ch_names))
    for k, onset in enumerate(onsets):
        i0 = int(onset * sfreq) + int(0.08 * sfreq)
        bump = np.hanning(int(0.1 * sfreq))
        data[:, i0 : i0 + len(bump)] += 5 * (1 + k % 2) * pattern[:, None] * bump
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.set_montage(montage, verbose="error")
    raw.set_meas_date(1_600_000_000 + seed)
    descriptions = [TINY_TRIAL_TYPES[k % 2] for k in range(len(onsets))]
    raw.set_annotations(mne.Annotations(onsets, 0.0, descriptions))
    return raw


def write_tiny_bids(root, subjects=("01",), runs=("01", "02"), sessions=(None,)):
    """A tiny BIDS dataset: 19 EEG + 4 magnetometers, datatype meg (task 'tiny', 2 runs, bad channel 'T8' in channels.tsv)."""
    from mne_bids import BIDSPath, mark_channels, write_raw_bids

    event_id = {t: k + 1 for k, t in enumerate(TINY_TRIAL_TYPES)}
    for i, subject in enumerate(subjects):
        for session in sessions:
            for j, run in enumerate(runs):
                bp = BIDSPath(subject=subject, session=session, task="tiny", run=run, datatype="meg",
                              root=root)
                write_raw_bids(_tiny_raw(seed=10 * i + j), bp, format="FIF", allow_preload=True,
                               event_id=event_id, overwrite=True, verbose="error")
                mark_channels(bp, ch_names=["T8"], status="bad", descriptions=["noisy"], verbose="error")
    return Path(root)


@pytest.fixture(scope="session")
def tiny_bids(tmp_path_factory):
    """Path of the tiny EEG BIDS dataset (built once per session; do not modify)."""
    return write_tiny_bids(tmp_path_factory.mktemp("tiny") / "bids")


def remove_eeg_positions(root):
    """Set every EEG position in the raw files of a tiny dataset (a copy) to zero, as some real files have it."""
    for fname in Path(root).glob("sub-*/**/*_meg.fif"):
        raw = mne.io.read_raw_fif(fname, preload=True, verbose="error")
        for ch in raw.info["chs"]:
            if ch["kind"] == mne.io.constants.FIFF.FIFFV_EEG_CH:
                ch["loc"][:3] = 0.0
        raw.save(fname, overwrite=True, verbose="error")


#: The events.tsv :func:`repeat_an_event` changes, and the onset (s) of its repeated event.
REPEATED_EVENTS, REPEATED_ONSET = "sub-01/meg/sub-01_task-tiny_run-02_events.tsv", 3.0


def repeat_an_event(root):
    """Add a 'Left visual' event at the onset of an 'auditory/left' one (two events on one sample)."""
    import pandas as pd

    tsv = Path(root) / REPEATED_EVENTS
    events = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False)
    row = events.index[events["onset"].astype(float) == REPEATED_ONSET][0]
    assert events.loc[row, "trial_type"] == "auditory/left"
    extra = events.loc[[row]].assign(trial_type="Left visual", value="2")
    pd.concat([events.loc[:row], extra, events.loc[row + 1:]]).to_csv(tsv, sep="\t", index=False)


@pytest.fixture(scope="session")
def unplaced_bids(tiny_bids, tmp_path_factory):
    """The tiny dataset without EEG positions in its raw files (do not modify)."""
    root = shutil.copytree(tiny_bids, tmp_path_factory.mktemp("unplaced") / "bids")
    remove_eeg_positions(root)
    return root


@pytest.fixture(scope="session")
def repeated_bids(tiny_bids, tmp_path_factory):
    """The tiny dataset with two events on one sample in run 2 (do not modify)."""
    root = shutil.copytree(tiny_bids, tmp_path_factory.mktemp("repeated") / "bids")
    repeat_an_event(root)
    return root


@functools.lru_cache(maxsize=None)
def _no_slurm_bin():
    """A folder with an ``scontrol`` that fails at once (see :func:`snakemake_env`)."""
    folder = Path(tempfile.mkdtemp(prefix="tfmxne-test-no-slurm-"))
    (folder / "scontrol").write_text("#!/bin/sh\nexit 1\n")
    (folder / "scontrol").chmod(0o755)
    return folder


def snakemake_env(slurm=False, thread_caps=True):
    """Environment of the test workflow runs: single-threaded BLAS, fixed hash seed.

    ``thread_caps=False`` leaves the BLAS/OpenMP thread variables as they are, so that
    each job's threads are the ones its rule gives it (tfmxne_workflow.jobs). Snakemake imports its SLURM executor plugin at start-up, which runs ``scontrol show
    config``; where the SLURM client is installed without a reachable controller (this
    machine, after ``make test-slurm``) that call waits ~9 s on every invocation, unless
    ``make install``'s hook (tfmxne_workflow.slurm_probe) is in the environment. Unless
    ``slurm`` is True, an ``scontrol`` that fails at once comes first on the PATH.
    """
    path = os.environ["PATH"] if slurm else f"{_no_slurm_bin()}{os.pathsep}{os.environ['PATH']}"
    caps = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
    return dict(os.environ, PATH=path, PYTHONHASHSEED="0", **(caps if thread_caps else {}))


def run_snakemake(*args, workdir, check=True, timeout=900, slurm=False, snakefile=REPO / "Snakefile",
                  thread_caps=True):
    """Run the workflow of this repository (or ``snakefile``) in ``workdir``; returns the CompletedProcess."""
    cmd = [SNAKEMAKE, "-s", str(snakefile), "--directory", str(workdir), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=snakemake_env(slurm, thread_caps))
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def write_demo_config(path, bids_root, **changes):
    """Write at ``path`` the demo's configuration for ``bids_root``, a section's keys in ``changes`` merged."""
    config = {**yaml.safe_load(DEMO_CONFIG.read_text()), "bids_root": str(bids_root)}
    for key, value in changes.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    Path(path).write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo dataset and one full workflow run on it (once per session).

    Returns a dict with ``workdir``, ``bids_root``, ``deriv`` (Paths), ``configfile``
    and ``wall_s`` (wall time of the workflow run).
    """
    from tfmxne_simulation.demo import make_demo_dataset

    workdir = tmp_path_factory.mktemp("demo_run")
    bids_root = workdir / "bids"
    make_demo_dataset(bids_root, n_subjects=2, seed=0)
    configfile = write_demo_config(workdir / "config.yaml", bids_root)
    start = time.perf_counter()
    run_snakemake("--cores", "2", "--configfile", str(configfile), workdir=workdir)
    return {"workdir": workdir, "bids_root": bids_root, "configfile": configfile,
            "deriv": bids_root / "derivatives" / "tfmxne", "wall_s": time.perf_counter() - start}


@pytest.fixture(scope="session")
def sample_head_cache(tmp_path_factory):
    """Folder (outside the repository) where the sample-head forward is built once per session."""
    if not SAMPLE_DIR.is_dir():
        pytest.skip(f"MNE sample reference files not found at {SAMPLE_DIR}")
    return tmp_path_factory.mktemp("sample_head_cache")


@pytest.fixture(scope="session")
def sample_evoked_cov():
    """The real 'Left visual' evoked (baseline-corrected) and its noise covariance.

    Shared by the session: copy the evoked before changing it.
    """
    if not SAMPLE_DIR.is_dir():
        pytest.skip(f"MNE sample reference files not found at {SAMPLE_DIR}")
    evoked = mne.read_evokeds(SAMPLE_DIR / "sample_audvis_short-ave.fif.gz", condition="Left visual",
                              baseline=(None, 0), verbose=False)
    return evoked, mne.read_cov(SAMPLE_DIR / "sample_audvis-cov.fif", verbose=False)


@pytest.fixture(scope="session")
def small_forward(tmp_path_factory, sample_evoked_cov):
    """Forward on the sample 'small' cortical source space (2 x 258) + 3-layer BEM."""
    fname = tmp_path_factory.getbasetemp() / "sample-small-fwd.fif"
    if fname.is_file():
        return mne.read_forward_solution(fname, verbose=False)
    src = mne.read_source_spaces(SAMPLE_DIR / "sample-small-src.fif.gz", verbose=False)
    fwd = mne.make_forward_solution(
        sample_evoked_cov[0].info, SAMPLE_DIR / "sample-trans.fif", src,
        SAMPLE_DIR / "subjects/sample/bem/sample-320-320-320-bem-sol.fif",
        meg=True, eeg=True, verbose=False)
    mne.write_forward_solution(fname, fwd, verbose=False)
    return fwd
