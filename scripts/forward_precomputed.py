"""Rule forward_precomputed: a precomputed forward, checked and copied in."""
from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    fwd = forward.read_precomputed(snakemake.input.fwd, snakemake.wildcards.subject)
    atomic.write_forward(fwd, snakemake.output[0])
