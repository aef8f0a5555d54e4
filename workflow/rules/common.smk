# The bridge to the plan (tfmxne_workflow/plan): every decision - settings, study, paths -
# is made there, once, while Snakemake parses; the rules only read it.
import sys
from pathlib import Path

from snakemake.utils import min_version

from tfmxne_workflow.errors import exit_on_bad_input
from tfmxne_workflow.plan import inputs, make_plan

min_version("9.0")

# Bad input stops here, before any job, with one message (sys.exit: no traceback). Each
# cluster job parses the workflow again: it reads the host's scan of the dataset back.
# This file's repository (workflow.basedir is the outer workflow's folder when this workflow
# is used as a Snakemake module).
with exit_on_bad_input():
    PLAN = make_plan(config, Path(workflow.current_basedir).parents[1], on_host=workflow.is_main_process)
if workflow.is_main_process:
    for note in PLAN.notes:
        print(f"Note: {note}", file=sys.stderr)

PATHS = PLAN.paths
SETTINGS = PLAN.settings
LABELS = PLAN.study.labels


def recording_file(suffix):
    """Path pattern of a per-recording derivative (wildcards subject, ses)."""
    return PATHS.recording_file(suffix)


def condition_file(suffix):
    """Path pattern of a per-condition derivative (wildcards subject, ses, cond)."""
    return PATHS.condition_file(suffix)


# Names of one job in logs and benchmarks (PATHS.log, PATHS.benchmark).
RECORDING = "sub-{subject}{ses}"
CONDITION = "sub-{subject}{ses}_desc-{cond}"


def job(function, *args):
    """An input or params function: ``function(PLAN, *args, **wildcards)`` for each job."""
    return lambda wildcards: function(PLAN, *args, **dict(wildcards.items()))


wildcard_constraints:
    subject=r"[A-Za-z0-9]+",
    ses=r"(_ses-[A-Za-z0-9]+)?",
    cond=r"[A-Za-z0-9]+",
    fs_subject=r"[^/]+",
