"""Rule sources_table: one row per active source (neighbouring vertices with one time course merged).

Where, when, how strong, in which fsaverage vertex / MNI305 position, at which frequency
(from each source's signed time course) and over which time-frequency extent.
"""
import json

import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import common_space, sources, stability

with job_context(snakemake):
    with open(snakemake.input.convergence, encoding="utf-8") as f:
        record = json.load(f)
    table = sources.sources_table(
        mne.read_source_estimate(snakemake.input.lh),
        mne.read_forward_solution(snakemake.input.fwd, verbose="error"),
        record, snakemake.params.trial_type, mne.read_source_estimate(snakemake.input.signed),
        **snakemake.params.spectra, **snakemake.params.merge,
        resamples=stability.read_resamples(snakemake.input.resamples),
    )
    space = snakemake.params.common_space
    if space is None:
        table[common_space.COLUMNS] = None
    else:
        spheres = (None if space["subject"] is None
                   else common_space.read_subject_spheres(snakemake.input.spheres))
        table = common_space.map_to_fsaverage(
            table, common_space.read_fsaverage(space["subjects_dir"]), spheres)
    atomic.write_tsv(snakemake.output[0], table)
