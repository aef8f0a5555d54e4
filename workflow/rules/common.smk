# Configuration, dataset enumeration (mne-bids), path helpers and wildcard constraints.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from tfmxne_workflow import dataset, mbp
from tfmxne_workflow import validate as checks
from tfmxne_workflow.code_inputs import code_inputs
from tfmxne_workflow.stages import common_space

min_version("9.0")

# This file's repository: workflow.basedir is the *outer* workflow's folder when this
# workflow is used as a module (`module ...: snakefile: ...`).
REPO = Path(workflow.current_basedir).parents[1]

# Bad input stops here, before any job, with one message (sys.exit: no traceback).
with checks.exit_on_bad_input():
    checks.check_config(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
try:
    validate(config, schema="../schemas/config.schema.yaml")  # fills in the defaults
except WorkflowError as err:
    sys.exit(f"Error: the configuration does not match workflow/schemas/config.schema.yaml: {err}")

BIDS_ROOT = config["bids_root"]
DERIV = config["deriv_root"] or f"{BIDS_ROOT}/derivatives/tfmxne"
TASK = config["task"]
DATATYPE = config["datatype"]
FWD = config["forward"]

# The submitting host scans the dataset and checks it; each job's own parse of this file
# (a cluster job re-parses the workflow) reuses that scan and skips the checks, which
# passed before any job started: job start-up does not grow with the study.
ON_HOST = workflow.is_main_process

with checks.exit_on_bad_input():
    STUDY = dataset.study_index(
        BIDS_ROOT,
        TASK,
        DATATYPE,
        config["subjects"],
        config["sessions"],
        cache_dir=".snakemake/tfmxne",
        reuse=not ON_HOST,
    )
    RECORDINGS = {(r.subject, r.ses): r for r in STUDY.recordings}

# --- input.source: mne-bids-pipeline (issue 13; rules in mbp.smk) -----------------------
MBP_MODE = config["input"]["source"] == "mne-bids-pipeline"
MBP_ROOT = mbp.mbp_root(BIDS_ROOT, config["input"]["mbp_root"])
MBP_PROVENANCE = f"{DERIV}/mbp_provenance.json"
MBP_FILES, MBP_SELECTED = {}, {}
if MBP_MODE:
    with checks.exit_on_bad_input():
        _MBP_CONFIG = config["input"]["mbp_config"]
        _MBP_CONDITIONS = mbp.conditions(mbp.read_config(_MBP_CONFIG))
        MBP_FILES = mbp.study_files(MBP_ROOT, RECORDINGS.values(), TASK, DATATYPE, _MBP_CONFIG)
        MBP_SELECTED = {
            key: mbp.select_conditions(
                config["conditions"],
                _MBP_CONDITIONS,
                mbp.epochs_event_names(files.epochs),
                files.epochs,
                _MBP_CONFIG,
            )
            for key, files in MBP_FILES.items()
        }
MBP_FORWARD = MBP_MODE and all(files.fwd for files in MBP_FILES.values())
# ----------------------------------------------------------------------------------------

with checks.exit_on_bad_input():
    if ON_HOST:
        checks.check_raw_files(RECORDINGS.values())
        checks.check_channels(RECORDINGS.values(), config["preprocessing"]["ch_types"])
        if config["noise_cov"]["source"] == "empty_room":
            for r in RECORDINGS.values():
                dataset.empty_room_file(r.raw_files[0])
        if MBP_FORWARD:
            pass  # MBP's forwards, checked against the epochs by rule mbp_forward
        elif FWD["source"] == "precomputed":
            checks.check_precomputed_forwards(
                FWD["fname"], RECORDINGS.values(), config["preprocessing"]["ch_types"]
            )
        elif FWD["source"] == "freesurfer":
            checks.check_freesurfer(
                FWD["subjects_dir"],
                FWD["fs_subject"],
                sorted({subject for subject, _ in RECORDINGS}),
                FWD["trans"],
                RECORDINGS.values(),
            )

# Common space (fsaverage): the template cortex is fsaverage5; FreeSurfer anatomy (also
# named for precomputed forwards) maps through ?h.sphere.reg; else there is none.
if FWD["source"] == "template" and not MBP_FORWARD:
    COMMON_SPACE = "template"
elif FWD["subjects_dir"]:
    COMMON_SPACE = "sphere"
else:
    COMMON_SPACE = None
SUBJECTS = sorted({subject for subject, _ in RECORDINGS})
GROUP = config["group"]
with checks.exit_on_bad_input():
    GROUP_ENABLED = checks.group_enabled(GROUP["enabled"], len(SUBJECTS), COMMON_SPACE)
    if ON_HOST and COMMON_SPACE == "sphere":
        checks.check_common_space(FWD["subjects_dir"], FWD["fs_subject"], SUBJECTS)

# Condition labels (letters and digits) for the trial types, one mapping for the study.
with checks.exit_on_bad_input():
    _SELECTED = (
        {
            key: dataset.select_conditions(config["conditions"], found, f"sub-{key[0]}{key[1]} task-{TASK}")
            for key, found in STUDY.trial_types.items()
        }
        if not MBP_MODE
        else {key: sorted(selected) for key, selected in MBP_SELECTED.items()}
    )
    LABELS = dataset.condition_labels(sorted({t for ts in _SELECTED.values() for t in ts}))
TRIAL_TYPE_LABEL = {t: label for label, t in LABELS.items()}

# One prefix for every per-recording derivative.
PREFIX = f"{DERIV}/sub-{{subject}}/{DATATYPE}/sub-{{subject}}{{ses}}_task-{TASK}"
LOGS = f"{DERIV}/logs"
BENCH = f"{DERIV}/benchmarks"
# Names of one recording, and of one condition of it, for logs and benchmarks.
RECORDING_ID = "sub-{subject}{ses}"
CONDITION_ID = "sub-{subject}{ses}_desc-{cond}"


wildcard_constraints:
    subject=r"[A-Za-z0-9]+",
    ses=r"(_ses-[A-Za-z0-9]+)?",
    cond=r"[A-Za-z0-9]+",
    fs_subject=r"[^/]+",


def code_of(script):
    """The project modules ``scripts/<script>.py`` imports: inputs, so that editing one reruns the rule."""
    return code_inputs(REPO / "scripts" / f"{script}.py", REPO)


def recording_of(wildcards):
    """The job's :class:`tfmxne_workflow.dataset.Recording`."""
    return RECORDINGS[(wildcards.subject, wildcards.ses)]


def raw_files(wildcards):
    return [str(f) for f in recording_of(wildcards).raw_files]


def sidecars(wildcards):
    """The events/channels TSVs of every run (edits to them rerun ingestion)."""
    files = []
    for f in recording_of(wildcards).raw_files:
        files += [str(p) for p in (dataset.events_tsv(f), dataset.channels_tsv(f)) if p.is_file()]
    return files


def labels_of(wildcards):
    """Condition label -> trial type for one recording."""
    return {TRIAL_TYPE_LABEL[t]: t for t in _SELECTED[(wildcards.subject, wildcards.ses)]}


def study_files(pattern):
    """``pattern`` expanded over every recording and its conditions."""
    return [
        recording_file(pattern).format(subject=subject, ses=ses, cond=TRIAL_TYPE_LABEL[trial_type])
        for (subject, ses), trial_types in _SELECTED.items()
        for trial_type in trial_types
    ]


def study_keys():
    """(recording id, condition label) of each file of :func:`study_files`, in its order."""
    return [
        (f"sub-{subject}{ses}", TRIAL_TYPE_LABEL[trial_type])
        for (subject, ses), trial_types in _SELECTED.items()
        for trial_type in trial_types
    ]


def session_label(ses):
    return ses[len("_ses-") :] if ses else ""


def all_outputs():
    out = [f"{DERIV}/dataset_description.json", f"{DERIV}/study_summary.html"]
    if GROUP_ENABLED:
        out.append(GROUP_REPORT)
    for subject, ses in RECORDINGS:
        out.append(recording_file("_report.html").format(subject=subject, ses=ses))
    return out


def per_condition(pattern):
    """Input function: ``pattern`` expanded over the recording's conditions."""

    def expand_conditions(wildcards):
        return expand(
            pattern,
            subject=wildcards.subject,
            ses=wildcards.ses,
            cond=sorted(labels_of(wildcards)),
        )

    return expand_conditions


def recording_file(suffix):
    """Path pattern of a per-recording derivative: the BIDS prefix plus ``suffix``."""
    return f"{PREFIX}{suffix}"


def fill(pattern, wildcards):
    """``pattern`` with the job's wildcards filled in."""
    return pattern.format(**dict(wildcards.items()))


# Input and parameter functions of the rules.


def noise_cov_inputs(wildcards):
    inputs = {
        "epochs": fill(recording_file("_epo.fif"), wildcards),
        "code": code_of("noise_cov"),
    }
    if config["noise_cov"]["source"] == "empty_room":
        inputs["empty_room"] = str(dataset.empty_room_file(recording_of(wildcards).raw_files[0]))
    return inputs


HEADMODELS = f"{DERIV}/headmodels"
TEMPLATE_DIR = f"{HEADMODELS}/subjects/fsaverage5"
TEMPLATE_TRANS = f"{HEADMODELS}/fsaverage5_trans.fif"


def fs_subject(wildcards):
    if FWD["source"] == "template":
        return "fsaverage5"
    return FWD["fs_subject"].format(subject=wildcards.subject)


def subjects_dir(wildcards):
    if FWD["source"] == "template":
        return f"{HEADMODELS}/subjects"
    return FWD["subjects_dir"]


def anatomy_files(kind):
    """Input function: the FreeSurfer files a source space or BEM is made from."""

    def files(wildcards):
        if FWD["source"] == "template":
            return [TEMPLATE_DIR]
        subject_dir = Path(FWD["subjects_dir"]) / wildcards.fs_subject
        if kind == "src":
            return [str(subject_dir / "surf" / f"{h}.{s}") for h in ("lh", "rh") for s in ("white", "sphere")]
        names = ["inner_skull", "outer_skull", "outer_skin"][: len(FWD["conductivity"])]
        return [str(subject_dir / "bem" / f"{n}.surf") for n in names]

    return files


def trans_file(wildcards):
    if FWD["source"] == "template":
        return TEMPLATE_TRANS
    if FWD["trans"]:
        return FWD["trans"].format(subject=wildcards.subject, session=session_label(wildcards.ses))
    return fill(recording_file("_trans.fif"), wildcards)


def solve_inputs(wildcards):
    inputs = {
        "evoked": fill(recording_file("_desc-{cond}_ave.fif"), wildcards),
        "fwd": fill(recording_file("_fwd.fif"), wildcards),
        "cov": fill(recording_file("_cov.fif"), wildcards),
        "code": code_of("solve"),
    }
    if config["prior"]["weights"] in (True, "auto"):  # auto decides in the solve, from the channels
        inputs["prior"] = fill(recording_file("_desc-{cond}_dspm-lh.stc"), wildcards)
    return inputs


def truth_file(wildcards):
    """The ground-truth TSV when the config names one and it exists, else nothing."""
    pattern = config["report"]["truth"]
    if not pattern:
        return []
    fname = pattern.format(bids_root=BIDS_ROOT, subject=wildcards.subject, task=TASK)
    return [fname] if Path(fname).is_file() else []


def common_space_inputs(wildcards):
    """The subject's registered spheres and the user's fsaverage files, when they are used."""
    if COMMON_SPACE != "sphere":
        return {}
    fsaverage = common_space.fsaverage_files(FWD["subjects_dir"]) or []
    return {
        "spheres": [str(f) for f in common_space.subject_spheres(FWD["subjects_dir"], fs_subject(wildcards))],
        "fsaverage": [str(f) for f in fsaverage],
    }


def common_space_param(wildcards):
    """How the sources table maps to fsaverage: None (no anatomy), template or sphere."""
    if COMMON_SPACE is None:
        return None
    if COMMON_SPACE == "template":
        return {"subject": None, "subjects_dir": None}
    return {"subject": fs_subject(wildcards), "subjects_dir": FWD["subjects_dir"]}


# Group stage: study level, one folder.
GROUP_DIR = f"{DERIV}/group"
GROUP_PREFIX = f"{GROUP_DIR}/task-{TASK}"
GROUP_REPORT = f"{GROUP_PREFIX}_report.html"


def recordings_with(cond):
    """(subject, ses) of the recordings that have condition label ``cond``, sorted."""
    return sorted(key for key, trial_types in _SELECTED.items() if LABELS[cond] in trial_types)


def condition_files(suffix):
    """Input function: ``suffix`` of every recording that has the job's condition."""

    def files(wildcards):
        return [
            recording_file(suffix).format(subject=subject, ses=ses, cond=wildcards.cond)
            for subject, ses in recordings_with(wildcards.cond)
        ]

    return files


def recording_ids(cond):
    """``sub-XX[_ses-YY]`` of the recordings that have ``cond``, in input order."""
    return [f"sub-{subject}{ses}" for subject, ses in recordings_with(cond)]


# mne-bids-pipeline input (issue 13): input functions of the rules in mbp.smk and the report.


def mbp_files(wildcards):
    """The recording's :class:`tfmxne_workflow.mbp.MbpFiles`."""
    return MBP_FILES[(wildcards.subject, wildcards.ses)]


def mbp_selectors(wildcards):
    """MBP condition name -> epochs selector of the recording."""
    return MBP_SELECTED[(wildcards.subject, wildcards.ses)]


def mbp_evoked_inputs(wildcards):
    files = mbp_files(wildcards)
    inputs = {"epochs": str(files.epochs), "code": code_of("mbp_evoked")}
    if files.evoked:
        inputs["evoked"] = str(files.evoked)
    return inputs


def mbp_cov_inputs(wildcards):
    files = mbp_files(wildcards)
    inputs = {"epochs": str(files.epochs), "code": code_of("mbp_noise_cov")}
    if files.cov:
        inputs["cov"] = str(files.cov)
    return inputs


def mbp_provenance_inputs(wildcards):
    inputs = {"config": config["input"]["mbp_config"], "code": code_of("mbp_provenance")}
    for name in ("dataset_description.json", f"task-{TASK}_log.xlsx"):
        if (MBP_ROOT / name).is_file():
            inputs[name.split(".")[0].replace("-", "_")] = str(MBP_ROOT / name)
    return inputs


def provenance_file(wildcards):
    """The report's "Where the data came from" record (mne-bids-pipeline input only)."""
    return [MBP_PROVENANCE] if MBP_MODE else []
