"""Rule trans_from_bids: head->MRI transform from the T1w landmarks."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    trans = forward.trans_from_bids(
        snakemake.input.raw, snakemake.params.fs_subject, snakemake.params.subjects_dir,
    )
    with atomic.atomic_path(snakemake.output[0]) as tmp:
        mne.write_trans(tmp, trans, overwrite=True)
