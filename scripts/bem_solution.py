"""Rule bem_solution: BEM model and its solution."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    bem = forward.bem_solution(
        snakemake.wildcards.fs_subject, snakemake.params.subjects_dir,
        snakemake.params.conductivity, snakemake.params.ico,
    )
    with atomic.atomic_path(snakemake.output[0]) as tmp:
        mne.write_bem_solution(tmp, bem, overwrite=True, verbose="error")
