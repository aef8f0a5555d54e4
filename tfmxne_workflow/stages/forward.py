"""Forward model: source space, BEM solution, head<->MRI transform, gain matrix.

Three sources (``forward.source`` in the config): a FreeSurfer subject, the
fsaverage5 template (written by :mod:`tfmxne_workflow.headmodels.template`, no download), or a
precomputed ``-fwd.fif``.
"""
from __future__ import annotations

import logging
from pathlib import Path

import mne

from ..errors import shown_names

logger = logging.getLogger(__name__)

def write_template(subject_dir, trans_fname) -> Path:
    """Write the fsaverage5 template subject and its head->MRI transform.

    Parameters
    ----------
    subject_dir : str | Path
        The subject folder to create (its name is the subject name, its parent the
        FreeSurfer subjects directory); written atomically by
        :func:`tfmxne_workflow.headmodels.template.write_template_subject`.
    trans_fname : str | Path
        Where to write the ``-trans.fif``.

    Returns
    -------
    subject_dir : Path
    """
    from ..atomic import atomic_path
    from ..headmodels import template

    subject_dir = Path(subject_dir)
    template.write_template_subject(subject_dir.parent, subject=subject_dir.name)
    with atomic_path(trans_fname) as tmp:
        mne.write_trans(tmp, template.template_trans(), overwrite=True)
    return subject_dir


def source_space(subject, subjects_dir, spacing="oct5"):
    """Cortical source space on the white-matter surfaces ``surf/?h.white``.

    Parameters
    ----------
    subject : str
        FreeSurfer subject name.
    subjects_dir : str | Path
        FreeSurfer subjects directory.
    spacing : str
        ``'oct5'``, ``'oct6'``, ``'ico4'``, ... or ``'all'`` (see
        :func:`mne.setup_source_space`); subsampling uses ``surf/?h.sphere``.

    Returns
    -------
    src : mne.SourceSpaces
    """
    return mne.setup_source_space(
        subject, spacing=spacing, subjects_dir=subjects_dir, add_dist=False, verbose="error"
    )


def bem_solution(subject, subjects_dir, conductivity=(0.3, 0.006, 0.3), ico=4):
    """Linear-collocation BEM solution from ``bem/{inner_skull,outer_skull,outer_skin}.surf``.

    Parameters
    ----------
    subject : str
        FreeSurfer subject name.
    subjects_dir : str | Path
        FreeSurfer subjects directory.
    conductivity : sequence of float
        S/m, one value for a single-layer (MEG only) model, three for brain, skull
        and scalp (needed for EEG).
    ico : int | None
        Downsampling of the surfaces (``None``: as they are).

    Returns
    -------
    bem : mne.bem.ConductorModel
    """
    surfs = mne.make_bem_model(
        subject, ico=ico, conductivity=tuple(conductivity), subjects_dir=subjects_dir, verbose="error"
    )
    return mne.make_bem_solution(surfs, verbose="error")


def trans_from_bids(raw_file, fs_subject, subjects_dir):
    """Head->MRI transform from the anatomical landmarks in the T1w sidecar (mne-bids).

    Parameters
    ----------
    raw_file : str | Path
        A run of the subject (its digitised fiducials give the head frame); the
        subject's ``anat/*_T1w.json`` in the same dataset holds the MRI landmarks.
    fs_subject : str
        FreeSurfer subject of the same person.
    subjects_dir : str | Path
        FreeSurfer subjects directory.

    Returns
    -------
    trans : mne.transforms.Transform
    """
    from mne_bids import get_bids_path_from_fname, get_head_mri_trans

    return get_head_mri_trans(
        get_bids_path_from_fname(raw_file), fs_subject=fs_subject, fs_subjects_dir=subjects_dir, verbose="error"
    )


def make_forward(info, trans, src, bem, mindist=5.0):
    """Gain matrix for the MEG and EEG channels of ``info``.

    EEG is left out (with a warning) when the BEM has a single layer.

    Parameters
    ----------
    info : mne.Info
        Measurement info taken from the raw file, so the forward does not depend on
        any preprocessing setting.
    trans : str | Path | mne.transforms.Transform
        Head->MRI transform.
    src : str | Path | mne.SourceSpaces
        Source space.
    bem : str | Path | mne.bem.ConductorModel
        BEM solution.
    mindist : float
        Minimum distance of sources to the inner skull in mm.

    Returns
    -------
    fwd : mne.Forward
        Free orientation, in surface-based coordinates.
    """
    if isinstance(bem, (str, Path)):
        bem = mne.read_bem_solution(bem, verbose="error")
    types = info.get_channel_types(unique=True)
    meg = "grad" in types or "mag" in types
    eeg = "eeg" in types
    if eeg and len(bem["surfs"]) == 1:
        logger.warning("Single-layer BEM: EEG channels are left out of the forward model")
        eeg = False
    fwd = mne.make_forward_solution(
        info, trans=trans, src=src, bem=bem, meg=meg, eeg=eeg, mindist=mindist, verbose="error"
    )
    return mne.convert_forward_solution(fwd, surf_ori=True, verbose="error")


def read_precomputed(fname, subject):
    """Read a precomputed forward and check it belongs to ``subject``.

    Parameters
    ----------
    fname : str | Path
        The ``-fwd.fif`` file.
    subject : str
        Expected BIDS subject label; a forward whose MRI subject is another BIDS
        subject (``sub-<other>``) is refused.

    Returns
    -------
    fwd : mne.Forward
    """
    try:
        fwd = mne.read_forward_solution(fname, verbose="error")
    except Exception as err:  # truncated, not a forward, wrong name ending
        raise ValueError(
            f"Could not read the precomputed forward {fname} (forward.fname): {err}; "
            "check that it is a complete -fwd.fif file"
        ) from err
    fwd_subject = fwd["src"]._subject
    if fwd_subject and fwd_subject.startswith("sub-") and fwd_subject != f"sub-{subject}":
        raise ValueError(
            f"The forward {fname} was computed for subject {fwd_subject!r}, not sub-{subject}; "
            "check the {subject} part of forward.fname"
        )
    return mne.convert_forward_solution(fwd, surf_ori=True, verbose="error")


def peek_forward(fname):
    """Channel names and MRI subject of a ``-fwd.fif`` without reading the gain matrix.

    Cheap enough to run for every recording when the workflow is parsed.

    Returns
    -------
    ch_names : list of str | None
        ``None`` when the file cannot be read this way (the job reads it fully).
    subject : str | None
        ``subject_his_id`` of its source space, if stored.
    """
    try:
        from mne.io.constants import FIFF

        from tfmxne._mne_private import _read_forward_meas_info, dir_tree_find, find_tag, fiff_open

        f, tree, _ = fiff_open(Path(fname), verbose="error")
        with f as fid:
            info = _read_forward_meas_info(tree, fid)
            subject = None
            for node in dir_tree_find(tree, FIFF.FIFFB_MNE_SOURCE_SPACE)[:1]:
                tag = find_tag(fid, node, FIFF.FIFF_SUBJ_HIS_ID)
                subject = tag.data if tag is not None else None
        return list(info["ch_names"]), subject
    except Exception:  # private MNE API or an unusual file: leave it to the job
        return None, None


def check_forward_channels(fwd, info, fname="the forward"):
    """Raise a ``ValueError`` naming the good channels of ``info`` the forward lacks.

    Parameters
    ----------
    fwd : mne.Forward
    info : mne.Info
        Info of the data (bad channels are not needed in the forward).
    fname : str
        How to name the forward in the message.
    """
    have = set(fwd["sol"]["row_names"])
    lacking = [ch for ch in info["ch_names"] if ch not in info["bads"] and ch not in have]
    if lacking:
        shown = shown_names(lacking)
        raise ValueError(
            f"{fname} lacks {len(lacking)} channel(s) of the data: {shown}; recompute the forward "
            "with this recording's sensors, or mark these channels bad in *_channels.tsv or leave "
            "their type out of preprocessing.ch_types"
        )
