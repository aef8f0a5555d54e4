"""Rule mbp_info: the measurement info of MBP's cleaned epochs (sensor geometry for the forward)."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    info = mne.io.read_info(snakemake.input.epochs, verbose="error")
    with atomic.atomic_path(snakemake.output[0]) as tmp:
        mne.io.write_info(tmp, info)
