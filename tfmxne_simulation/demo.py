"""Simulated BIDS datasets with a known source truth: the embedded demo and the sample head.

* :func:`make_demo_dataset` -- what ``make demo`` runs on: N subjects on the
  fsaverage5 template head (:func:`tfmxne_workflow.headmodels.template.write_template_subject`),
  a synthetic 306-channel Vectorview-like MEG helmet plus 60 EEG electrodes,
  two conditions with two time-frequency localised sources each.
* :func:`make_sample_head_dataset` -- the same on the real MNE "sample" head
  (real Neuromag+EEG geometry, 3-layer BEM), with the ico4 forward the
  workflow inverts with (``forward.source: precomputed``).

Layout written (BIDS 1.x, mne-bids)::

    {bids_root}/dataset_description.json, participants.tsv, README
    {bids_root}/sub-XX/meg/sub-XX_task-{task}[_run-R]_{meg.fif, meg.json, channels.tsv,
                                                      events.tsv, events.json, coordsystem.json}
    {bids_root}/derivatives/simulation/dataset_description.json
    {bids_root}/derivatives/simulation/generation.json          parameters (completeness marker)
    {bids_root}/derivatives/simulation/sub-XX/sub-XX_task-{task}_desc-truth_sources.{tsv,json}
    {bids_root}/derivatives/forward/sub-XX/sub-XX_fwd.fif          (sample head only)

The simulation forward is computed at the true (ico5, non-ico4) vertices on a
coarser BEM than the workflow's, and the workflow inverts on ico4 sources: no
inverse crime. Generation is idempotent and atomic (built in a temporary
sibling folder, then renamed).

Command line::

    python -m tfmxne_simulation.demo --bids-root demo_data/bids [--n-subjects 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tfmxne import __version__

from tfmxne_workflow.headmodels import meshes, template
from . import sample_head, sensors
from . import simulate as sim

TASK = "demo"
#: Trial types (events.tsv ``trial_type``) and their event codes.
EVENT_ID = {"auditory": 1, "visual": 2}
#: Simulated sources before per-subject jitter; targets in fsaverage surface RAS (mm).
SOURCE_SPECS = (
    dict(condition="auditory", hemi="lh", target_mm=(-55.0, -22.0, 6.0), freq_hz=15.0,
         peak_time_s=0.10, amplitude_nam=50.0),
    dict(condition="auditory", hemi="rh", target_mm=(56.0, -20.0, 6.0), freq_hz=20.0,
         peak_time_s=0.14, amplitude_nam=50.0),
    dict(condition="visual", hemi="lh", target_mm=(-36.0, -84.0, 2.0), freq_hz=12.0,
         peak_time_s=0.12, amplitude_nam=50.0),
    dict(condition="visual", hemi="rh", target_mm=(38.0, -82.0, 4.0), freq_hz=18.0,
         peak_time_s=0.17, amplitude_nam=55.0),
)
#: A group design (for the group-stage test): the same two regions in both conditions
#: (auditory = A, visual = B), the left one (11 Hz) peaking 30 ms later in B than in A, the
#: right one at 22 Hz. The left source is less visible to the sensors: stronger (75 vs 50 nAm),
#: so that a relative alpha keeps it.
GROUP_SPECS = tuple(
    dict(condition=cond, hemi=hemi, target_mm=target, freq_hz=freq, peak_time_s=t + shift,
         amplitude_nam=amplitude)
    for cond, shift_lh in (("auditory", 0.0), ("visual", 0.03))
    for hemi, target, freq, t, shift, amplitude in (
        ("lh", (-55.0, -22.0, 6.0), 11.0, 0.10, shift_lh, 75.0),
        ("rh", (38.0, -82.0, 4.0), 22.0, 0.15, 0.0, 50.0))
)
#: Columns of the truth table, in order.
TRUTH_COLUMNS = ("condition", "hemi", "vertex", "x_mm", "y_mm", "z_mm", "freq_hz",
                 "peak_time_s", "amplitude_nAm", "normal_x", "normal_y", "normal_z")
TRUTH_DESCRIPTION = {
    "condition": "trial_type in which the source is active",
    "hemi": "hemisphere, 'lh' or 'rh'",
    "vertex": "vertex number on that hemisphere's fsaverage5 (ico5) surface; >= 2562, "
              "i.e. never an ico4 vertex",
    "x_mm": "source position, MRI surface RAS of the head model's source space (mm)",
    "y_mm": "see x_mm", "z_mm": "see x_mm",
    "freq_hz": "Morlet burst carrier frequency (Hz)",
    "peak_time_s": "latency of the burst envelope peak after the event (s)",
    "amplitude_nAm": "peak dipole moment of the burst (nAm), before trial-to-trial jitter",
    "normal_x": "dipole orientation (unit cortical normal, MRI frame)",
    "normal_y": "see normal_x", "normal_z": "see normal_x",
}
N_BACKGROUND = 200
SFREQ = 300.0
_MARKER = Path("derivatives") / "simulation" / "generation.json"


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------
def subject_labels(n_subjects: int) -> list[str]:
    """BIDS subject labels ``01``, ``02``, ..."""
    return [f"{i:02d}" for i in range(1, n_subjects + 1)]


def truth_path(bids_root, subject: str, task: str = TASK) -> Path:
    """Path of a subject's ground-truth table."""
    return (Path(bids_root) / "derivatives" / "simulation" / f"sub-{subject}"
            / f"sub-{subject}_task-{task}_desc-truth_sources.tsv")


def read_truth(bids_root, subject: str, task: str = TASK):
    """Ground-truth sources of one subject as a pandas DataFrame."""
    import pandas as pd

    return pd.read_csv(truth_path(bids_root, subject, task), sep="\t")


def _write_truth(root: Path, subject: str, bursts, task: str) -> None:
    import pandas as pd

    rows = [
        dict(condition=b.condition, hemi=b.hemi, vertex=b.vertex,
             x_mm=round(b.pos_mm[0], 3), y_mm=round(b.pos_mm[1], 3), z_mm=round(b.pos_mm[2], 3),
             freq_hz=b.freq_hz, peak_time_s=b.peak_time_s, amplitude_nAm=b.amplitude_nam,
             normal_x=round(b.normal[0], 5), normal_y=round(b.normal[1], 5),
             normal_z=round(b.normal[2], 5))
        for b in bursts
    ]
    fname = truth_path(root, subject, task)
    fname.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(TRUTH_COLUMNS)).to_csv(fname, sep="\t", index=False)
    fname.with_suffix(".json").write_text(json.dumps(
        {k: {"Description": v} for k, v in TRUTH_DESCRIPTION.items()}, indent=2))


def _write_derivative_description(root: Path, name: str, description: str) -> None:
    folder = root / "derivatives" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset_description.json").write_text(json.dumps({
        "Name": description, "BIDSVersion": "1.9.0", "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "tfmxne_simulation.demo", "Version": __version__}],
    }, indent=2))


def _is_complete(bids_root: Path, params: dict) -> bool:
    marker = bids_root / _MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("parameters") == params
    except (OSError, ValueError):
        return False


def _build_atomically(bids_root: Path, params: dict, build) -> Path:
    """Run ``build(tmp_root)`` in a temporary sibling folder, then rename it to ``bids_root``.

    Idempotent: if ``bids_root`` holds a complete dataset generated with the
    same ``params``, nothing is done. An existing folder with other content is
    never touched (error), so workflow outputs under it are safe.
    """
    bids_root = Path(bids_root)
    if _is_complete(bids_root, params):
        return bids_root
    if bids_root.exists():
        raise FileExistsError(
            f"{bids_root} exists but is not a simulated dataset with parameters {params}; "
            "remove it (or choose another --bids-root) to generate a new one"
        )
    bids_root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{bids_root.name}.tmp-", dir=bids_root.parent))
    try:
        start = time.perf_counter()
        build(tmp / "bids")
        marker = tmp / "bids" / _MARKER
        marker.write_text(json.dumps(dict(
            parameters=params, generator=f"tfmxne {__version__}",
            seconds=round(time.perf_counter() - start, 1)), indent=2))
        os.rename(tmp / "bids", bids_root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return bids_root


def _cortex(affine_m: np.ndarray | None = None) -> dict:
    """fsaverage5 white vertices and normals per hemisphere (mm), optionally moved by an affine."""
    out = {}
    for hemi in ("lh", "rh"):
        rr, tris = template.read_fsaverage5_surface("white", hemi)
        if affine_m is not None:
            rr = meshes.apply_affine(affine_m, rr / 1000.0) * 1000.0
        out[hemi] = (rr, sim.vertex_normals(rr, tris))
    return out


def _background_dipoles(rng, cortex: dict, n: int):
    """Random cortical dipoles (any ico5 vertex, normal orientation): positions (m), normals."""
    rr = np.concatenate([cortex[h][0] for h in ("lh", "rh")]) / 1000.0
    nn = np.concatenate([cortex[h][1] for h in ("lh", "rh")])
    idx = rng.choice(len(rr), n, replace=False)
    return rr[idx], nn[idx]


def _record(rng, info, bursts, gain, n_trials: int) -> tuple:
    """Simulate one run: returns (RawArray, events)."""
    import mne

    sfreq = info["sfreq"]
    events = sim.make_events(rng, list(EVENT_ID), n_trials, sfreq)
    n_times = int(events[-1, 0] + 2.0 * sfreq)
    n_true = len(bursts)
    data = sim.simulate_data(rng, info, events, EVENT_ID, bursts, gain[:, :n_true],
                             gain[:, n_true:], n_times)
    types = sim.channel_types(info)
    eog = np.flatnonzero(types == "eog")
    if len(eog):
        data[eog] = sim.blink_eog(rng, n_times, sfreq)
    stim = np.flatnonzero(types == "stim")
    if len(stim):
        data[stim] = 0.0
        for onset, _, code in events:
            data[stim[0], onset : onset + 3] = code
    for bad in info["bads"]:  # broken channels: very noisy
        i = info["ch_names"].index(bad)
        data[i] += 30 * sim.per_type(info, sim.WHITE_RMS)[i, 0] * rng.standard_normal(n_times)
    return mne.io.RawArray(data, info, verbose=False), events


def _simulate_subject(rng, info, trans, bem, cortex: dict, specs):
    """Choose the subject's sources and compute the gains of sources + background.

    One forward call covers every candidate vertex of every source (to rank
    them by :func:`~tfmxne_simulation.simulate.visibility`) and the background
    dipoles. Returns ``(bursts, gain)`` with ``gain`` = chosen sources first,
    then the :data:`N_BACKGROUND` background dipoles.
    """
    candidates = [sim.source_candidates(cortex, spec) for spec in specs]
    rr = [cortex[s["hemi"]][0][c] / 1000.0 for s, c in zip(specs, candidates)]
    nn = [cortex[s["hemi"]][1][c] for s, c in zip(specs, candidates)]
    bg_rr, bg_nn = _background_dipoles(rng, cortex, N_BACKGROUND)
    gain = sim.fixed_orientation_gain(info, trans, bem, np.concatenate(rr + [bg_rr]),
                                      np.concatenate(nn + [bg_nn]))
    splits = np.cumsum([len(c) for c in candidates])
    cand_gain = np.split(gain[:, : splits[-1]], splits[:-1], axis=1)
    scores = [sim.visibility(info, g) for g in cand_gain]
    bursts, chosen = sim.pick_bursts(rng, cortex, specs, candidates, scores)
    true_gain = np.stack([g[:, k] for g, k in zip(cand_gain, chosen)], axis=1)
    return bursts, np.concatenate([true_gain, gain[:, splits[-1]:]], axis=1)


def _choose_bads(rng, info) -> list[str]:
    """One magnetometer, one gradiometer and one EEG channel, drawn at random."""
    types = sim.channel_types(info)
    return [info["ch_names"][int(rng.choice(np.flatnonzero(types == k)))]
            for k in ("mag", "grad", "eeg") if (types == k).any()]


def _write_subject(root: Path, subject: str, info, bursts, gain, rng, n_runs: int,
                   n_trials: int, task: str, meas_date) -> None:
    import mne
    from mne_bids import BIDSPath, write_raw_bids

    for r in range(1, n_runs + 1):
        raw, events = _record(rng, info.copy(), bursts, gain, n_trials)
        raw.set_meas_date(meas_date + datetime.timedelta(hours=r - 1))
        bp = BIDSPath(subject=subject, task=task, run=f"{r:02d}" if n_runs > 1 else None,
                      datatype="meg", root=root)
        with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
            # through a float32 file, as a real Neuromag recording (half the size)
            fname = Path(tmp) / "raw.fif"
            raw.save(fname, fmt="single", verbose=False)
            raw = mne.io.read_raw_fif(fname, verbose=False)
            write_raw_bids(raw, bp, events=events, event_id=EVENT_ID, overwrite=True,
                           verbose=False)
    _write_truth(root, subject, bursts, task)


def _finish_dataset(root: Path, name: str) -> None:
    from mne_bids import make_dataset_description

    make_dataset_description(
        path=root, name=name, dataset_type="raw", authors=["tfmxne simulation"],
        generated_by=[{"Name": "tfmxne_simulation.demo", "Version": __version__}],
        overwrite=True, verbose=False,
    )
    _write_derivative_description(root, "simulation", "Ground truth of the simulated sources")


# ---------------------------------------------------------------------------
# template head (the embedded demo)
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def template_bem_solution():
    """3-layer ico3 BEM solution of the fsaverage5 template (cached per process).

    Coarser than what the workflow would use (ico4), which keeps generation
    fast and, as a bonus, makes the simulation and inversion models differ.
    """
    import mne

    with tempfile.TemporaryDirectory(prefix="tfmxne-template-") as sd:
        template.write_template_subject(sd)
        model = mne.make_bem_model("fsaverage5", ico=3, subjects_dir=sd,
                                   conductivity=template.THREE_LAYER_CONDUCTIVITY, verbose=False)
    with template.single_threaded_blas():
        return mne.make_bem_solution(model, verbose=False)


def demo_info(rng, scalp_head: tuple, sfreq: float = SFREQ):
    """Measurement info of one demo subject: 306 MEG + 60 EEG + EOG + stim.

    MEG: :func:`tfmxne_simulation.sensors.vectorview_like_meg_info`, the head placed
    under the helmet with a small random rotation (<= 3 deg) and shift
    (<= 3 mm) and a 20 mm minimal scalp gap; EEG: ``fsaverage_1005``
    positions (with fiducials in the digitisation), consistent with
    :func:`tfmxne_workflow.headmodels.template.template_trans`.
    """
    import mne

    from tfmxne._mne_private import unlocked

    meg = sensors.vectorview_like_meg_info(sfreq)
    names = meg["ch_names"] + list(sensors.EEG60) + ["EOG 061", "STI 014"]
    types = ["grad", "grad", "mag"] * (len(meg["ch_names"]) // 3) + ["eeg"] * 60 + ["eog", "stim"]
    info = mne.create_info(names, sfreq, types)
    with unlocked(info):
        for ch, ref in zip(info["chs"], meg["chs"]):
            ch["loc"][:] = ref["loc"]
            ch["coil_type"] = ref["coil_type"]
            ch["coord_frame"] = ref["coord_frame"]
    info.set_montage(sensors.eeg_montage(), on_missing="ignore", verbose=False)
    rr_dev = np.array([ch["loc"][:3] for ch in meg["chs"]])
    dev_head_t = sensors.fit_dev_head_t(
        rr_dev, scalp_head, rotation_deg=tuple(rng.uniform(-3, 3, 3)),
        shift_xy=tuple(rng.uniform(-0.003, 0.003, 2)),
    )
    with unlocked(info):
        info["dev_head_t"] = dev_head_t
        info["line_freq"] = 50.0
    info["bads"] = _choose_bads(rng, info)
    return info


def make_demo_dataset(bids_root, n_subjects: int = 2, seed: int = 0, n_runs: int = 1,
                      n_trials: int = 35, task: str = TASK, specs=SOURCE_SPECS) -> Path:
    """Write the embedded demo: a simulated MEG+EEG BIDS dataset on the fsaverage5 template.

    Parameters
    ----------
    bids_root : path-like
        Dataset root to create (its parent is created if needed).
    n_subjects : int
        Subjects ``01``..``NN``; each gets the sources of :data:`SOURCE_SPECS`
        jittered: vertex drawn among the 3 non-ico4 vertices closest to the
        target (within 12 mm) that are among the 25 % most visible ones
        (noise-normalised gain), latency +-10 ms,
        amplitude +-10 %.
    seed : int
        Fixes everything (same seed and parameters -> same data).
    n_runs : int
        Runs per subject (``run`` entity only when > 1), each with
        ``n_trials`` trials of each condition, same head position.
    n_trials : int
        Trials per condition and run.
    task : str
        BIDS task label.
    specs : sequence of dict
        The simulated sources (default :data:`SOURCE_SPECS`; :data:`GROUP_SPECS` is a
        two-condition group design).

    Returns
    -------
    bids_root : Path
    """
    params = dict(kind="template", n_subjects=n_subjects, seed=seed, n_runs=n_runs,
                  n_trials=n_trials, task=task, sfreq=SFREQ)
    if specs != SOURCE_SPECS:  # the default demo's marker stays as it was
        params["specs"] = json.loads(json.dumps(specs))

    def build(root: Path) -> None:
        import mne

        bem = template_bem_solution()
        trans = template.template_trans()
        skin_rr, skin_tris = template.template_bem_surfaces(4)["outer_skin"]
        scalp_head = (mne.transforms.apply_trans(mne.transforms.invert_transform(trans), skin_rr),
                      skin_tris)
        cortex = _cortex()
        for k, subject in enumerate(subject_labels(n_subjects)):
            rng = np.random.default_rng([seed, k])
            info = demo_info(rng, scalp_head)
            bursts, gain = _simulate_subject(rng, info, trans, bem, cortex, specs)
            date = datetime.datetime(2024, 1, 1, 9, tzinfo=datetime.timezone.utc)
            _write_subject(root, subject, info, bursts, gain, rng, n_runs, n_trials, task,
                           date + datetime.timedelta(days=k))
        _finish_dataset(root, "tfmxne demo: simulated MEG+EEG on the fsaverage5 template")

    return _build_atomically(Path(bids_root), params, build)


# ---------------------------------------------------------------------------
# MNE sample head
# ---------------------------------------------------------------------------
def sample_head_info(sample_dir, sfreq: float = SFREQ):
    """The sample recording's info (306 MEG + 60 EEG + EOG + STI 014), resampled to ``sfreq``.

    Real sensor geometry, dev_head_t and digitisation; projectors and bad
    channels dropped (the simulation has its own).
    """
    import mne

    from tfmxne._mne_private import unlocked

    info = sample_head.read_sample_info(sample_dir)
    picks = mne.pick_types(info, meg=True, eeg=True, eog=True, stim=False)
    picks = np.r_[picks, info["ch_names"].index("STI 014")]
    info = mne.pick_info(info, np.sort(picks))
    with unlocked(info):
        info["sfreq"] = float(sfreq)
        info["lowpass"] = min(info["lowpass"], sfreq / 2.0)
        info["highpass"] = 0.0
        info["line_freq"] = 60.0
    return info


def make_sample_head_dataset(bids_root, sample_dir, work_dir, n_subjects: int = 1,
                             seed: int = 0, n_runs: int = 1, n_trials: int = 35,
                             task: str = TASK) -> Path:
    """Simulated BIDS dataset on the real MNE "sample" head, with its ico4 forward.

    Sources are placed on the fsaverage5 cortex fitted into the sample inner
    skull (:func:`tfmxne_simulation.sample_head.sample_cortex_affine`), at non-ico4 ico5
    vertices; data are simulated with the real sensors and 3-layer BEM. The
    forward the workflow should invert with (ico4,
    :func:`tfmxne_simulation.sample_head.sample_head_forward`) is written to
    ``{bids_root}/derivatives/forward/sub-XX/sub-XX_fwd.fif``; the truth
    positions are in the same (sample MRI) frame.

    Generate into a temporary / test folder only: everything here derives
    from the sample files, which must not enter the repository.

    Parameters
    ----------
    bids_root : path-like
        Dataset root to create.
    sample_dir : path-like
        Folder with the MNE sample reference files.
    work_dir : path-like
        Cache for :func:`tfmxne_simulation.sample_head.sample_head_forward`.
    n_subjects, seed, n_runs, n_trials, task
        As in :func:`make_demo_dataset` (all subjects share the sample head).

    Returns
    -------
    bids_root : Path
    """
    params = dict(kind="sample", n_subjects=n_subjects, seed=seed, n_runs=n_runs,
                  n_trials=n_trials, task=task, sfreq=SFREQ)

    def build(root: Path) -> None:
        import mne

        paths = sample_head.sample_paths(sample_dir)
        fwd_file = Path(work_dir) / "sample-fsaverage5-ico4-meg-eeg-fwd.fif"
        sample_head.sample_head_forward(sample_dir, work_dir, spacing="ico4")
        affine = np.load(Path(work_dir) / "subjects" / "sample_fsaverage5" / "affine.npy")
        cortex = _cortex(affine)
        specs = [dict(s, target_mm=tuple(meshes.apply_affine(
            affine, np.array([s["target_mm"]]) / 1000.0)[0] * 1000.0)) for s in SOURCE_SPECS]
        info0 = sample_head_info(sample_dir)
        bem = mne.read_bem_solution(paths["bem_sol"], verbose=False)
        trans = mne.read_trans(paths["trans"])
        for k, subject in enumerate(subject_labels(n_subjects)):
            rng = np.random.default_rng([seed, 1000 + k])
            info = info0.copy()
            info["bads"] = _choose_bads(rng, info)
            bursts, gain = _simulate_subject(rng, info, trans, bem, cortex, specs)
            date = datetime.datetime(2024, 1, 1, 9, tzinfo=datetime.timezone.utc)
            _write_subject(root, subject, info, bursts, gain, rng, n_runs, n_trials, task,
                           date + datetime.timedelta(days=k))
            dest = root / "derivatives" / "forward" / f"sub-{subject}" / f"sub-{subject}_fwd.fif"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fwd_file, dest)
        _write_derivative_description(
            root, "forward", "ico4 forward on the fsaverage5 cortex fitted into the sample head")
        _finish_dataset(root, "tfmxne: simulated MEG+EEG on the MNE sample head")

    return _build_atomically(Path(bids_root), params, build)


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------
def main(argv=None) -> int:
    """``python -m tfmxne_simulation.demo --bids-root DIR [--n-subjects N] [--seed S] [--n-runs R]``."""
    parser = argparse.ArgumentParser(
        prog="python -m tfmxne_simulation.demo",
        description="Generate the simulated demo BIDS dataset (idempotent).")
    parser.add_argument("--bids-root", required=True, type=Path)
    parser.add_argument("--n-subjects", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-runs", type=int, default=1)
    parser.add_argument("--n-trials", type=int, default=35,
                        help="trials per condition and run (default 35)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    was_there = _is_complete(args.bids_root, dict(
        kind="template", n_subjects=args.n_subjects, seed=args.seed, n_runs=args.n_runs,
        n_trials=args.n_trials, task=TASK, sfreq=SFREQ))
    root = make_demo_dataset(args.bids_root, n_subjects=args.n_subjects, seed=args.seed,
                             n_runs=args.n_runs, n_trials=args.n_trials)
    verb = "already complete" if was_there else f"written in {time.perf_counter() - start:.1f} s"
    print(f"Demo BIDS dataset {verb}: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
