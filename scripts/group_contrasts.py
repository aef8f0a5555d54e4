"""Rule group_contrasts: matched clusters of every pair of conditions compared per subject."""
import pandas as pd

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import group

with job_context(snakemake):
    read = lambda f: pd.read_csv(f, sep="\t", na_values="n/a", keep_default_na=False)  # noqa: E731
    conditions = {
        name: (read(s), read(c))
        for name, s, c in zip(snakemake.params.trial_types, snakemake.input.sources, snakemake.input.clusters,
                              strict=True)
    }
    atomic.write_tsv(snakemake.output[0], group.contrasts(conditions, snakemake.params.cluster_mm))
