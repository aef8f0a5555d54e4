"""Rule evoked_conditions: condition label, evoked comment and number of averaged epochs (nave)."""
import pandas as pd

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import evoked_input
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    nave = {e.comment: e.nave for e in evoked_input.read_all(snakemake.input.evoked)}
    labels = snakemake.params.labels
    atomic.write_tsv(snakemake.output[0], pd.DataFrame({
        "label": list(labels), "trial_type": list(labels.values()),
        "n_epochs": [nave[comment] for comment in labels.values()],
    }))
