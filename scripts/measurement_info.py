"""Rule measurement_info: the raw file's info (sensor geometry for the forward model)."""
import mne

from tfmxne.pipeline import bids_io, io
from tfmxne.pipeline.logs import logging_to
from tfmxne.pipeline.validate import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    info = bids_io.measurement_info(
        snakemake.input.raw, snakemake.params.ch_types
    )
    with io.atomic_path(snakemake.output[0]) as tmp:
        mne.io.write_info(tmp, info)
