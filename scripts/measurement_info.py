"""Rule measurement_info: the raw file's info (sensor geometry for the forward model)."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import ingest
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    info = ingest.measurement_info(
        snakemake.input.raw, snakemake.params.ch_types, snakemake.params.montage
    )
    with atomic.atomic_path(snakemake.output[0]) as tmp:
        mne.io.write_info(tmp, info)
