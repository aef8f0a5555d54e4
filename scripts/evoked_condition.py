"""Rule evoked_condition: one condition of the evoked file, on the channels of preprocessing.ch_types."""
from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import evoked_input
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    evoked = evoked_input.read_condition(snakemake.input.evoked, snakemake.params.comment,
                                         snakemake.params.ch_types)
    atomic.save_fif(evoked, snakemake.output[0])
