"""Rule report: the recording's HTML report and its figures as PNG files."""
import json
from pathlib import Path

import mne
import pandas as pd

from tfmxne_workflow import atomic, mbp
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import report

with job_context(snakemake):
    inp = snakemake.input
    labels = pd.read_csv(inp.conditions, sep="\t", dtype=str).set_index("label")["trial_type"]
    truth = pd.read_csv(inp.truth[0], sep="\t") if inp.truth else None
    conditions = []
    for average, evoked, residual, signed, dense, sources, conv in zip(
            inp.average, inp.evoked, inp.residual, inp.signed, inp.dense, inp.sources, inp.convergence):
        label = Path(sources).name.split("_desc-")[1].split("_")[0]
        conditions.append({
            "trial_type": labels[label], "label": label,
            "average": mne.read_evokeds(average, verbose="error")[0],
            "evoked": mne.read_evokeds(evoked, verbose="error")[0],
            "residual": mne.read_evokeds(residual, verbose="error")[0],
            "signed": mne.read_source_estimate(signed),
            "dense": mne.read_source_estimate(dense),
            "sources": pd.read_csv(sources, sep="\t", na_values="n/a"),
            "record": json.loads(Path(conv).read_text(encoding="utf-8")),
            "truth": truth,
        })
    with atomic.atomic_path(snakemake.output.figures) as figures_dir:
        figures_dir.mkdir()
        rep = report.build_report(
            snakemake.params.title, conditions, mne.read_forward_solution(inp.fwd, verbose="error"),
            mne.read_cov(inp.noise_cov, verbose="error"), figures_dir, snakemake.params.dense, snakemake.params.max_tf_maps, snakemake.params.spectra,
        )
    if inp.provenance:  # input.source: mne-bids-pipeline
        record = json.loads(Path(inp.provenance[0]).read_text(encoding="utf-8"))
        rep.add_html(mbp.provenance_html(record), title="Where the data came from", section="Configuration")
    atomic.save_report(rep, snakemake.output.html)
