"""Rule source_space: cortical source space of a FreeSurfer (or template) subject."""
from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    src = forward.source_space(
        snakemake.wildcards.fs_subject, snakemake.params.subjects_dir, snakemake.params.spacing
    )
    atomic.save_fif(src, snakemake.output[0])
