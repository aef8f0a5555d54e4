"""Matplotlib figures of the report (no 3-D rendering)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .merge import row_index  # noqa: E402

#: The three 2-D projections: (title, horizontal axis, vertical axis), coordinates x, y, z.
VIEWS = (("sagittal (from the left)", 1, 2), ("coronal (from behind)", 0, 2), ("axial (from above)", 0, 1))
AXIS_LABELS = ("x (mm, right)", "y (mm, anterior)", "z (mm, superior)")
#: The sources table's column of each coordinate.
AXIS_COLUMNS = ("x_mm", "y_mm", "z_mm")


#: Display scale and unit of each channel type.
UNITS = {"grad": (1e13, "fT/cm"), "mag": (1e15, "fT"), "eeg": (1e6, "µV")}


def butterfly(evoked, ch_type, title):
    """Butterfly plot of the good channels of one type (one line per channel)."""
    scale, unit = UNITS[ch_type]
    data = evoked.copy().pick(ch_type, exclude="bads").data * scale
    fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
    ax.plot(evoked.times, data.T, color="k", lw=0.5, alpha=0.5)
    ax.axvline(0.0, c="0.5", lw=0.8)
    ax.set(xlabel="time (s)", ylabel=unit, title=f"{title}, {len(data)} channels",
           xlim=(evoked.times[0], evoked.times[-1]))
    return fig


def source_time_courses(stc, sources, title):
    """Time courses (nAm) of the sources of a sources table, in its order, labelled by :func:`source_name`.

    ``stc`` holds each source's time course at its ``vertex``
    (:func:`~.merge.merged_estimate`). :data:`LINES_PER_PANEL` sources per panel, panels
    stacked, so that 50 sources stay readable.
    """
    n_panels = max(1, int(np.ceil(len(sources) / LINES_PER_PANEL)))
    fig, axes = plt.subplots(n_panels, 1, figsize=(8, 1.0 + 2.5 * n_panels), sharex=True, squeeze=False,
                             layout="constrained")
    for k, ax in enumerate(axes[:, 0]):
        chunk = sources.iloc[k * LINES_PER_PANEL:(k + 1) * LINES_PER_PANEL]
        for _, row in chunk.iterrows():
            ax.plot(stc.times, stc.data[row_index(stc, row["hemi"], row["vertex"])] * 1e9,
                    label=source_name(row["hemi"], row["vertex"], row["n_vertices"]))
        ax.axhline(0.0, c="0.7", lw=0.5)
        ax.set(ylabel="amplitude (nAm)")
        if len(chunk):
            ax.legend(fontsize="small", ncols=2, loc="upper right")
    axes[-1, 0].set(xlabel="time (s)")
    axes[0, 0].set_title(title)
    return fig


def source_name(hemi, vertex, n_vertices) -> str:
    """``hemi:vertex`` of a source (a sources-table row), with how many more vertices it merges."""
    more = int(n_vertices) - 1
    return f"{hemi}:{int(vertex)}" + (f" (+{more} vertices)" if more else "")


def glass_brain(positions, sources, truth=None, title=""):
    """Three 2-D projections of the source space with the active (and true) sources.

    Parameters
    ----------
    positions : list of ndarray, shape (n, 3)
        Source-space points per hemisphere in MRI coordinates (m), the grey cloud.
    sources : DataFrame
        Active sources (x_mm, y_mm, z_mm, peak_amplitude_nAm), red discs with area
        proportional to amplitude.
    truth : DataFrame | None
        True sources (x_mm, y_mm, z_mm), black crosses.
    """
    cloud = np.concatenate(positions) * 1e3
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), layout="constrained")
    amp = sources["peak_amplitude_nAm"].to_numpy(float)
    sizes = 40 + 260 * amp / amp.max() if len(amp) and amp.max() > 0 else []
    for ax, (name, h, v) in zip(axes, VIEWS):
        ax.scatter(cloud[:, h], cloud[:, v], s=1, c="0.75", alpha=0.3, linewidths=0, rasterized=True)
        if len(sources):
            xyz = sources[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
            ax.scatter(xyz[:, h], xyz[:, v], s=sizes, c="tab:red", alpha=0.7, edgecolors="k",
                       label="estimated")
        if truth is not None and len(truth):
            txyz = truth[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
            ax.scatter(txyz[:, h], txyz[:, v], s=80, marker="x", c="k", label="true")
        ax.set(title=name, xlabel=AXIS_LABELS[h], ylabel=AXIS_LABELS[v], aspect="equal")
    if axes[0].get_legend_handles_labels()[0]:  # nothing to label when no source is active
        axes[0].legend(loc="lower left", fontsize="small")
    else:
        axes[0].text(0.02, 0.02, "no active source", transform=axes[0].transAxes, fontsize="small")
    fig.suptitle(title)
    return fig


def dense_peak(stc, positions, sources, unit, title, n_sources=5):
    """The dense estimate at its peak: where (its value at the peak time) and when (time courses).

    Top: three projections of every source-space vertex of ``stc`` coloured by its absolute
    value at the peak time, the peak vertex starred and the sparse ``sources`` circled. Bottom:
    the dense estimate's time course at its peak vertex and at the ``n_sources`` strongest
    sparse sources' vertices (``unit``: what its values are).
    """
    from .dense import peak

    hemi, vertex, time, _ = peak(stc)
    column = int(np.argmin(np.abs(stc.times - time)))
    xyz = np.concatenate([positions[h][stc.vertices[h]] for h in range(2)]) * 1e3
    value = np.abs(stc.data[:, column])
    fig = plt.figure(figsize=(12, 7), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1])
    order = np.argsort(value)  # the strongest drawn last, on top
    peak_xyz = xyz[row_index(stc, hemi, vertex)]
    shown = sources.head(n_sources)
    for ax, (name, h, v) in zip(top.subplots(1, 3), VIEWS):
        points = ax.scatter(xyz[order, h], xyz[order, v], s=3, c=value[order], cmap="hot_r", linewidths=0,
                            rasterized=True)
        ax.scatter(shown[AXIS_COLUMNS[h]], shown[AXIS_COLUMNS[v]], s=90, facecolors="none",
                   edgecolors="tab:blue", label="sparse sources")
        ax.scatter(peak_xyz[h], peak_xyz[v], s=200, marker="*", c="k", label="dense peak")
        ax.set(title=name, xlabel=AXIS_LABELS[h], ylabel=AXIS_LABELS[v], aspect="equal")
    top.colorbar(points, ax=top.axes, label=f"|{unit}| at {time:.3f} s", shrink=0.8)
    top.axes[0].legend(loc="lower left", fontsize="small")
    ax = bottom.subplots()
    ax.plot(stc.times, stc.data[row_index(stc, hemi, vertex)], c="k", lw=2,
            label=f"dense peak {hemi}:{vertex}")
    for _, row in shown.iterrows():
        ax.plot(stc.times, stc.data[row_index(stc, row["hemi"], row["vertex"])],
                label=f"at sparse source {source_name(row['hemi'], row['vertex'], row['n_vertices'])}")
    ax.set(xlabel="time (s)", ylabel=unit, xlim=(stc.times[0], stc.times[-1]))
    ax.legend(fontsize="small", ncols=2, loc="upper right")
    fig.suptitle(title)
    return fig


#: Panels per time-frequency figure (a page: 3 rows of 4) and lines per time-course panel.
TF_PAGE, LINES_PER_PANEL = 12, 8


def tf_maps(signed, sources, fmin, fmax, window, title):
    """Time-frequency maps of the sources, one panel each, in pages of :data:`TF_PAGE`.

    Each panel is the Morlet amplitude (nAm) of the source's signed time course (rows of
    ``signed`` at each source's ``vertex``, :func:`~.merge.merged_estimate`; :mod:`.spectra`:
    the representation its frequency comes from) over the reported ``window`` (s), with the
    half-maximum extent of its burst outlined and its peak marked; the title gives
    :func:`source_name`, position and frequency.

    Returns
    -------
    figures : list of matplotlib.figure.Figure
        One per page.
    """
    from . import spectra

    freqs = spectra.frequencies(fmin, fmax, signed.sfreq)
    rows = [row_index(signed, h, v) for h, v in zip(sources["hemi"], sources["vertex"])]
    maps = spectra.amplitude(signed.data[rows], signed.sfreq, freqs) * 1e9 if rows else None
    keep = spectra.in_window(signed.times, window)
    pages = []
    for start in range(0, len(sources), TF_PAGE):
        page = sources.iloc[start:start + TF_PAGE]
        n_cols = min(4, len(page))
        n_rows = int(np.ceil(len(page) / n_cols))
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.6 * n_cols, 2.9 * n_rows), squeeze=False,
                                 layout="constrained")
        for ax in axes.flat[len(page):]:
            ax.set_visible(False)
        for ax, (k, row) in zip(axes.flat, enumerate(page.itertuples(index=False), start)):
            mesh = ax.pcolormesh(signed.times[keep], freqs, maps[k][:, keep], shading="nearest", cmap="magma")
            fig.colorbar(mesh, ax=ax, label="amplitude (nAm)")
            where = f"{source_name(row.hemi, row.vertex, row.n_vertices)} ({row.x_mm:.0f}, {row.y_mm:.0f}, {row.z_mm:.0f}) mm"
            if np.isfinite(row.stability):
                where += f", stability {row.stability:.2f}"
            if row.oscillatory:
                ax.add_patch(plt.Rectangle((row.tf_tmin_s, row.tf_fmin_hz - 0.5), row.tf_tmax_s - row.tf_tmin_s,
                                           row.tf_fmax_hz - row.tf_fmin_hz + 1, fill=False, ec="cyan", lw=1.2))
                ax.set_title(f"{where}\n{row.peak_frequency_hz:.1f} Hz", fontsize="small")
            else:
                ax.set_title(f"{where}\nno oscillatory peak", fontsize="small")
            ax.set(xlabel="time (s)", ylabel="frequency (Hz)")
        n_pages = int(np.ceil(len(sources) / TF_PAGE))
        fig.suptitle(title + (f" ({start // TF_PAGE + 1} of {n_pages})" if n_pages > 1 else ""))
        pages.append(fig)
    return pages


def sure_curve(sure, title):
    """SURE along the alpha path (``record['sure']``), the selected alpha, active sources."""
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    alphas = np.asarray(sure["alphas"])
    ax.plot(alphas, sure["sure"], "o-", label="SURE")
    ax.axvline(sure["alpha"], ls="--", c="k", label=f"selected alpha = {sure['alpha']:.3g}")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set(xlabel="alpha (% of alpha_max)", ylabel="SURE (risk estimate)", title=title)
    ax2 = ax.twinx()
    ax2.step(alphas, sure["n_active"], where="mid", c="tab:orange", label="active sources")
    ax2.set_ylabel("active sources", color="tab:orange")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def convergence(record, title):
    """Duality gap (log scale) and objective at each gap check of the solver."""
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    checks = record.get("checks", [])
    gaps = [c["gap"] for c in checks]
    ax.semilogy(range(1, len(gaps) + 1), np.maximum(gaps, 1e-300), "o-", label="duality gap")
    if record.get("tol"):
        ax.axhline(record["tol"], ls="--", c="k", label="tol")
    ax.set(xlabel="gap check", ylabel="duality gap", title=title)
    if checks:
        ax2 = ax.twinx()
        ax2.plot(range(1, len(gaps) + 1), [c["objective"] for c in checks], "s-", c="tab:orange",
                 label="objective")
        ax2.set_ylabel("primal objective")
    ax.legend(loc="upper right", fontsize="small")
    return fig
