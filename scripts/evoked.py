"""Rule evoked: the average of one condition's epochs."""
import mne

from tfmxne.pipeline import bids_io, io
from tfmxne.pipeline.logs import logging_to

with logging_to(snakemake.log[0]):
    epochs = mne.read_epochs(snakemake.input.epochs, verbose="error")
    evoked = bids_io.make_evoked(epochs, snakemake.wildcards.cond, snakemake.params.trial_type)
    io.save_fif(evoked, snakemake.output[0])
