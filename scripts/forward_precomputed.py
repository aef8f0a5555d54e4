"""Rule forward_precomputed: a precomputed forward, checked and copied in."""
from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    fwd = forward.read_precomputed(snakemake.input.fwd, snakemake.wildcards.subject)
    atomic.write_forward(fwd, snakemake.output[0])
