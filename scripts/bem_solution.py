"""Rule bem_solution: BEM model and its solution."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    bem = forward.bem_solution(
        snakemake.wildcards.fs_subject, snakemake.params.subjects_dir,
        snakemake.params.conductivity, snakemake.params.ico,
    )
    with atomic.atomic_path(snakemake.output[0]) as tmp:
        mne.write_bem_solution(tmp, bem, overwrite=True, verbose="error")
