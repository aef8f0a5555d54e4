"""Rule evoked_info: the evoked file's measurement info (sensor geometry for the forward)."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import evoked_input
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    info = evoked_input.measurement_info(snakemake.input.evoked, snakemake.params.ch_types)
    with atomic.atomic_path(snakemake.output[0]) as tmp:
        mne.io.write_info(tmp, info)
