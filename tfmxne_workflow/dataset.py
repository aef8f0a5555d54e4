"""What is in a BIDS dataset: subjects, sessions, runs and conditions (trial types).

Used by the workflow when it builds its job graph, so every function here raises a
``ValueError`` whose message names the culprit and lists what exists.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

#: File extensions of raw M/EEG recordings that mne-bids reads.
RAW_EXTENSIONS = (".fif", ".ds", ".con", ".sqd", ".pdf", ".vhdr", ".edf", ".bdf", ".set", ".snirf")


@dataclass
class Recording:
    """All runs of one task for one subject (and session).

    Attributes
    ----------
    subject : str
        BIDS subject label (without ``sub-``).
    session : str | None
        BIDS session label (without ``ses-``), None for datasets without sessions.
    raw_files : list of Path
        One raw file per run (the first split for split FIF files), sorted by run.
    evoked_file : Path | None
        The recording's ``-ave.fif`` (``input.source: evoked``; it has no raw files).
    """

    subject: str
    session: str | None
    raw_files: list = field(default_factory=list)
    evoked_file: Path | None = None

    @property
    def ses(self) -> str:
        """The session part of a file name: ``""`` or ``"_ses-<label>"``."""
        return f"_ses-{self.session}" if self.session else ""


def _check_bids_root(bids_root: Path) -> None:
    if not bids_root.is_dir():
        raise ValueError(
            f"bids_root {str(bids_root)!r} does not exist (relative paths are relative to the "
            f"working directory, {str(Path.cwd())!r}); set bids_root in your config to the folder "
            "that holds dataset_description.json and the sub-* folders."
        )
    if not (bids_root / "dataset_description.json").is_file():
        raise ValueError(
            f"bids_root {str(bids_root)!r} is not a BIDS dataset (no dataset_description.json); "
            "set bids_root in your config to the folder that holds dataset_description.json "
            "and the sub-* folders."
        )


def _select(kind: str, requested, available: list, key: str | None = None) -> list:
    """Return ``available`` for 'all', else check every requested label exists.

    ``key`` is the configuration key to fix, named in the message.
    """
    if requested in (None, "all"):
        return list(available)
    requested = [str(r) for r in requested]
    missing = [r for r in requested if r not in available]
    if missing:
        fix = f"; set {key} to some of these, or all" if key else ""
        raise ValueError(
            f"{kind} {missing} not found in the dataset; it has {kind}: {sorted(available)}{fix}"
        )
    return requested


def find_recordings(bids_root, task: str, datatype: str, subjects="all", sessions="all") -> list:
    """Enumerate the recordings of ``task`` with mne-bids.

    Parameters
    ----------
    bids_root : str | Path
        Root of the BIDS dataset.
    task : str
        BIDS task label.
    datatype : 'meg' | 'eeg'
        BIDS data type.
    subjects, sessions : 'all' | list of str
        Labels to keep (without the ``sub-``/``ses-`` prefix).

    Returns
    -------
    recordings : list of Recording
        One per (subject, session) with at least one run of ``task``.
    """
    from mne_bids import find_matching_paths, get_entity_vals

    bids_root = Path(bids_root)
    _check_bids_root(bids_root)
    ignore = ["derivatives", "sourcedata", "code"]
    tasks = get_entity_vals(bids_root, "task", ignore_datatypes=["anat"], ignore_dirs=ignore)
    if task not in tasks:
        raise ValueError(
            f"task {task!r} not found in the dataset; it has tasks: {sorted(tasks)}; "
            "set task to one of these"
        )
    all_subjects = get_entity_vals(bids_root, "subject", ignore_dirs=ignore)
    subjects = _select("subjects", subjects, all_subjects, "subjects")
    recordings = []
    for subject in subjects:
        paths = find_matching_paths(
            bids_root, subjects=subject, tasks=task, datatypes=datatype, suffixes=datatype,
            extensions=list(RAW_EXTENSIONS), ignore_nosub=True,
        )
        paths = [p for p in paths if p.split in (None, "01")]
        by_session = {}
        for p in paths:
            by_session.setdefault(p.session, []).append(p)
        if sessions not in (None, "all"):
            available = [s for s in by_session if s is not None]
            wanted = _select(f"sessions of sub-{subject}", sessions, available, "sessions")
            by_session = {s: by_session[s] for s in wanted}
        for session, runs in sorted(by_session.items(), key=lambda kv: str(kv[0])):
            runs = sorted(runs, key=lambda p: (p.run or "", str(p.fpath)))
            recordings.append(Recording(subject, session, [Path(p.fpath) for p in runs]))
    if not recordings:
        raise ValueError(
            f"No {datatype} recordings of task {task!r} for subjects {subjects} in {bids_root}; "
            "check datatype (meg or eeg) and sessions"
        )
    return recordings


@dataclass
class Study:
    """The recordings of a task and the trial types each one has.

    Attributes
    ----------
    recordings : list of Recording
    trial_types : dict
        ``(subject, ses) -> sorted trial types`` of that recording's events.
    """

    recordings: list
    trial_types: dict

    def to_json(self) -> dict:
        """The study as JSON types (the scan cache the jobs read)."""
        return {"recordings": [
            {"subject": r.subject, "session": r.session, "raw_files": [str(f) for f in r.raw_files],
             "trial_types": self.trial_types[(r.subject, r.ses)]} for r in self.recordings]}

    @classmethod
    def from_json(cls, obj) -> Study:
        """The study that :meth:`to_json` wrote."""
        recordings = [Recording(r["subject"], r["session"], [Path(f) for f in r["raw_files"]])
                      for r in obj["recordings"]]
        trial_types = {(r.subject, r.ses): row["trial_types"]
                       for r, row in zip(recordings, obj["recordings"])}
        return cls(recordings, trial_types)


def scan_study(bids_root, task, datatype, subjects="all", sessions="all") -> Study:
    """:func:`find_recordings` and the trial types of each recording's events."""
    recordings = find_recordings(bids_root, task, datatype, subjects, sessions)
    return Study(recordings, {(r.subject, r.ses): read_trial_types(r.raw_files) for r in recordings})


def study_index(bids_root, task, datatype, subjects, sessions, cache_dir, reuse: bool) -> Study:
    """The study as :func:`scan_study` finds it, shared with the jobs through a cache file.

    The submitting host (``reuse`` False) scans the dataset and writes the result to
    ``cache_dir``; each job's own parse of the workflow (``reuse`` True) reads it back
    instead of scanning again, so a job starts in the same time whatever the study's
    size. The file is keyed by the arguments, and every run rewrites it before any job
    starts, so a job never sees another run's dataset.
    """
    args = [str(Path(bids_root).resolve()), task, datatype, subjects, sessions]
    return cached_scan("study", args, cache_dir, reuse, lambda: scan_study(bids_root, task, datatype, subjects, sessions),
                       Study.to_json, Study.from_json)


def cached_scan(kind, args, cache_dir, reuse: bool, scan, to_json, from_json):
    """``scan()``, kept in ``cache_dir/<kind>-<hash of args>.json`` for the jobs.

    ``reuse`` (a job) reads back what the submitting host wrote for the same ``args``;
    ``to_json`` and ``from_json`` convert the result to and from JSON types.
    """
    key = hashlib.sha1(json.dumps(args).encode()).hexdigest()[:16]
    fname = Path(cache_dir) / f"{kind}-{key}.json"
    if reuse and fname.is_file():
        return from_json(json.loads(fname.read_text(encoding="utf-8")))
    result = scan()
    from .atomic import write_json

    fname.parent.mkdir(parents=True, exist_ok=True)
    write_json(fname, to_json(result))
    return result


def events_tsv(raw_file) -> Path:
    """The ``*_events.tsv`` sidecar of a raw file (it may not exist)."""
    return _sidecar(raw_file, "events.tsv")


def channels_tsv(raw_file) -> Path:
    """The ``*_channels.tsv`` sidecar of a raw file (it may not exist)."""
    return _sidecar(raw_file, "channels.tsv")


def _sidecar(raw_file, suffix: str) -> Path:
    raw_file = Path(raw_file)
    stem = re.sub(r"_split-\d+", "", raw_file.name)
    stem = stem[: stem.rindex("_")]
    return raw_file.with_name(f"{stem}_{suffix}")


def _read_events(raw_file) -> list:
    """The rows of a raw file's ``*_events.tsv`` as dicts of strings ([] when there is none).

    The csv module, not pandas: ten times faster on these small files, read for every run
    at every start of the workflow.
    """
    tsv = events_tsv(raw_file)
    if not tsv.is_file():
        return []
    with open(tsv, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_trial_types(raw_files) -> list:
    """All ``trial_type`` values in the events sidecars of ``raw_files``, sorted."""
    found = {row.get("trial_type") for raw_file in raw_files for row in _read_events(raw_file)}
    return sorted(found - {None, "", "n/a"})


def repeated_events(raw_file, trial_types, datatype) -> list:
    """Samples of a run with more than one event of ``trial_types``, from its ``*_events.tsv``.

    Onsets are rounded to samples at the ``SamplingFrequency`` of the run's
    ``*_<datatype>.json`` sidecar, as MNE does when it makes events (compared as they are
    when the sidecar lacks it).

    Returns
    -------
    repeats : list of (float, list of str)
        Onset (s) and the trial types of its events, in file order.
    """
    sidecar = _sidecar(raw_file, f"{datatype}.json")
    sfreq = json.loads(sidecar.read_text(encoding="utf-8")).get("SamplingFrequency") if sidecar.is_file() else None
    by_sample = {}
    for row in _read_events(raw_file):
        if row.get("trial_type") in trial_types:
            try:
                onset = float(row.get("onset"))
                at = round(onset * sfreq) if sfreq else onset
            except (TypeError, ValueError, OverflowError):  # n/a
                continue
            by_sample.setdefault(at, []).append((onset, row["trial_type"]))
    return [(events[0][0], [t for _, t in events]) for _, events in sorted(by_sample.items()) if len(events) > 1]


def safe_label(trial_type: str) -> str:
    """A BIDS label (letters and digits only) for a trial type.

    Words separated by any other character are joined in camel case, the first word
    unchanged: ``'auditory/left'`` gives ``'auditoryLeft'``, ``'Left visual'`` gives
    ``'LeftVisual'``.
    """
    words = [w for w in re.split(r"[^0-9A-Za-z]+", str(trial_type)) if w]
    if not words:
        raise ValueError(f"Condition {trial_type!r} has no letters or digits to name it by")
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def condition_labels(trial_types) -> dict:
    """Map safe labels to trial types, e.g. ``{'auditoryLeft': 'auditory/left'}``.

    Labels that would collide get a numeric suffix (``x``, ``x2``, ...), in the order
    the trial types are given.
    """
    labels = {}
    for trial_type in trial_types:
        base = label = safe_label(trial_type)
        n = 1
        while label in labels:
            n += 1
            label = f"{base}{n}"
        labels[label] = trial_type
    return labels


def select_conditions(requested, available: list, where: str) -> list:
    """Check requested trial types exist (``'all'``: every available one)."""
    if not available:
        raise ValueError(
            f"No events found for {where}: no *_events.tsv beside its raw files, or no "
            "trial_type values in them; add the events (trial_type column) or leave this "
            "recording out with subjects/sessions"
        )
    return _select(f"conditions (trial_type) of {where}", requested, available, "conditions")


def empty_room_file(raw_file) -> Path:
    """The empty-room recording mne-bids associates with a run (sidecar or date).

    Raises ``ValueError`` when there is none.
    """
    from mne_bids import get_bids_path_from_fname

    er = get_bids_path_from_fname(raw_file).find_empty_room(use_sidecar_only=False, verbose="error")
    if er is None:
        raise ValueError(
            f"noise_cov.source is 'empty_room' but no empty-room recording is associated with "
            f"{raw_file} (AssociatedEmptyRoom in its sidecar, or sub-emptyroom on the same date); "
            "add one to the dataset or set noise_cov.source: baseline"
        )
    return Path(er.fpath)
