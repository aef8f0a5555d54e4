"""The study: which recordings, which conditions of each, and where their data come from.

BIDS input scans the dataset with mne-bids (once, on the submitting host; the jobs read
the scan back, see :func:`tfmxne_workflow.dataset.study_index`); mne-bids-pipeline input
(``input.source``) adds the files MBP wrote and its conditions; evoked input has the listed
subjects' ``-ave.fif`` files and their evokeds' comments instead of a BIDS dataset.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import dataset, mbp
from . import auto, checks

#: Where the scan of the dataset is kept for the jobs (relative to the working directory).
SCAN_CACHE = ".snakemake/tfmxne"


@dataclass(frozen=True)
class Study:
    """Recordings, their conditions and the labels the file names use.

    Attributes
    ----------
    recordings : dict
        ``(subject, ses) -> dataset.Recording``.
    conditions : dict
        ``(subject, ses) -> sorted trial types`` analysed in that recording.
    labels : dict
        Condition label (letters and digits, in file names) -> trial type.
    mbp_files : dict
        ``(subject, ses) -> mbp.MbpFiles`` (mne-bids-pipeline input; else empty).
    mbp_selectors : dict
        ``(subject, ses) -> {MBP condition: epochs selector}`` (idem).
    """

    recordings: dict
    conditions: dict
    labels: dict
    mbp_files: dict = field(default_factory=dict)
    mbp_selectors: dict = field(default_factory=dict)

    @property
    def subjects(self) -> list:
        """Subject labels, sorted."""
        return sorted({subject for subject, _ in self.recordings})

    def label_of(self, trial_type) -> str:
        """The condition label of a trial type."""
        return {t: label for label, t in self.labels.items()}[trial_type]

    def condition_labels(self, subject, ses) -> dict:
        """Condition label -> trial type, for one recording."""
        return {self.label_of(t): t for t in self.conditions[(subject, ses)]}

    def with_condition(self, label) -> list:
        """``(subject, ses)`` of the recordings that have condition ``label``, sorted."""
        return sorted(key for key, types in self.conditions.items() if self.labels[label] in types)

    def condition_keys(self) -> list:
        """``(subject, ses, label)`` of every analysed condition, recording by recording."""
        return [(subject, ses, self.label_of(t))
                for (subject, ses), types in self.conditions.items() for t in types]


def scan(settings, mbp_root, on_host: bool) -> Study:
    """The study of a resolved configuration (``on_host``: scan; a job: read the scan back)."""
    if settings["input"]["source"] == "evoked":
        return _evoked_input(settings, on_host)
    index = dataset.study_index(settings["bids_root"], settings["task"], settings["datatype"],
                                settings["subjects"], settings["sessions"], cache_dir=SCAN_CACHE,
                                reuse=not on_host)
    recordings = {(r.subject, r.ses): r for r in index.recordings}
    files, selectors = {}, {}
    if settings["input"]["source"] == "mne-bids-pipeline":
        files, selectors = _mbp_input(settings, mbp_root, recordings)
        conditions = {key: sorted(selected) for key, selected in selectors.items()}
    else:
        where = f"task-{settings['task']}"
        conditions = {key: dataset.select_conditions(settings["conditions"], found,
                                                     f"sub-{key[0]}{key[1]} {where}")
                      for key, found in index.trial_types.items()}
    labels = dataset.condition_labels(sorted({t for types in conditions.values() for t in types}))
    return Study(recordings, conditions, labels, files, selectors)


def _evoked_input(settings, on_host: bool) -> Study:
    """The listed subjects' (and sessions') ``input.evoked`` files and their evokeds' comments.

    The host reads the files; a job reads the comments it kept (:func:`tfmxne_workflow.dataset.cached_scan`).
    """
    pattern = settings["input"]["evoked"]
    sessions = [None] if settings["sessions"] == "all" else settings["sessions"]
    recordings = {}
    for subject in settings["subjects"]:
        for session in sessions:
            fname = Path(checks.forward_fname(pattern, subject, session))
            rec = dataset.Recording(subject, session, evoked_file=fname)
            recordings[(subject, rec.ses)] = rec
    args = [pattern, settings["subjects"], settings["sessions"], settings["conditions"]]
    conditions = dataset.cached_scan(
        "evoked", args, SCAN_CACHE, not on_host, lambda: _evoked_conditions(settings, recordings),
        lambda found: [[*key, types] for key, types in found.items()],
        lambda rows: {(subject, ses): types for subject, ses, types in rows})
    labels = dataset.condition_labels(sorted({t for types in conditions.values() for t in types}))
    return Study(recordings, conditions, labels)


def _evoked_conditions(settings, recordings) -> dict:
    """``(subject, ses) -> sorted comments`` of the analysed evokeds, their files checked."""
    from ..stages import evoked_input

    checks.check_evoked_files(settings["input"]["evoked"], recordings.values())
    tf = settings["tfmxne"]
    conditions = {}
    for key, rec in recordings.items():
        evokeds = evoked_input.read_all(rec.evoked_file)
        where = f"sub-{rec.subject}{rec.ses} ({rec.evoked_file.name}: its evokeds' comments)"
        conditions[key] = sorted(dataset.select_conditions(
            settings["conditions"], [e.comment for e in evokeds], where))
        checks.check_evoked_times([e for e in evokeds if e.comment in conditions[key]], rec.evoked_file,
                                  tf["tmin"], tf["tmax"])
    return conditions


def _mbp_input(settings, mbp_root, recordings) -> tuple[dict, dict]:
    """MBP's files of every recording and, per recording, the MBP conditions analysed."""
    config_file = settings["input"]["mbp_config"]
    mbp_conditions = mbp.conditions(mbp.read_config(config_file))
    files = mbp.study_files(mbp_root, recordings.values(), settings["task"], settings["datatype"],
                            config_file)
    selectors = {key: mbp.select_conditions(settings["conditions"], mbp_conditions,
                                            mbp.epochs_event_names(f.epochs), f.epochs, config_file)
                 for key, f in files.items()}
    return files, selectors


def channel_types(study: Study, key, ch_types) -> list:
    """The MNE types of the good channels that are solved in recording ``key``.

    From the recording's ``channels.tsv`` and ``preprocessing.ch_types`` (BIDS input), else
    from the data's header: MBP's epochs, the evoked file, or the raw file when it has no
    ``channels.tsv``.
    """
    import mne

    if key in study.mbp_files:
        return auto.good_channel_types(mne.io.read_info(study.mbp_files[key].epochs, verbose="error"))
    rec = study.recordings[key]
    found = checks.recording_channels(rec)
    if found is None:
        from ..stages.ingest import read_raw

        found = checks.info_channels(read_raw(rec.raw_files[0]).info)
    wanted = {"grad", "mag", "eeg"} if ch_types is None else {
        t for requested in ch_types for t in (("grad", "mag") if requested == "meg" else (requested,))}
    return sorted(t for t, channels in found.items()
                  if t in wanted and any(status != "bad" for _, status in channels))


def modality(study: Study, key, ch_types) -> str:
    """``'meg'`` or ``'eeg'`` (:func:`tfmxne_workflow.plan.auto.modality`) of one recording."""
    return auto.modality(channel_types(study, key, ch_types))
