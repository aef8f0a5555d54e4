"""Checks of the recordings and the anatomy before any job runs (on the submitting host).

Each raises :class:`~tfmxne_workflow.errors.BadInput` naming the file and the fix, so a
study with a missing file, an unusable channel selection or a forward for the wrong
subject stops before anything is written.
"""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import BadInput, shown_names

#: BIDS channels.tsv types -> MNE channel types the inverse problem uses. MNE reads
#: CTF/4D axial gradiometers as 'mag'; 'MEGGRAD' (seen in the wild) may be either.
BIDS_CH_TYPES = {
    "MEGMAG": ("mag",), "MEGGRADAXIAL": ("mag",), "MEGGRADPLANAR": ("grad",),
    "MEGGRAD": ("grad", "mag"), "EEG": ("eeg",),
}


def check_raw_files(recordings) -> None:
    """Every run's raw file is there and not empty (a broken link: data not fetched)."""
    problems = []
    for rec in recordings:
        for f in rec.raw_files:
            f = Path(f)
            if f.is_symlink() and not f.exists():
                problems.append(f"{f} is a broken link (git-annex/DataLad content not retrieved? "
                                "run `datalad get` or `git annex get` on it)")
            elif not f.exists():
                problems.append(f"{f} does not exist")
            elif f.is_file() and f.stat().st_size == 0:
                problems.append(f"{f} is empty (0 bytes); copy it again from its source")
    if problems:
        raise BadInput("raw data files are missing or empty:\n" + "\n".join(f"  - {p}" for p in problems))


def _read_channels_tsv(tsv) -> dict:
    """``{column: [str, ...]}`` of a TSV file (the csv module: pandas costs ~0.5 s to import at parse)."""
    with open(tsv, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.reader(f, delimiter="\t") if row]
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    return {col: [row[k] if k < len(row) else "" for row in body] for k, col in enumerate(header)}


def channels_by_type(tsv) -> dict | None:
    """``{mne type: [(name, status), ...]}`` of the data channels in a channels.tsv.

    ``None`` when the file is missing or lacks the ``name``/``type`` columns (the
    job then checks the data themselves). Ambiguous 'MEGGRAD' channels are listed
    under both 'grad' and 'mag'.
    """
    tsv = Path(tsv)
    if not tsv.is_file():
        return None
    table = _read_channels_tsv(tsv)
    if not {"name", "type"} <= set(table):
        return None
    status = table["status"] if "status" in table else ["good"] * len(table["name"])
    found = {}
    for name, kind, st in zip(table["name"], table["type"], status):
        for mne_type in BIDS_CH_TYPES.get(kind.upper(), ()):
            found.setdefault(mne_type, []).append((name, st.strip().lower() or "good"))
    return found


def check_channels(recordings, ch_types) -> None:
    """Requested channel types exist and not every channel is bad (from channels.tsv).

    Parameters
    ----------
    recordings : list of tfmxne_workflow.dataset.Recording
    ch_types : None | list of str
        ``preprocessing.ch_types``.
    """
    from ..dataset import channels_tsv

    for rec in recordings:
        for raw_file in rec.raw_files:
            tsv = channels_tsv(raw_file)
            found = channels_by_type(tsv)
            if found is None:
                continue
            present = [t for t in ("grad", "mag", "eeg") if t in found]
            if ch_types is None:
                wanted = present
                if not wanted:
                    raise BadInput(f"{tsv} lists no MEG or EEG channels (types MEGMAG, MEGGRADPLANAR, "
                                   "MEGGRADAXIAL or EEG); check the file's type column")
            else:
                expanded = {t: ("grad", "mag") if t == "meg" else (t,) for t in ch_types}
                absent = [t for t, types in expanded.items() if not set(types) & set(present)]
                if absent:
                    raise BadInput(
                        f"channel types {absent} requested (preprocessing.ch_types) but {tsv.name} of "
                        f"sub-{rec.subject} has only {present}; set preprocessing.ch_types to "
                        f"some of {present} (or null for all)"
                    )
                wanted = [t for t in present if any(t in types for types in expanded.values())]
            channels = {name: st for t in wanted for name, st in found[t]}
            if channels and all(st == "bad" for st in channels.values()):
                raise BadInput(
                    f"all {len(channels)} {'/'.join(wanted)} channels are marked bad in {tsv}; "
                    "set the status of the usable ones to 'good' (or choose other preprocessing.ch_types)"
                )


def check_eeg_positions(recordings, ch_types, montage) -> None:
    """The good EEG channels of every forward model have positions (the recording's, or the montage's).

    Checks the first run of each recording, the one whose info the forward takes
    (:func:`tfmxne_workflow.stages.ingest.measurement_info`): the names and status in its
    ``channels.tsv``, and the montage's names (``preprocessing.montage``) or, without one,
    the positions in the file's header. The run is read through mne-bids as the job reads
    it, which is slower, only when that is not enough (no ``channels.tsv``, or an
    ``*_electrodes.tsv`` beside it that mne-bids would apply).
    """
    import mne

    from ..dataset import channels_tsv
    from ..stages import ingest

    if ch_types is not None and "eeg" not in ch_types:
        return
    covered = montage_channels(montage)
    for rec in recordings:
        raw_file = Path(rec.raw_files[0])
        found = channels_by_type(channels_tsv(raw_file))
        if found is None or (not montage and any(raw_file.parent.glob("*_electrodes.tsv"))):
            info = ingest.read_raw(raw_file).info
            eeg = [info.ch_names[k] for k in mne.pick_types(info, meg=False, eeg=True, exclude="bads")]
        else:
            info = None
            eeg = [name for name, status in found.get("eeg", []) if status != "bad"]
        if not eeg:
            continue
        if montage:
            missing = [name for name in eeg if name.lower() not in covered]
        else:
            unplaced = set(ingest.unplaced_eeg(info or _header_info(raw_file)))
            missing = [name for name in eeg if name in unplaced]
        if missing:
            where = f"sub-{rec.subject}{rec.ses} ({raw_file.name})"
            raise BadInput(ingest.no_position_message(missing, where, montage))


def montage_channels(montage) -> set | None:
    """The lower-case channel names of ``preprocessing.montage`` (None without one)."""
    from ..stages.ingest import make_montage

    return {name.lower() for name in make_montage(montage).ch_names} if montage else None


def _header_info(raw_file):
    """The info in a raw file's header, without its BIDS sidecars (a FIF file's in milliseconds)."""
    import mne

    if raw_file.suffix == ".fif":
        return mne.io.read_info(raw_file, verbose="error")
    return mne.io.read_raw(raw_file, preload=False, verbose="error").info


def check_repeated_events(study, datatype) -> None:
    """No run has two events of its analysed conditions on one sample (``preprocessing.event_repeated: error``)."""
    from ..dataset import events_tsv, repeated_events
    from ..stages.ingest import repeated_events_message

    for key, rec in study.recordings.items():
        for raw_file in rec.raw_files:
            repeats = repeated_events(raw_file, study.conditions[key], datatype)
            if repeats:
                raise BadInput(repeated_events_message(
                    f"sub-{rec.subject}{rec.ses} ({events_tsv(raw_file).name})", repeats))


def check_precomputed_forwards(pattern, recordings, ch_types) -> None:
    """Every recording's precomputed forward exists, fits its channels and subject.

    Reads only the forward's channel names and MRI subject (cheap).
    """
    from ..stages.forward import peek_forward

    missing = []
    for rec in recordings:
        fname = Path(forward_fname(pattern, rec.subject, rec.session))
        if not fname.is_file():
            missing.append(f"sub-{rec.subject}{rec.ses}: {fname}")
            continue
        ch_names, fwd_subject = peek_forward(fname)
        if fwd_subject and fwd_subject.startswith("sub-") and fwd_subject != f"sub-{rec.subject}":
            raise BadInput(
                f"the forward {fname} (forward.fname) was computed for {fwd_subject}, not "
                f"sub-{rec.subject}; check the {{subject}} part of forward.fname {pattern!r}"
            )
        good = good_channels(rec, ch_types)
        if ch_names is None or good is None:
            continue
        lacking = [name for name in good if name not in ch_names]
        if lacking:
            shown = shown_names(lacking)
            raise BadInput(
                f"the forward {fname} lacks {len(lacking)} channel(s) that sub-{rec.subject}{rec.ses} has: "
                f"{shown}; recompute the forward with this recording's sensors, or mark these channels "
                "bad in *_channels.tsv or leave their type out of preprocessing.ch_types"
            )
    if missing:
        raise BadInput(
            f"forward.source is 'precomputed' but forward.fname {pattern!r} resolves to no file for:\n"
            + "\n".join(f"  - {m}" for m in missing)
            + "\nFix forward.fname ({subject} and {session} are filled in) or compute these forwards."
        )


def forward_fname(pattern, subject, session) -> str:
    """``forward.fname`` (or another ``{subject}``/``{session}`` pattern) filled in for one recording."""
    return pattern.format(subject=subject, session=session or "")


def info_channels(info) -> dict:
    """``{mne type: [(name, status), ...]}`` of the data channels in a measurement info."""
    return {t: [(name, "bad" if name in info["bads"] else "good")
                for name, kind in zip(info.ch_names, info.get_channel_types()) if kind == t]
            for t in ("grad", "mag", "eeg")}


def recording_channels(rec) -> dict | None:
    """:func:`channels_by_type` of a recording: its first run's channels.tsv, or its evoked file's header."""
    import mne

    from ..dataset import channels_tsv

    if rec.evoked_file is not None:
        return info_channels(mne.io.read_info(rec.evoked_file, verbose="error"))
    return channels_by_type(channels_tsv(rec.raw_files[0]))


def good_channels(rec, ch_types) -> list | None:
    """The good channels of ``preprocessing.ch_types`` of a recording (:func:`recording_channels`).

    None when it has no usable channels.tsv (the jobs check the data themselves).
    """
    found = recording_channels(rec)
    if found is None:
        return None
    types = [t for t in ("grad", "mag", "eeg") if t in found]
    if ch_types is not None:
        types = [t for t in types if t in ch_types or ("meg" in ch_types and t != "eeg")]
    return list(dict.fromkeys(name for t in types for name, st in found[t] if st != "bad"))


def check_evoked_files(pattern, recordings) -> None:
    """Every recording's ``input.evoked`` file exists."""
    missing = [f"sub-{rec.subject}{rec.ses}: {rec.evoked_file}" for rec in recordings if not rec.evoked_file.is_file()]
    if missing:
        raise BadInput(
            f"input.source is 'evoked' but input.evoked {pattern!r} resolves to no file for:\n"
            + "\n".join(f"  - {m}" for m in missing)
            + "\nFix input.evoked ({subject} and {session} are filled in) or the subjects and sessions listed."
        )


def check_evoked_times(evokeds, fname, tmin, tmax) -> None:
    """The analysed evokeds of ``fname`` span the solve window ``tfmxne.tmin..tmax``."""
    for evoked in evokeds:
        if evoked.times[0] > tmin + 0.5 / evoked.info["sfreq"] or evoked.times[-1] < tmax - 0.5 / evoked.info["sfreq"]:
            raise BadInput(
                f"the evoked {evoked.comment!r} of {fname} spans {evoked.times[0]:.3f}..{evoked.times[-1]:.3f} s, "
                f"less than the solve window tfmxne.tmin..tmax ({tmin:g}..{tmax:g} s); set tfmxne.tmin and "
                "tfmxne.tmax (and crop.tmin and crop.tmax) inside it"
            )


def check_noise_cov_files(pattern, recordings, ch_types) -> None:
    """Every recording's noise covariance (``noise_cov.fname``) exists and covers its good channels.

    Its projectors need not match the data's: MNE whitens with the union of both
    (``mne.cov.prepare_noise_cov``), so a covariance computed without the recording's SSP
    is fine. What does not work: a good channel of the recording that the covariance
    lacks (MNE refuses it) or marks bad (its variance there is not an estimate).
    """
    import mne

    missing = []
    for rec in recordings:
        fname = Path(forward_fname(pattern, rec.subject, rec.session))
        where = f"sub-{rec.subject}{rec.ses}"
        if not fname.is_file():
            missing.append(f"{where}: {fname}")
            continue
        try:
            cov = mne.read_cov(fname, verbose="error")
        except Exception as err:
            raise BadInput(f"could not read the noise covariance {fname} (noise_cov.fname): {err}; give a "
                           "-cov.fif file written by mne.Covariance.save") from err
        good = good_channels(rec, ch_types) or []
        for problem, names in (("lacks", [ch for ch in good if ch not in cov.ch_names]),
                               ("marks as bad", [ch for ch in good if ch in cov["bads"]])):
            if names:
                raise BadInput(
                    f"the noise covariance {fname} (noise_cov.fname) {problem} {len(names)} good channel(s) "
                    f"of {where}: {shown_names(names)}; give a covariance estimated on this recording's "
                    "channels, or mark these channels bad in the data, or leave their type out of "
                    "preprocessing.ch_types"
                )
    if missing:
        raise BadInput(
            f"noise_cov.source is 'file' but noise_cov.fname {pattern!r} resolves to no file for:\n"
            + "\n".join(f"  - {m}" for m in missing)
            + "\nFix noise_cov.fname ({subject} and {session} are filled in)."
        )


def check_freesurfer(subjects_dir, fs_subject_pattern, subjects, trans_pattern, recordings) -> None:
    """The FreeSurfer subjects (and any trans files) are there."""
    subjects_dir = Path(subjects_dir)
    if not subjects_dir.is_dir():
        raise BadInput(f"forward.subjects_dir {str(subjects_dir)!r} does not exist; set it to the FreeSurfer "
                       "subjects directory")
    missing = [fs for fs in (fs_subject_pattern.format(subject=s) for s in subjects)
               if not (subjects_dir / fs).is_dir()]
    if missing:
        have = sorted(p.name for p in subjects_dir.iterdir() if p.is_dir())
        raise BadInput(
            f"FreeSurfer subject(s) {missing} not found in forward.subjects_dir {str(subjects_dir)!r} "
            f"(forward.fs_subject {fs_subject_pattern!r}); it has: {have}"
        )
    if trans_pattern:
        absent = [str(f) for f in (Path(trans_pattern.format(subject=r.subject, session=r.session or ""))
                                   for r in recordings) if not f.is_file()]
        if absent:
            raise BadInput(f"forward.trans {trans_pattern!r} resolves to no file for: {absent}; fix the "
                           "pattern or set forward.trans: null to use the BIDS landmarks")


def check_common_space(subjects_dir, fs_subject_pattern, subjects) -> None:
    """Check every subject's ``surf/?h.sphere.reg``, and fsaverage's files.

    Those of ``<subjects_dir>/fsaverage`` when it exists (else the packaged fsaverage5
    is used).
    """
    from ..stages import common_space

    files = [f for s in subjects
             for f in common_space.subject_spheres(subjects_dir, fs_subject_pattern.format(subject=s))]
    files += common_space.fsaverage_files(subjects_dir) or []
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise BadInput(
            f"{len(missing)} file(s) needed to map the sources to fsaverage are missing: "
            f"{missing[:6]}{' ...' if len(missing) > 6 else ''}. Run FreeSurfer's recon-all "
            "(it writes surf/?h.sphere.reg) for these subjects, or complete or remove "
            f"{Path(subjects_dir) / 'fsaverage'} (without it the packaged fsaverage5 is used)"
        )
