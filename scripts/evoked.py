"""Rule evoked: the average of one condition's epochs."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import ingest
from tfmxne_workflow.errors import exit_on_bad_input

# Bad input: the log has the traceback, the console one line (exit_on_bad_input).
with exit_on_bad_input(), job_context(snakemake):
    epochs = mne.read_epochs(snakemake.input.epochs, verbose="error")
    evoked = ingest.make_evoked(epochs, snakemake.wildcards.cond, snakemake.params.trial_type)
    atomic.save_fif(evoked, snakemake.output[0])
