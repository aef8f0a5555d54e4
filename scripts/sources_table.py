"""Rule sources_table: one row per active source (where, when, how strong)."""
import json

import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import sources

with logging_to(snakemake.log[0]):
    with open(snakemake.input.convergence, encoding="utf-8") as f:
        record = json.load(f)
    table = sources.sources_table(
        mne.read_source_estimate(snakemake.input.lh),
        mne.read_forward_solution(snakemake.input.fwd, verbose="error"),
        record, snakemake.params.trial_type,
    )
    atomic.write_tsv(snakemake.output[0], table)
