"""Rule group_condition: one condition's sources of every subject, pooled and clustered.

Writes the clusters (with their chance level: spatial permutations on the fsaverage the
sources map to), the pooled sources, the subjects' status and the group sparse estimate
on fsaverage.
"""
import json

import mne
import pandas as pd

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import common_space, group

with job_context(snakemake):
    p, inp, out = snakemake.params, snakemake.input, snakemake.output
    tables = {rid: pd.read_csv(f, sep="\t", na_values="n/a") for rid, f in zip(p.recordings, inp.sources)}
    records = {rid: json.loads(open(f, encoding="utf-8").read()) for rid, f in zip(p.recordings, inp.convergence)}
    stcs = {rid: mne.read_source_estimate(f) for rid, f in zip(p.recordings, inp.stc)}
    pooled, clusters = group.cluster_sources(
        group.pool_sources(tables), p.cluster_mm, p.min_subjects, p.min_stability,
        common_space.read_fsaverage(p.fsaverage_dir), p.n_permutations)
    first = next(iter(stcs.values()))
    stc = group.group_stc(pooled, group.source_timecourses(pooled, stcs), first.tmin, first.tstep)
    atomic.write_tsv(out.clusters, clusters)
    atomic.write_tsv(out.sources, pooled)
    atomic.write_tsv(out.subjects, group.subject_status(p.all_recordings, tables, records, pooled))
    atomic.save_stc(stc, out.lh)
