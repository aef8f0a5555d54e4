"""Rule group_report: the group results of every condition in one mne.Report."""
from pathlib import Path

import mne
import pandas as pd

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import group_report

with job_context(snakemake):
    inp, p = snakemake.input, snakemake.params
    read = lambda f: pd.read_csv(f, sep="\t", na_values="n/a", keep_default_na=False)  # noqa: E731
    files = {key: files for key, *files in zip(p.estimates, inp.stc, inp.signed, strict=True)}
    conditions = []
    for trial_type, clusters, sources, subjects in zip(p.trial_types, inp.clusters, inp.sources, inp.subjects,
                                                       strict=True):
        label = Path(clusters).name.split("_desc-")[1].split("_")[0]
        mine = {rid: f for (rid, lab), f in files.items() if lab == label}
        conditions.append({
            "trial_type": trial_type, "clusters": read(clusters), "sources": read(sources),
            "subjects": read(subjects),
            "stcs": {rid: mne.read_source_estimate(f[0]) for rid, f in mine.items()},
            "signed_stcs": {rid: mne.read_source_estimate(f[1]) for rid, f in mine.items()},
            **p.spectra,
        })
    rep = group_report.build_report(p.title, conditions, read(inp.contrasts), inp.reports,
                                    snakemake.output[0], p.min_subjects)
    atomic.save_report(rep, snakemake.output[0])
