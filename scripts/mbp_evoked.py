"""Rule mbp_evoked: one MBP condition's evoked (MBP's own, else the cleaned epochs' average)."""
import mne

from tfmxne_workflow import atomic, mbp
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    epochs = mne.read_epochs(snakemake.input.epochs, verbose="error")
    evoked = mbp.evoked_of(epochs, snakemake.params.name, snakemake.params.selector,
                           snakemake.input.get("evoked"))
    atomic.save_fif(evoked, snakemake.output[0])
