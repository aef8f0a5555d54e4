"""Rule epochs: every run of a recording filtered, epoched and concatenated."""
import pandas as pd

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import ingest
from tfmxne_workflow.errors import exit_on_bad_input

# Bad input: the log has the traceback, the console one line (exit_on_bad_input).
with exit_on_bad_input(), job_context(snakemake):
    labels = snakemake.params.labels
    prep = snakemake.params.preprocessing
    epochs = ingest.make_epochs(
        snakemake.input.raws, labels,
        ch_types=prep["ch_types"], l_freq=prep["l_freq"], h_freq=prep["h_freq"],
        tmin=prep["tmin"], tmax=prep["tmax"], baseline=prep["baseline"],
        reject=prep["reject"], decim=prep["decim"], montage=prep["montage"],
        event_repeated=prep["event_repeated"],
    )
    atomic.save_fif(epochs, snakemake.output.epochs)
    atomic.write_tsv(snakemake.output.conditions, pd.DataFrame({
        "label": list(labels), "trial_type": list(labels.values()),
        "n_epochs": [len(epochs[label]) for label in labels],
    }))
