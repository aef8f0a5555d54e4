"""Rule mbp_conditions: condition label, MBP condition and number of cleaned epochs."""
import mne
import pandas as pd

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    epochs = mne.read_epochs(snakemake.input.epochs, preload=False, verbose="error")
    selectors = snakemake.params.selectors
    labels = snakemake.params.labels
    atomic.write_tsv(snakemake.output[0], pd.DataFrame({
        "label": list(labels), "trial_type": list(labels.values()),
        "n_epochs": [len(epochs[selectors[name]]) for name in labels.values()],
    }))
