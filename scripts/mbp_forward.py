"""Rule mbp_forward: MBP's forward, checked against the cleaned epochs' channels and copied in."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    fwd = forward.read_precomputed(snakemake.input.fwd, snakemake.wildcards.subject)
    forward.check_forward_channels(fwd, mne.io.read_info(snakemake.input.epochs, verbose="error"),
                                   f"mne-bids-pipeline's forward {snakemake.input.fwd}")
    atomic.write_forward(fwd, snakemake.output[0])
