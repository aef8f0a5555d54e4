"""The rules' input (and per-job parameter) functions: a plan and a job's wildcards in, paths out.

``common.smk`` binds each to the plan (``job(inputs.solve)``); they decide nothing the
plan has not decided already.
"""
from __future__ import annotations

from pathlib import Path

from .. import dataset
from ..stages import common_space


def fill(pattern: str, subject, ses, cond=None) -> str:
    """``pattern`` with one job's wildcards filled in."""
    return pattern.format(subject=subject, ses=ses, cond=cond)


def session_label(ses: str) -> str:
    """``'_ses-01'`` -> ``'01'``; ``''`` -> ``''``."""
    return ses[len("_ses-"):] if ses else ""


def all_outputs(plan) -> list:
    """What ``rule all`` asks for: every report and dense estimate, the study summary, the group report."""
    out = [f"{plan.paths.deriv}/dataset_description.json", f"{plan.paths.deriv}/study_summary.html"]
    if plan.group_enabled:
        out.append(plan.paths.group_report)
    out += [fill(plan.paths.recording_file("_report.html"), subject, ses) for subject, ses in plan.study.recordings]
    return out + study_files(plan, dense_suffix(plan))


def dense_suffix(plan, hemi="lh") -> str:
    """The dense estimate's file suffix, named by its method (``dense.method``, lower case)."""
    return f"_proc-crop_desc-{{cond}}_{plan.settings['dense']['method'].lower()}-{hemi}.stc"


def study_files(plan, suffix) -> list:
    """A per-condition ``suffix`` of every recording and condition, recording by recording."""
    return [fill(plan.paths.recording_file(suffix), subject, ses, cond)
            for subject, ses, cond in plan.study.condition_keys()]


def study_keys(plan) -> list:
    """(recording id, condition label) of each file of :func:`study_files`, in its order."""
    return [(f"sub-{subject}{ses}", cond) for subject, ses, cond in plan.study.condition_keys()]


def recording_reports(plan) -> list:
    """Every recording's report, sorted by recording."""
    return [fill(plan.paths.recording_file("_report.html"), subject, ses)
            for subject, ses in sorted(plan.study.recordings)]


def recording_files(plan, suffix) -> list:
    """A per-recording ``suffix`` of every recording, in the study's order."""
    return [fill(plan.paths.recording_file(suffix), subject, ses) for subject, ses in plan.study.recordings]


# Ingestion (BIDS input)


def raw_files(plan, subject, ses) -> list:
    """The raw file of each run of one recording."""
    return [str(f) for f in plan.study.recordings[(subject, ses)].raw_files]


def first_raw_file(plan, subject, ses) -> str:
    """The first run's raw file (its measurement info is the recording's)."""
    return raw_files(plan, subject, ses)[0]


def condition_labels(plan, subject, ses, **_) -> dict:
    """Condition label -> trial type of one recording."""
    return plan.study.condition_labels(subject, ses)


def trial_type(plan, cond, **_) -> str:
    """The trial type of a condition label."""
    return plan.study.labels[cond]


def sidecars(plan, subject, ses) -> list:
    """The events/channels TSVs of every run (edits to them rerun ingestion)."""
    files = []
    for f in plan.study.recordings[(subject, ses)].raw_files:
        files += [str(p) for p in (dataset.events_tsv(f), dataset.channels_tsv(f)) if p.is_file()]
    return files


def noise_cov(plan, subject, ses) -> dict:
    """The epochs (and the empty-room recording), or the given covariance and the info of the data it whitens."""
    cov = plan.settings["noise_cov"]
    if cov["source"] == "file":
        return {"noise_cov": cov["fname"].format(subject=subject, session=session_label(ses)),
                "info": fill(plan.paths.recording_file("_info.fif"), subject, ses)}
    inputs = {"epochs": fill(plan.paths.recording_file("_epo.fif"), subject, ses)}
    if cov["source"] == "empty_room":
        raw_file = plan.study.recordings[(subject, ses)].raw_files[0]
        inputs["empty_room"] = str(dataset.empty_room_file(raw_file))
    return inputs


# Evoked input


def evoked_file(plan, subject, ses, **_) -> str:
    """The recording's ``-ave.fif`` (``input.evoked``)."""
    return str(plan.study.recordings[(subject, ses)].evoked_file)


# Forward model


def fs_subject(plan, subject, **_) -> str:
    """The FreeSurfer subject of a BIDS subject (``fsaverage5`` for the template head)."""
    if plan.forward_source == "template":
        return "fsaverage5"
    return plan.settings["forward"]["fs_subject"].format(subject=subject)


def subjects_dir(plan, **_) -> str:
    """The FreeSurfer subjects folder (the template's own, under the derivatives, for the template head)."""
    if plan.forward_source == "template":
        return f"{plan.paths.headmodels}/subjects"
    return plan.settings["forward"]["subjects_dir"]


def anatomy(plan, kind, fs_subject) -> list:
    """The FreeSurfer files a source space (``kind`` 'src') or BEM ('bem') is made from."""
    if plan.forward_source == "template":
        return [plan.paths.template_dir]
    fwd = plan.settings["forward"]
    subject_dir = Path(fwd["subjects_dir"]) / fs_subject
    if kind == "src":
        return [str(subject_dir / "surf" / f"{h}.{s}") for h in ("lh", "rh") for s in ("white", "sphere")]
    names = ["inner_skull", "outer_skull", "outer_skin"][: len(fwd["conductivity"])]
    return [str(subject_dir / "bem" / f"{n}.surf") for n in names]


def trans(plan, subject, ses) -> str:
    """The head<->MRI transform: the template's, ``forward.trans``, or made from the BIDS landmarks."""
    fwd = plan.settings["forward"]
    if plan.forward_source == "template":
        return plan.paths.template_trans
    if fwd["trans"]:
        return fwd["trans"].format(subject=subject, session=session_label(ses))
    return fill(plan.paths.recording_file("_trans.fif"), subject, ses)


def forward(plan, subject, ses) -> dict:
    """The measurement info, transform, source space and BEM solution of one forward."""
    fs = fs_subject(plan, subject)
    return {"info": fill(plan.paths.recording_file("_info.fif"), subject, ses),
            "trans": trans(plan, subject, ses),
            "src": plan.paths.source_space(fs), "bem": plan.paths.bem_solution(fs)}


def precomputed_forward(plan, subject, ses) -> str:
    """``forward.fname`` filled in for one recording."""
    return plan.settings["forward"]["fname"].format(subject=subject, session=session_label(ses))


# dSPM and solve


def stage_inputs(plan, subject, ses, cond) -> dict:
    """The evoked, forward and noise covariance of one condition."""
    return {"evoked": fill(plan.paths.condition_file("_ave.fif"), subject, ses, cond),
            "fwd": fill(plan.paths.recording_file("_fwd.fif"), subject, ses),
            "noise_cov": fill(plan.paths.recording_file("_cov.fif"), subject, ses)}


def solve(plan, subject, ses, cond) -> dict:
    """:func:`stage_inputs`, the dSPM estimate if weighted, the epochs if stability selection halves them."""
    inputs = stage_inputs(plan, subject, ses, cond)
    if plan.uses_dspm(subject, ses):
        inputs["dspm"] = fill(plan.paths.condition_file("_dspm-lh.stc"), subject, ses, cond)
    if plan.settings["stability"]["n_resamples"] and not plan.evoked_input:  # evoked input: noise resamples
        inputs["epochs"] = (mbp_epochs(plan, subject, ses) if plan.mbp_input
                            else fill(plan.paths.recording_file("_epo.fif"), subject, ses))
    return inputs


def epochs_selector(plan, subject, ses, cond) -> str:
    """What picks one condition's trials from its recording's epochs: its label, or MBP's selector."""
    return mbp_selector(plan, subject, ses, cond) if plan.mbp_input else cond


def solve_settings(plan, subject, ses, **_) -> dict:
    """The solve stage's settings for the job's recording (:meth:`Plan.solve_settings`)."""
    return plan.solve_settings(subject, ses)


# Sources table and report


def common_space_files(plan, subject, **_) -> dict:
    """The subject's registered spheres and the user's fsaverage files, when they are used."""
    if plan.common_space != "sphere":
        return {}
    folder = plan.settings["forward"]["subjects_dir"]
    return {"spheres": [str(f) for f in common_space.subject_spheres(folder, fs_subject(plan, subject))],
            "fsaverage": fsaverage_files(plan)}


def fsaverage_dir(plan, **_) -> str | None:
    """The folder whose ``fsaverage`` the sources map to (None: the packaged fsaverage5)."""
    return plan.settings["forward"]["subjects_dir"] if plan.common_space == "sphere" else None


def fsaverage_files(plan, **_) -> list:
    """The user's fsaverage files the sources map to (none for the packaged fsaverage5)."""
    return [str(f) for f in common_space.fsaverage_files(fsaverage_dir(plan)) or []]


def common_space_param(plan, subject, **_) -> dict | None:
    """How the sources table maps to fsaverage: None (no anatomy), template or sphere."""
    if plan.common_space is None:
        return None
    if plan.common_space == "template":
        return {"subject": None, "subjects_dir": None}
    return {"subject": fs_subject(plan, subject), "subjects_dir": plan.settings["forward"]["subjects_dir"]}


def per_condition(plan, suffix, subject, ses) -> list:
    """A per-condition ``suffix`` of each condition of one recording."""
    return [fill(plan.paths.recording_file(suffix), subject, ses, cond)
            for cond in sorted(plan.study.condition_labels(subject, ses))]


def truth(plan, subject, **_) -> list:
    """The ground-truth TSV when the config names one and it exists, else nothing."""
    pattern = plan.settings["report"]["truth"]
    if not pattern:
        return []
    settings = plan.settings
    fname = pattern.format(bids_root=settings["bids_root"], subject=subject, task=settings["task"])
    return [fname] if Path(fname).is_file() else []


def raw_description(plan, **_) -> dict:
    """The raw dataset's ``dataset_description.json`` (none for evoked input)."""
    return {} if plan.evoked_input else {"raw_description": f"{plan.settings['bids_root']}/dataset_description.json"}


def provenance(plan, **_) -> list:
    """The report's "Where the data came from" record (mne-bids-pipeline input only)."""
    return [plan.paths.mbp_provenance] if plan.mbp_input else []


# Group stage


def with_condition(plan, suffix, cond) -> list:
    """``suffix`` of every recording that has condition ``cond``."""
    return [fill(plan.paths.recording_file(suffix), subject, ses, cond)
            for subject, ses in plan.study.with_condition(cond)]


def recording_ids(plan, cond) -> list:
    """``sub-XX[_ses-YY]`` of the recordings that have ``cond``, in input order."""
    return [f"sub-{subject}{ses}" for subject, ses in plan.study.with_condition(cond)]


def group_files(plan, suffix) -> list:
    """``<group prefix>_desc-<cond><suffix>`` of every condition label, sorted."""
    return [f"{plan.paths.group_prefix}_desc-{cond}{suffix}" for cond in sorted(plan.study.labels)]


# mne-bids-pipeline input


def mbp_epochs(plan, subject, ses, **_) -> str:
    """MBP's cleaned epochs of one recording."""
    return str(plan.study.mbp_files[(subject, ses)].epochs)


def mbp_selectors(plan, subject, ses, **_) -> dict:
    """MBP condition name -> epochs selector of the recording."""
    return plan.study.mbp_selectors[(subject, ses)]


def mbp_selector(plan, subject, ses, cond) -> str:
    """The epochs selector of one MBP condition."""
    return plan.study.mbp_selectors[(subject, ses)][plan.study.labels[cond]]


def mbp_evoked(plan, subject, ses, **_) -> dict:
    """MBP's cleaned epochs, and its evoked file when it wrote one."""
    files = plan.study.mbp_files[(subject, ses)]
    return {"epochs": str(files.epochs), **({"evoked": str(files.evoked)} if files.evoked else {})}


def mbp_noise_cov(plan, subject, ses) -> dict:
    """MBP's cleaned epochs, and its noise covariance when it wrote one."""
    files = plan.study.mbp_files[(subject, ses)]
    return {"epochs": str(files.epochs), **({"noise_cov": str(files.cov)} if files.cov else {})}


def mbp_forward(plan, subject, ses) -> dict:
    """MBP's forward and the epochs it must fit."""
    files = plan.study.mbp_files[(subject, ses)]
    return {"fwd": str(files.fwd), "epochs": str(files.epochs)}


def mbp_provenance(plan, **_) -> dict:
    """MBP's config file, and its dataset description and log when they exist."""
    inputs = {"config": plan.settings["input"]["mbp_config"]}
    for name in ("dataset_description.json", f"task-{plan.settings['task']}_log.xlsx"):
        if (plan.mbp_root / name).is_file():
            inputs[name.split(".")[0].replace("-", "_")] = str(plan.mbp_root / name)
    return inputs
