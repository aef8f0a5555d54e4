# Configuration, dataset enumeration (mne-bids), path helpers and wildcard constraints.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from tfmxne.pipeline import layout
from tfmxne.pipeline import validate as checks

min_version("9.0")

REPO = Path(workflow.basedir)

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

with checks.exit_on_bad_input():
    RECORDINGS = {
        (r.subject, r.ses): r
        for r in layout.find_recordings(
            BIDS_ROOT, TASK, DATATYPE, config["subjects"], config["sessions"]
        )
    }
    checks.check_raw_files(RECORDINGS.values())
    checks.check_channels(RECORDINGS.values(), config["preprocessing"]["ch_types"])
    if config["noise_cov"]["source"] == "empty_room":
        for r in RECORDINGS.values():
            layout.empty_room_file(r.raw_files[0])
    if FWD["source"] == "precomputed":
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

# Condition labels (letters and digits) for the trial types, one mapping for the study.
with checks.exit_on_bad_input():
    _TRIAL_TYPES = {key: layout.read_trial_types(r.raw_files) for key, r in RECORDINGS.items()}
    _SELECTED = {
        key: layout.select_conditions(
            config["conditions"], found, f"sub-{key[0]}{key[1]} task-{TASK}"
        )
        for key, found in _TRIAL_TYPES.items()
    }
    LABELS = layout.condition_labels(sorted({t for ts in _SELECTED.values() for t in ts}))
TRIAL_TYPE_LABEL = {t: label for label, t in LABELS.items()}

# One prefix for every per-recording derivative.
PREFIX = f"{DERIV}/sub-{{subject}}/{DATATYPE}/sub-{{subject}}{{ses}}_task-{TASK}"
LOGS = f"{DERIV}/logs"
BENCH = f"{DERIV}/benchmarks"
REC = "sub-{subject}{ses}"
REC_COND = "sub-{subject}{ses}_desc-{cond}"


wildcard_constraints:
    subject=r"[A-Za-z0-9]+",
    ses=r"(_ses-[A-Za-z0-9]+)?",
    cond=r"[A-Za-z0-9]+",
    fs_subject=r"[^/]+",


def code_file(name):
    """A tfmxne module file, declared as input so that editing it reruns its rules."""
    return str(REPO / "tfmxne" / f"{name}.py")


def recording(wildcards):
    return RECORDINGS[(wildcards.subject, wildcards.ses)]


def raw_files(wildcards):
    return [str(f) for f in recording(wildcards).raw_files]


def sidecars(wildcards):
    """The events/channels TSVs of every run (edits to them rerun ingestion)."""
    files = []
    for f in recording(wildcards).raw_files:
        files += [str(p) for p in (layout.events_tsv(f), layout.channels_tsv(f)) if p.is_file()]
    return files


def labels_of(wildcards):
    """Condition label -> trial type for one recording."""
    return {
        TRIAL_TYPE_LABEL[t]: t for t in _SELECTED[(wildcards.subject, wildcards.ses)]
    }


def study_files(pattern):
    """``pattern`` expanded over every recording and its conditions."""
    return [
        rec(pattern).format(subject=subject, ses=ses, cond=TRIAL_TYPE_LABEL[trial_type])
        for (subject, ses), trial_types in _SELECTED.items()
        for trial_type in trial_types
    ]


def session_label(ses):
    return ses[len("_ses-") :] if ses else ""


def all_outputs():
    out = [f"{DERIV}/dataset_description.json", f"{DERIV}/study_summary.html"]
    for subject, ses in RECORDINGS:
        out.append(rec("_report.html").format(subject=subject, ses=ses))
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


def rec(suffix):
    """Path pattern of a per-recording derivative: the BIDS prefix plus ``suffix``."""
    return f"{PREFIX}{suffix}"


def fill(pattern, wildcards):
    """``pattern`` with the job's wildcards filled in."""
    return pattern.format(**dict(wildcards.items()))


# Input and parameter functions of the rules.

def noise_cov_inputs(wildcards):
    inputs = {
        "epochs": fill(rec("_epo.fif"), wildcards),
        "code": code_file("pipeline/covariance"),
    }
    if config["noise_cov"]["source"] == "empty_room":
        inputs["empty_room"] = str(layout.empty_room_file(recording(wildcards).raw_files[0]))
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
    return fill(rec("_trans.fif"), wildcards)


SOLVER_MODULES = [
    code_file(m)
    for m in ("stft", "norms", "solver", "anderson", "debias", "prepare", "inverse", "sure")
    if Path(code_file(m)).is_file()
]


def solve_inputs(wildcards):
    inputs = {
        "evoked": fill(rec("_desc-{cond}_ave.fif"), wildcards),
        "fwd": fill(rec("_fwd.fif"), wildcards),
        "cov": fill(rec("_cov.fif"), wildcards),
        "code": [code_file("pipeline/solve"), *SOLVER_MODULES],
    }
    if config["prior"]["weights"]:
        inputs["prior"] = fill(rec("_desc-{cond}_dspm-lh.stc"), wildcards)
    return inputs


def truth_file(wildcards):
    """The ground-truth TSV when the config names one and it exists, else nothing."""
    pattern = config["report"]["truth"]
    if not pattern:
        return []
    fname = pattern.format(bids_root=BIDS_ROOT, subject=wildcards.subject, task=TASK)
    return [fname] if Path(fname).is_file() else []
