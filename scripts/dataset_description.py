"""Rule dataset_description: BIDS derivatives dataset_description.json."""
from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import derivatives

with logging_to(snakemake.log[0]):
    atomic.write_json(snakemake.output[0], derivatives.dataset_description(snakemake.input.raw_description))
