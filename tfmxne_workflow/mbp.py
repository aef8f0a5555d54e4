"""Input from mne-bids-pipeline (MBP): its cleaned epochs, evokeds, covariance and forward.

With ``input.source: mne-bids-pipeline`` the workflow reads what MBP 1.10 wrote under its
``deriv_root`` instead of running its own ingestion. File names are MBP's (built here with
mne-bids' ``BIDSPath`` as MBP builds them):

- ``sub-X[_ses-Y]_task-T_proc-clean_epo.fif`` cleaned epochs (``preprocessing/ptp_reject``),
- ``sub-X[_ses-Y]_task-T_ave.fif`` one evoked per MBP condition (``sensor/make_evoked``),
- ``sub-X[_ses-Y][_task-noise]_proc-clean_cov.fif`` noise covariance (``sensor/make_cov``),
- ``sub-X[_ses-Y]_fwd.fif`` / ``_trans.fif`` forward and transform (``source/make_forward``).

Every check raises a ``ValueError`` that names the file and the MBP step to run.
"""
from __future__ import annotations

import json
import re
import runpy
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import shown_names

#: MBP's noise covariance file entities, in the order they are looked for:
#: (task, processing) for baseline/epochs, empty-room, resting-state, custom, ad-hoc.
COV_ENTITIES = ((None, "clean"), ("noise", "clean"), ("rest", "clean"), (None, "custom"), (None, "adhoc"))


@dataclass
class MbpFiles:
    """MBP's derivatives of one recording (None: MBP did not write that one)."""

    epochs: Path
    evoked: Path | None
    cov: Path | None
    fwd: Path | None
    trans: Path | None


def mbp_root(bids_root, configured=None) -> Path:
    """MBP's derivatives folder: ``input.mbp_root`` or ``<bids_root>/derivatives/mne-bids-pipeline``."""
    return Path(configured) if configured else Path(bids_root) / "derivatives" / "mne-bids-pipeline"


def _bids_path(root, subject, session, datatype, **entities):
    from mne_bids import BIDSPath

    return BIDSPath(root=root, subject=subject, session=session, datatype=datatype,
                    extension=".fif", check=False, **entities)


def _existing(path) -> Path | None:
    """The file of ``path`` (a BIDSPath), or its first split, or None."""
    if path.fpath.is_file():
        return Path(path.fpath)
    split = path.copy().update(split="01")
    return Path(split.fpath) if split.fpath.is_file() else None


def find_files(root, subject, session, task, datatype) -> MbpFiles | None:
    """MBP's files of one recording; None when it has no cleaned epochs."""
    epochs = _existing(_bids_path(root, subject, session, datatype, task=task,
                                  processing="clean", suffix="epo"))
    if epochs is None:
        return None
    cov = None
    for cov_task, processing in COV_ENTITIES:
        cov = _existing(_bids_path(root, subject, session, datatype, task=cov_task,
                                   processing=processing, suffix="cov"))
        if cov:
            break
    return MbpFiles(
        epochs=epochs,
        evoked=_existing(_bids_path(root, subject, session, datatype, task=task, suffix="ave")),
        cov=cov,
        fwd=_existing(_bids_path(root, subject, session, datatype, suffix="fwd")),
        trans=_existing(_bids_path(root, subject, session, datatype, suffix="trans")),
    )


def read_config(fname) -> dict:
    """The settings of an MBP config file (a Python file of assignments)."""
    fname = Path(fname) if fname else None
    if fname is None or not fname.is_file():
        raise ValueError(
            f"input.mbp_config {str(fname) if fname else None!r} is not a file; with input.source: "
            "mne-bids-pipeline set input.mbp_config to the config file (.py) mne-bids-pipeline ran with"
        )
    try:
        settings = runpy.run_path(str(fname))
    except Exception as err:
        raise ValueError(f"Could not run the mne-bids-pipeline config {fname}: {type(err).__name__}: {err}") from err
    return {k: v for k, v in settings.items() if not k.startswith("_")}


def conditions(settings: dict) -> dict | None:
    """MBP's ``conditions``: name -> epochs selector (``'auditory'`` pools ``auditory/left``, ...).

    A list names conditions by their selector; a dict maps new names to selectors
    (MBP's renaming); None means every event type of the epochs.
    """
    found = settings.get("conditions")
    if found is None:
        return None
    if isinstance(found, dict):
        return {str(k): v for k, v in found.items()}
    return {str(c): str(c) for c in found}


def _selects(selector, event_names) -> bool:
    """Whether MNE's ``epochs[selector]`` picks any event (``'/'``-separated tags pool)."""
    selectors = [selector] if isinstance(selector, str) else list(selector)
    return any(
        set(s.split("/")) <= set(name.split("/")) for s in selectors for name in event_names
    )


def epochs_event_names(fname) -> list:
    """Event names of an epochs file (reads the header, not the data)."""
    import mne

    return list(mne.read_epochs(fname, preload=False, verbose="error").event_id)


def select_conditions(requested, mbp_conditions, event_names, epochs_file, config_file) -> dict:
    """The MBP conditions to analyse (``conditions`` of our config among MBP's).

    Parameters
    ----------
    requested : 'all' | list of str
        Our ``conditions`` setting, as MBP condition names.
    mbp_conditions : dict | None
        :func:`conditions` of the MBP config (None: every event type of the epochs).
    event_names : list of str
        Event names of the recording's cleaned epochs.
    epochs_file, config_file : Path
        Named in messages.

    Returns
    -------
    selected : dict
        Condition name -> epochs selector.
    """
    available = mbp_conditions if mbp_conditions is not None else {e: e for e in event_names}
    if requested not in (None, "all"):
        missing = [str(c) for c in requested if str(c) not in available]
        if missing:
            raise ValueError(
                f"conditions {missing} were not epoched by mne-bids-pipeline: its conditions "
                f"(conditions in {config_file}) are {sorted(available)}; set conditions to some of "
                "these, or add them to its config and rerun its preprocessing/make_epochs and "
                "preprocessing/ptp_reject steps"
            )
        available = {str(c): available[str(c)] for c in requested}
    empty = [name for name, selector in available.items() if not _selects(selector, event_names)]
    if empty:
        raise ValueError(
            f"{epochs_file} has no epochs of condition(s) {empty} (its event types: "
            f"{sorted(event_names)}); rerun mne-bids-pipeline's preprocessing/make_epochs and "
            f"preprocessing/ptp_reject with the config {config_file}, or leave these out of conditions"
        )
    return available


def study_files(root, recordings, task, datatype, config_file) -> dict:
    """MBP's files of every recording: ``(subject, ses) -> MbpFiles``.

    Raises when the MBP root is missing, when MBP did not process a recording, or when
    some recordings have an MBP forward and others not (the study uses one forward source).
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(
            f"input.mbp_root {str(root)!r} does not exist; run mne-bids-pipeline first "
            f"(mne_bids_pipeline --config {config_file} --steps init,preprocessing,sensor/make_cov) "
            "or set input.mbp_root to its deriv_root"
        )
    files, missing = {}, []
    for rec in recordings:
        found = find_files(root, rec.subject, rec.session, task, datatype)
        if found is None:
            expected = _bids_path(root, rec.subject, rec.session, datatype, task=task,
                                  processing="clean", suffix="epo").fpath
            missing.append(f"sub-{rec.subject}{rec.ses} task-{task}: no {expected}")
        else:
            files[(rec.subject, rec.ses)] = found
    if missing:
        raise ValueError(
            "mne-bids-pipeline did not process these recordings (no cleaned epochs):\n"
            + "\n".join(f"  - {m}" for m in missing)
            + f"\nRun its preprocessing steps for them (mne_bids_pipeline --config {config_file} "
            "--steps preprocessing), or leave them out with subjects/sessions"
        )
    with_fwd = sorted(f"sub-{s}{ses}" for (s, ses), f in files.items() if f.fwd)
    if with_fwd and len(with_fwd) < len(files):
        without = sorted(f"sub-{s}{ses}" for (s, ses), f in files.items() if not f.fwd)
        raise ValueError(
            f"mne-bids-pipeline wrote a forward (*_fwd.fif) for {with_fwd} but not for {without}; "
            f"run its source/make_forward step for those (mne_bids_pipeline --config {config_file} "
            "--steps source/make_forward), or delete the forwards to use forward.source for all"
        )
    return files


def restrict_covariance(cov, info, cov_file, epochs_file):
    """The covariance on the epochs' channels, in their order.

    Raises when the covariance lacks good MEG/EEG channels of the epochs (MBP files that
    disagree: the covariance is from another run of MBP).
    """
    import mne

    data = [info["ch_names"][i] for i in mne.pick_types(info, meg=True, eeg=True, exclude="bads")]
    lacking = [ch for ch in data if ch not in cov["names"]]
    if lacking:
        shown = shown_names(lacking)
        raise ValueError(
            f"the noise covariance {cov_file} lacks {len(lacking)} good channel(s) of the epochs "
            f"{epochs_file}: {shown}; the two come from different mne-bids-pipeline runs: rerun its "
            "sensor/make_cov step"
        )
    keep = [ch for ch in info["ch_names"] if ch in cov["names"]]
    return mne.pick_channels_cov(cov, include=keep, ordered=True, verbose="error")


def evoked_of(epochs, name, selector, evoked_file=None):
    """The evoked response of one MBP condition: MBP's own when written, else the epochs' average."""
    import mne

    if evoked_file is not None:
        for evoked in mne.read_evokeds(evoked_file, verbose="error"):
            if evoked.comment == name:
                return evoked
    evoked = epochs[selector].average()
    evoked.comment = name
    return evoked


def log_steps(root, task) -> list:
    """The steps MBP logged in ``task-<t>_log.xlsx`` (one worksheet per step), in order.

    Names are ``group/step`` as MBP's ``--steps`` takes them; a worksheet name Excel cut
    to 31 characters keeps only the step.
    """
    fname = Path(root) / f"task-{task}_log.xlsx"
    if not fname.is_file():
        return []
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(fname) as book:
        sheets = ElementTree.fromstring(book.read("xl/workbook.xml")).findall("m:sheets/m:sheet", ns)
    steps = []
    for sheet in sheets:
        match = re.fullmatch(r"(?:(init|preprocessing|sensor|source|freesurfer)-)?.*?_\d+\w*?_(\w+)", sheet.get("name"))
        if match:
            step = f"{match[1]}/{match[2]}" if match[1] else match[2]
            if step not in steps:
                steps.append(step)
    return steps


def provenance(root, config_file, task) -> dict:
    """Where the data came from: MBP's version, the steps it logged, its config file."""
    description = Path(root) / "dataset_description.json"
    version = None
    if description.is_file():
        version = json.loads(description.read_text(encoding="utf-8")).get("PipelineDescription", {}).get("Version")
    return {
        "pipeline": "mne-bids-pipeline",
        "version": version,
        "mbp_root": str(Path(root).resolve()),
        "steps": log_steps(root, task),
        "config_file": str(Path(config_file).resolve()),
        "config": Path(config_file).read_text(encoding="utf-8"),
    }


def provenance_html(record: dict) -> str:
    """The report's "Where the data came from" section for a :func:`provenance` record."""
    from html import escape

    steps = ", ".join(record["steps"]) or "none logged"
    return (
        f"<p>Preprocessed by <b>{escape(record['pipeline'])} {escape(str(record['version']))}</b> "
        f"in <code>{escape(record['mbp_root'])}</code>: cleaned epochs, evokeds and noise "
        "covariance (and forward, when it wrote one) are its files.</p>"
        f"<p>Its steps (from its log): {escape(steps)}</p>"
        f"<p>Its config file <code>{escape(record['config_file'])}</code>:</p>"
        f"<pre>{escape(record['config'])}</pre>"
    )
