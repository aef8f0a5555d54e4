"""Rule evoked: the average of one condition's epochs."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import ingest
from tfmxne_workflow.errors import exit_on_bad_input

# Bad input: the log has the traceback, the console one line (exit_on_bad_input).
with exit_on_bad_input(), logging_to(snakemake.log[0]):
    epochs = mne.read_epochs(snakemake.input.epochs, verbose="error")
    evoked = ingest.make_evoked(epochs, snakemake.wildcards.cond, snakemake.params.trial_type)
    atomic.save_fif(evoked, snakemake.output[0])
