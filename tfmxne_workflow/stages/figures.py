"""Matplotlib figures of the report (no 3-D rendering)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mne.time_frequency import stft, stftfreq  # noqa: E402

#: The three 2-D projections: (title, horizontal axis, vertical axis), coordinates x, y, z.
VIEWS = (("sagittal (from the left)", 1, 2), ("coronal (from behind)", 0, 2), ("axial (from above)", 0, 1))
AXIS_LABELS = ("x (mm, right)", "y (mm, anterior)", "z (mm, superior)")


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
    """Time courses (nAm) of the active sources, labelled hemi:vertex."""
    fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
    lookup = {("lh", v): i for i, v in enumerate(stc.vertices[0])}
    lookup.update({("rh", v): len(stc.vertices[0]) + i for i, v in enumerate(stc.vertices[1])})
    for _, row in sources.iterrows():
        ax.plot(stc.times, stc.data[lookup[(row["hemi"], int(row["vertex"]))]] * 1e9,
                label=f"{row['hemi']}:{int(row['vertex'])}")
    ax.set(xlabel="time (s)", ylabel="amplitude (nAm)", title=title)
    if len(sources):
        ax.legend(fontsize="small", ncols=2)
    return fig


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


def tf_map(timecourse, sfreq, tmin, wsize, tstep, title):
    """Magnitude of a source time course's STFT coefficients (one panel per dictionary).

    Parameters
    ----------
    timecourse : ndarray, shape (n_times,)
        Source amplitude in A·m over the solve window.
    sfreq, tmin : float
        Sampling rate (Hz) and first time (s).
    wsize, tstep : int | list of int
        STFT window lengths and hops in samples, as given to the solver.
    """
    wsizes, tsteps = np.atleast_1d(wsize), np.atleast_1d(tstep)
    fig, axes = plt.subplots(1, len(wsizes), figsize=(4.5 * len(wsizes), 3.4), squeeze=False,
                             layout="constrained")
    for ax, w, s in zip(axes[0], wsizes, tsteps):
        coefs = np.abs(stft(timecourse[np.newaxis] * 1e9, int(w), int(s), verbose="error")[0])
        freqs = stftfreq(int(w), sfreq)
        times = tmin + np.arange(coefs.shape[1]) * s / sfreq
        mesh = ax.pcolormesh(times, freqs, coefs, shading="nearest", cmap="magma")
        fig.colorbar(mesh, ax=ax, label="|STFT| (nAm)")
        ax.set(xlabel="time (s)", ylabel="frequency (Hz)", title=f"wsize {int(w)}, tstep {int(s)}")
    fig.suptitle(title)
    return fig


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
