"""Rule mbp_info: the measurement info of MBP's cleaned epochs (sensor geometry for the forward)."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    info = mne.io.read_info(snakemake.input.epochs, verbose="error")
    with atomic.atomic_path(snakemake.output[0]) as tmp:
        mne.io.write_info(tmp, info)
