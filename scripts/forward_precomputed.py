"""Rule forward_precomputed: a precomputed forward, checked and copied in."""
from tfmxne.pipeline import forward, io
from tfmxne.pipeline.logs import logging_to
from tfmxne.pipeline.validate import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    fwd = forward.read_precomputed(snakemake.input.fwd, snakemake.wildcards.subject)
    io.write_forward(fwd, snakemake.output[0])
