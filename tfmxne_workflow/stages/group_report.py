"""The group report (mne.Report): where and when each condition is active across subjects."""
from __future__ import annotations

import html
import os
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
import mne
import numpy as np
import pandas as pd

from . import common_space, figures, group

#: Most clusters drawn with time courses and a TF map per condition (the table has all).
MAX_CLUSTER_PANELS = 8
#: What a cluster's p_chance means, said under each clusters table.
P_CHANCE_TEXT = (
    "<p>p chance: how often a cluster of at least as many subjects arises when every subject's "
    "sources are moved to random places on the cortex (group.n_permutations draws, each subject "
    "keeping its number of sources per hemisphere, compared with the largest cluster of each draw "
    "so it holds for all clusters at once); n/a when group.n_permutations is 0.</p>")


def _clusters_shown(clusters) -> pd.DataFrame:
    """The clusters table as the report shows it: where, how many (and by chance?), when, at what frequency."""
    def median_iqr(median, iqr, fmt):
        return [f"{m:{fmt}} ({q:{fmt}})" if np.isfinite(m) else "n/a" for m, q in zip(median, iqr)]

    stability = ({"stability (median)": clusters["stability_median"]}
                 if clusters["stability_median"].notna().any() else {})
    return pd.DataFrame({
        "cluster": clusters["cluster"], "hemi": clusters["hemi"], "subjects": clusters["n_subjects"],
        "p chance": clusters["p_chance"], **stability,
        "x": clusters["x_mni"], "y": clusters["y_mni"], "z": clusters["z_mni"],
        "spread (mm)": clusters["spread_mm"],
        "peak time (s), median (IQR)": median_iqr(clusters["peak_time_s"], clusters["peak_time_iqr_s"], ".3f"),
        "frequency (Hz), median (IQR)": median_iqr(clusters["peak_frequency_hz"],
                                                    clusters["peak_frequency_iqr_hz"], ".1f"),
        "with a frequency": clusters["n_oscillatory"],
        "amplitude (nAm)": clusters["peak_amplitude_nAm"], "not converged": clusters["n_not_converged"],
    })


def _table_html(frame) -> str:
    return frame.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="n/a", border=0,
                         classes="table table-sm")


def build_report(title, conditions, contrasts, subject_reports, html_file, min_subjects):
    """Assemble the group report.

    Parameters
    ----------
    title : str
        Report title.
    conditions : list of dict
        One per condition: ``trial_type``, ``clusters``, ``sources`` (pooled, with
        ``cluster``/``representative``), ``subjects`` (status table), ``stcs`` and
        ``signed_stcs`` (recording id -> cropped estimate / signed time courses on the
        solve window), ``fmin`` and ``fmax`` (the TF maps' range, as the sources table's).
    contrasts : DataFrame
        ``contrasts.tsv``.
    subject_reports : list of str | Path
        Every subject's report (linked, relative to ``html_file``).
    html_file : str | Path
        Where the report goes.
    min_subjects : int
        Smallest cluster shown (said in the text).
    """
    report = mne.Report(title=title, verbose="error")
    report.add_html(_overview_html(conditions, min_subjects), title="Overview", section="Overview")
    cloud = np.concatenate([w for w, _ in common_space.read_fsaverage().values()])
    for cond in conditions:
        _add_condition(report, cond, cloud)
    report.add_html(
        ("<p>Clusters of two conditions whose centroids are within group.cluster_mm are matched; "
         "per measure, the paired difference (b - a) over the subjects in both, with the paired "
         "t-test (scipy.stats.ttest_rel; n/a when n &lt; 2 or the differences do not vary); "
         "p_holm is p Holm-Bonferroni corrected over every row of the table.</p>"
         + _table_html(contrasts)) if len(contrasts) else
        "<p>No cluster is found in two conditions (or the study has one condition): no contrast.</p>",
        title="Conditions compared", section="Contrasts")
    base = Path(html_file).resolve().parent
    links = "".join(f'<li><a href="{html.escape(os.path.relpath(Path(p).resolve(), base))}">'
                    f"{html.escape(Path(p).name)}</a></li>" for p in sorted(subject_reports))
    report.add_html(f"<ul>{links}</ul>", title="Subject reports", section="Subjects")
    return report


def _overview_html(conditions, min_subjects) -> str:
    rows, notes = [], []
    for cond in conditions:
        status = cond["subjects"]["status"].value_counts()
        rows.append({"condition": cond["trial_type"], "subjects": len(cond["subjects"]),
                     **{s: int(status.get(s, 0)) for s in ("ok", "not converged", "no active source",
                                                           "condition missing")},
                     "sources": len(cond["sources"]), "clusters": len(cond["clusters"])})
        for s, why in (("not converged", "kept, their solve did not converge (treat with care)"),
                       ("no active source", "have no active source: they contribute nothing"),
                       ("condition missing", "have no trials of it")):
            who = cond["subjects"].loc[cond["subjects"]["status"] == s, "subject"].tolist()
            if who:
                notes.append(f"<li><b>{html.escape(str(cond['trial_type']))}</b>: {', '.join(who)} {why}.</li>")
    n_subjects = max((len(c["subjects"]) for c in conditions), default=0)
    small = (f"<p><b>{n_subjects} subject(s)</b>: group statistics need more (a cluster's medians "
             "and the paired tests mean little below about 6 subjects).</p>" if n_subjects < 6 else "")
    return (
        "<p>Every subject's active sources mapped to fsaverage (MNI305, mm) and clustered across "
        f"subjects per condition; clusters with at least {min_subjects} subject(s) are shown.</p>"
        f"{small}{_table_html(pd.DataFrame(rows))}"
        + (f"<ul>{''.join(notes)}</ul>" if notes else "<p>Every subject contributed to every condition.</p>")
    )


def _add_condition(report, cond, cloud):
    name, clusters, pooled = cond["trial_type"], cond["clusters"], cond["sources"]
    section = f"Condition: {name}"
    report.add_html(_table_html(cond["subjects"]), title=f"{name}: subjects", section=section)
    report.add_figure(glass_brain(cloud, pooled, clusters, f"{name}: all subjects' sources"),
                      title=f"{name}: where (glass brain, by cluster)", section=section)
    plt.close("all")
    if not len(clusters):
        report.add_html("<p>No cluster: no source recurs across enough subjects.</p>",
                        title=f"{name}: clusters", section=section)
        return
    report.add_html(_table_html(_clusters_shown(clusters)) + P_CHANCE_TEXT,
                    title=f"{name}: clusters (MNI305, mm; members and all columns in the clusters table)",
                    section=section)
    shown = clusters.head(MAX_CLUSTER_PANELS)
    members = pooled[pooled["representative"].astype(bool)]
    reps = [members[members["cluster"] == c] for c in shown["cluster"]]
    any_stc = next(iter(cond["stcs"].values()))
    report.add_figure(
        cluster_time_courses(any_stc.times, [group.source_timecourses(m, cond["stcs"]) for m in reps],
                             shown, f"{name}: cluster time courses"),
        title=f"{name}: time courses across subjects", section=section)
    solve = next(iter(cond["signed_stcs"].values()))
    report.add_figure(
        cluster_tf_maps([group.source_timecourses(m, cond["signed_stcs"]) for m in reps], shown,
                        solve.sfreq, solve.tmin, cond["fmin"], cond["fmax"],
                        f"{name}: mean time-frequency maps (Morlet, signed time courses)"),
        title=f"{name}: mean time-frequency maps", section=section)
    plt.close("all")


def glass_brain(cloud, pooled, clusters, title):
    """Three projections of fsaverage with every subject's sources, coloured by cluster.

    Colours: the :data:`MAX_CLUSTER_PANELS` largest clusters; dark grey: a smaller
    cluster; light grey: in none. Those clusters' centroids: black cross, their number.
    """
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), layout="constrained")
    shown = clusters.head(MAX_CLUSTER_PANELS)
    colours = dict(zip(shown["cluster"], plt.get_cmap("tab10")(np.arange(len(shown)))))
    xyz = pooled[group.MNI].to_numpy(float)
    cluster = pooled["cluster"].to_numpy(float)
    groups = [(np.isnan(cluster), "0.65", "no cluster"),
              (~np.isnan(cluster) & ~np.isin(cluster, list(colours)), "0.3", "smaller clusters")]
    groups += [(cluster == c, colour, f"cluster {c}") for c, colour in colours.items()]
    for ax, (view, h, v) in zip(axes, figures.VIEWS):
        ax.scatter(cloud[::4, h], cloud[::4, v], s=1, c="0.8", alpha=0.3, linewidths=0, rasterized=True)
        for rows, colour, label in groups:
            if rows.any():
                ax.scatter(xyz[rows, h], xyz[rows, v], s=20, color=colour, edgecolors="k", linewidths=0.3,
                           label=label, rasterized=True)
        for _, row in shown.iterrows():
            centre = row[group.MNI].to_numpy(float)
            ax.plot(centre[h], centre[v], "kx", ms=10, mew=2)
            ax.annotate(str(row["cluster"]), (centre[h], centre[v]), xytext=(4, 4),
                        textcoords="offset points", fontsize="small", weight="bold")
        ax.set(title=view, xlabel=figures.AXIS_LABELS[h], ylabel=figures.AXIS_LABELS[v], aspect="equal")
    if len(pooled):
        axes[0].legend(loc="lower left", fontsize="x-small", ncols=2)
    else:
        axes[0].text(0.02, 0.02, "no active source in any subject", transform=axes[0].transAxes)
    fig.suptitle(f"{title} (MNI305, mm; x = centroid)")
    return fig


def _grid(n):
    cols = min(n, 4)
    return int(np.ceil(n / cols)), cols


def cluster_time_courses(times, timecourses, clusters, title):
    """Per cluster: each subject's |time course| (thin) and their median with the 25-75 % band."""
    rows, cols = _grid(len(clusters))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False,
                             layout="constrained", sharex=True, sharey=True)
    for ax, tc, (_, c) in zip(axes.flat, timecourses, clusters.iterrows()):
        amp = np.abs(tc) * 1e9
        ax.add_collection(LineCollection(np.stack(np.broadcast_arrays(times, amp), axis=-1), colors="0.6",
                                         linewidths=0.6))
        q1, med, q3 = np.percentile(amp, [25, 50, 75], axis=0)
        ax.fill_between(times, q1, q3, color="tab:blue", alpha=0.3, label="25-75 %")
        ax.plot(times, med, c="tab:blue", lw=2, label="median")
        ax.set(title=f"cluster {c['cluster']} ({c['hemi']}, n={c['n_subjects']})", xlabel="time (s)",
               ylabel="|amplitude| (nAm)")
    for ax in axes.flat[len(clusters):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize="x-small")
    fig.suptitle(title)
    return fig


def cluster_tf_maps(timecourses, clusters, sfreq, tmin, fmin, fmax, title):
    """Per cluster, the mean over its subjects of the Morlet amplitude, one colour scale for all.

    ``timecourses``: per cluster, its subjects' signed time courses (the representation each
    source's frequency comes from, :mod:`.spectra`); ``fmin``/``fmax``: its range (Hz).
    """
    from . import spectra

    freqs = spectra.frequencies(fmin, fmax, sfreq)
    rows, cols = _grid(len(clusters))
    # whole inches: an odd pixel width comes out sheared in the report's WebP
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols + 1, 3 * rows), squeeze=False,
                             layout="constrained", sharex=True, sharey=True)
    maps = [spectra.amplitude(np.atleast_2d(tc), sfreq, freqs).mean(axis=0) * 1e9 for tc in timecourses]
    vmax = max(m.max() for m in maps)
    for ax, amplitude, (_, c) in zip(axes.flat, maps, clusters.iterrows()):
        t = tmin + np.arange(amplitude.shape[1]) / sfreq
        mesh = ax.pcolormesh(t, freqs, amplitude, shading="nearest", cmap="magma", vmin=0, vmax=vmax)
        where = f"{c['peak_frequency_hz']:.1f} Hz" if np.isfinite(c["peak_frequency_hz"]) else "no oscillatory peak"
        ax.set(title=f"cluster {c['cluster']} ({c['hemi']}), {where}", xlabel="time (s)", ylabel="frequency (Hz)")
    for ax in axes.flat[len(clusters):]:
        ax.set_visible(False)
    fig.colorbar(mesh, ax=axes, label="mean amplitude (nAm)")
    fig.suptitle(title)
    return fig