"""Study-level summary: one row per recording and condition."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

#: Columns of the strongest source, ``top_<column>`` in the table.
_TOP = ("hemi", "vertex", "x_mm", "y_mm", "z_mm", "peak_time_s", "peak_amplitude_nAm")
_ENTITIES = re.compile(r"sub-(?P<subject>[^_]+)(?:_ses-(?P<session>[^_]+))?_.*desc-(?P<cond>[^_]+)_")


def condition_names(conditions_files) -> dict:
    """Condition label -> trial type, from the ``*_conditions.tsv`` of the recordings."""
    names = {}
    for fname in conditions_files or ():
        table = pd.read_csv(fname, sep="\t", dtype=str, keep_default_na=False)
        names.update(zip(table["label"], table["trial_type"]))
    return names


def study_table(sources_files, convergence_files, conditions_files=None) -> pd.DataFrame:
    """Summarise every ``*_sources.tsv`` with its convergence record.

    A recording and condition without any active source (an empty, headed table) is
    a row with ``n_active`` 0 and no strongest source.

    Parameters
    ----------
    sources_files, convergence_files : list of str | Path
        Matching lists (same recording and condition at the same index).
    conditions_files : list of str | Path | None
        The recordings' ``*_conditions.tsv``; they name the condition (trial type)
        of a table without rows, which otherwise shows its file label.

    Returns
    -------
    table : DataFrame
        subject, session, condition, n_active, strongest source (hemi, vertex, x/y/z
        mm, peak time, amplitude), converged, final_gap.
    """
    names = condition_names(conditions_files)
    rows = []
    for src_file, conv_file in zip(sources_files, convergence_files, strict=True):
        ent = _ENTITIES.search(Path(src_file).name).groupdict()
        sources = pd.read_csv(src_file, sep="\t", na_values="n/a")
        record = json.loads(Path(conv_file).read_text(encoding="utf-8"))
        row = {"subject": ent["subject"], "session": ent["session"] or "n/a",
               "condition": sources["condition"].iloc[0] if len(sources) else names.get(ent["cond"], ent["cond"]),
               "n_active": len(sources), "converged": record["converged"],
               "final_gap": record["final_gap"]}
        if len(sources):
            top = sources.iloc[0]
            row.update({f"top_{k}": top[k] for k in _TOP})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(dict.fromkeys(
        ["subject", "session", "condition", "n_active", "converged", "final_gap"]
        + [f"top_{k}" for k in _TOP] + [k for r in rows for k in r])))


def study_html(table: pd.DataFrame, reports, html_file, group_report=None) -> str:
    """A standalone HTML page with the study table and links to the subject reports.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`study_table`.
    reports : list of str | Path
        The subject reports to link.
    html_file : str | Path
        Where the page will be written (links are relative to it).
    group_report : str | Path | None
        The group report, linked at the top when there is one.
    """
    base = Path(html_file).resolve().parent
    group = (f'<p><b><a href="{Path(group_report).resolve().relative_to(base).as_posix()}">Group results'
             "</a></b>: all subjects' sources on fsaverage, clusters and contrasts between conditions.</p>"
             if group_report else "")
    links = "".join(
        f'<li><a href="{Path(p).resolve().relative_to(base).as_posix()}">{Path(p).name}</a></li>'
        for p in sorted(reports)
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>TF-MxNE study summary</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>"
        "<h1>TF-MxNE study summary</h1>"
        f"{group}"
        "<p>One row per recording and condition: number of active sources, the strongest one "
        "(MRI surface RAS, mm), and whether the solver reached its duality-gap tolerance.</p>"
        f"{table.to_html(index=False, float_format=lambda x: f'{x:.4g}', na_rep='')}"
        f"<h2>Subject reports</h2><ul>{links}</ul></body></html>"
    )
