"""Rule dense: the dense estimate (dense.method) on the crop window."""
from tfmxne_workflow import atomic
from tfmxne_workflow.errors import exit_on_bad_input
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import dense, dspm

with exit_on_bad_input(), job_context(snakemake):
    stc = dense.dense_estimate(*dspm.read_inputs(snakemake.input), snakemake.params.dense)
    atomic.save_stc(stc, snakemake.output.lh)
