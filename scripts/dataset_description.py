"""Rule dataset_description: BIDS derivatives dataset_description.json."""
from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import derivatives

with job_context(snakemake):
    atomic.write_json(snakemake.output[0], derivatives.dataset_description(snakemake.input.get("raw_description")))
