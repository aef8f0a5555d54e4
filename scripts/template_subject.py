"""Rule template_subject: the fsaverage5 template head (no download)."""
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    forward.write_template(snakemake.output.subject_dir, snakemake.output.trans)
