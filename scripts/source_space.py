"""Rule source_space: cortical source space of a FreeSurfer (or template) subject."""
from tfmxne.pipeline import forward, io
from tfmxne.pipeline.logs import logging_to
from tfmxne.pipeline.validate import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    src = forward.source_space(
        snakemake.wildcards.fs_subject, snakemake.params.subjects_dir, snakemake.params.spacing
    )
    io.save_fif(src, snakemake.output[0])
