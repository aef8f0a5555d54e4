"""Study-level summary: one row per recording and condition."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import mne
import pandas as pd

from . import metrics

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


def study_table(sources_files, convergence_files, evoked_files, residual_files,
                conditions_files=None) -> pd.DataFrame:
    """Summarise every ``*_sources.tsv`` with its convergence record and fit.

    A recording and condition without any active source (an empty, headed table) is
    a row with ``n_active`` 0 and no strongest source.

    Parameters
    ----------
    sources_files, convergence_files, evoked_files, residual_files : list of str | Path
        Matching lists (same recording and condition at the same index); the evoked
        responses and residuals cropped to the reported window.
    conditions_files : list of str | Path | None
        The recordings' ``*_conditions.tsv``; they name the condition (trial type)
        of a table without rows, which otherwise shows its file label.

    Returns
    -------
    table : DataFrame
        subject, session, condition, n_active, warning (:func:`.metrics.poor_fit_warning`
        or empty), converged, final_gap, debias_converged, debias_error, strongest source (hemi, vertex, x/y/z mm, peak
        time, amplitude), explained_var_<channel type>.
    """
    names = condition_names(conditions_files)
    rows = []
    for src_file, conv_file, evoked, residual in zip(sources_files, convergence_files, evoked_files,
                                                     residual_files, strict=True):
        ent = _ENTITIES.search(Path(src_file).name).groupdict()
        sources = pd.read_csv(src_file, sep="\t", na_values="n/a")
        record = json.loads(Path(conv_file).read_text(encoding="utf-8"))
        explained = metrics.explained_variance(mne.read_evokeds(evoked, verbose="error")[0],
                                               mne.read_evokeds(residual, verbose="error")[0])
        row = {"subject": ent["subject"], "session": ent["session"] or "n/a",
               "condition": sources["condition"].iloc[0] if len(sources) else names.get(ent["cond"], ent["cond"]),
               "n_active": len(sources), "warning": metrics.poor_fit_warning(len(sources), explained) or "",
               "converged": record["converged"], "final_gap": record["final_gap"],
               "debias_converged": record.get("debias_converged"), "debias_error": record.get("debias_error"),
               **{f"explained_var_{k}": v for k, v in explained.items()}}
        if len(sources):
            top = sources.iloc[0]
            row.update({f"top_{k}": top[k] for k in _TOP})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(dict.fromkeys(
        ["subject", "session", "condition", "n_active", "warning", "converged", "final_gap", "debias_converged",
         "debias_error"]
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
    warned = table[table["warning"] != ""]
    warning = (f"<p style='color:#b00'><b>Warning: many sources explain little of the data in "
               f"{len(warned)} recording(s) and condition(s)</b>: "
               + html.escape(", ".join(f"sub-{r.subject} {r.condition}" for r in warned.itertuples())) + "</p>"
               if len(warned) else "")
    links = "".join(
        f'<li><a href="{Path(p).resolve().relative_to(base).as_posix()}">{Path(p).name}</a></li>'
        for p in sorted(reports)
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>TF-MxNE study summary</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>"
        "<h1>TF-MxNE study summary</h1>"
        f"{group}{warning}"
        "<p>One row per recording and condition: number of active sources, a warning when more than "
        f"{metrics.MANY_SOURCES} sources explain less than {100 * metrics.LITTLE_EXPLAINED:.0f} % of the "
        "data (the subject report says what to do), whether the solver reached its duality-gap "
        "tolerance, the strongest source (MRI surface RAS, mm) and the share of the data explained "
        "per channel type (reported window).</p>"
        f"{table.to_html(index=False, float_format=lambda x: f'{x:.4g}', na_rep='')}"
        f"<h2>Subject reports</h2><ul>{links}</ul></body></html>"
    )
