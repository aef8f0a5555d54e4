"""Rule mbp_provenance: where the data came from (MBP version, its steps, its config file)."""
from tfmxne_workflow import atomic, mbp
from tfmxne_workflow.jobs import job_context

with job_context(snakemake):
    atomic.write_json(snakemake.output[0], mbp.provenance(
        snakemake.params.mbp_root, snakemake.input.config, snakemake.params.task))
