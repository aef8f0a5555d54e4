"""Rule dataset_description: BIDS derivatives dataset_description.json."""
from tfmxne.pipeline import derivatives, io
from tfmxne.pipeline.logs import logging_to

with logging_to(snakemake.log[0]):
    io.write_json(snakemake.output[0], derivatives.dataset_description(snakemake.input[0]))
