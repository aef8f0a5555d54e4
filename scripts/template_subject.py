"""Rule template_subject: the fsaverage5 template head (no download)."""
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    forward.write_template(snakemake.output.subject_dir, snakemake.output.trans)
